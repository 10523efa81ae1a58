/**
 * Python command-line tools and libraries (moto's S3 server for `npm start`; cfn-lint and the Python client's websockets for tests), installed from PyPI into a virtual
 * environment under node_modules/.cache, created once and reused while the pinned spec holds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE_DIR = join(__dirname, '..', 'node_modules', '.cache');

/**
 * Returns the path of `command` inside a venv named `name` holding `requirement`
 * (a pip requirement such as `cfn-lint==1.58.0`), creating or refreshing the venv as needed.
 */
export function pythonTool(name: string, requirement: string, command: string): string {
  return join(pythonEnv(name, [requirement]), 'bin', command);
}

/**
 * Returns the path of a venv named `name` holding `requirements` (pip requirements such as
 * `websockets==15.0.1`), creating or refreshing it as needed.
 */
export function pythonEnv(name: string, requirements: string[]): string {
  const requirement = requirements.join(' ');
  const venv = join(CACHE_DIR, name);
  const marker = join(venv, '.requirement');
  const ready = () => existsSync(join(venv, 'bin', 'python')) && existsSync(marker) && readFileSync(marker, 'utf8') === requirement;
  if (ready()) return venv;
  // Test files run in parallel processes, and `npm start` may run beside them: one makes the venv,
  // the others wait for it.
  const lock = `${venv}.lock`;
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const deadline = Date.now() + INSTALL_TIMEOUT_MS; !takeLock(lock);) {
    if (Date.now() > deadline) throw new Error(`${lock} is still held after ${INSTALL_TIMEOUT_MS / 60_000} minutes: remove it if no install is running.`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  try {
    if (ready()) return venv;
    rmSync(venv, { recursive: true, force: true });
    const run = (file: string, args: string[]) => {
      try {
        execFileSync(file, args, { stdio: 'pipe', timeout: INSTALL_TIMEOUT_MS });
      } catch (error) {
        const e = error as { stderr?: Buffer; message: string };
        throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr?.toString() || e.message}. `
          + 'This needs python3 with the venv module and access to PyPI.');
      }
    };
    run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...requirements]);
    writeFileSync(marker, requirement);
    return venv;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

/** mkdir is atomic: whoever creates the folder holds the lock. One left by a killed install expires. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > INSTALL_TIMEOUT_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    return false;
  }
}
