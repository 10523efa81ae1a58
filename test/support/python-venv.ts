/**
 * Python command-line tools for tests (cfn-lint, say), installed from PyPI into a virtual
 * environment under node_modules/.cache, created once and reused while the pinned spec holds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE_DIR = join(__dirname, '..', '..', 'node_modules', '.cache');

/**
 * Returns the path of `command` inside a venv named `name` holding `requirement`
 * (a pip requirement such as `cfn-lint==1.58.0`), creating or refreshing the venv as needed.
 */
export function pythonTool(name: string, requirement: string, command: string): string {
  const venv = join(CACHE_DIR, name);
  const marker = join(venv, '.requirement');
  const executable = join(venv, 'bin', command);
  if (existsSync(executable) && existsSync(marker) && readFileSync(marker, 'utf8') === requirement) return executable;
  rmSync(venv, { recursive: true, force: true });
  const run = (file: string, args: string[]) => {
    try {
      execFileSync(file, args, { stdio: 'pipe', timeout: 10 * 60 * 1000 });
    } catch (error) {
      const e = error as { stderr?: Buffer; message: string };
      throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr?.toString() || e.message}. `
        + 'Tests need python3 with the venv module and access to PyPI.');
    }
  };
  run('python3', ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', requirement]);
  writeFileSync(marker, requirement);
  return executable;
}
