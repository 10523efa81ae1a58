import { execFileSync, ExecFileSyncOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');

/** Runs a command, printing its output only when it fails, so a failure explains itself. */
export function run(command: string, args: string[], options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 * 1024 * 1024, ...options }).toString();
  } catch (error) {
    const e = error as { stdout?: Buffer | string; stderr?: Buffer | string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** The one file in dist/<dir> whose name ends with `suffix`; explains how to build it otherwise. */
export function builtArtifact(dir: string, suffix: string): string {
  const folder = join(DIST, dir);
  const match = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(suffix)) : [];
  if (match.length !== 1) {
    throw new Error(`expected one *${suffix} in dist/${dir}, found ${match.length}: run \`npm run package\` first`);
  }
  return join(folder, match[0]);
}

/** The CloudFormation template of `stack` in a cloud assembly directory. */
export function readTemplate(outdir: string, stack: string): any {
  return JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8'));
}

export function resourcesOfType(template: any, type: string): any[] {
  return Object.values(template.Resources ?? {}).filter((r: any) => r.Type === type);
}
