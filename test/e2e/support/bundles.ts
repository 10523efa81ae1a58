/**
 * The handler bundles the end-to-end tests run: assets/ when it is newer than every source file
 * in lambda/ (as after `npm run build`), otherwise a fresh build by the same scripts/bundle.mjs
 * into a private folder, so a stale assets/ never hides a change and assets/ is never touched.
 * The same for the client library the demo page loads (client/dist/index.js, client/build.mjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLER_NAMES } from '../../../lib/private/runtime-contract';

const ROOT = join(__dirname, '..', '..', '..');

/** The newest TypeScript source under `dir` (compiled .js and .d.ts files beside them do not count). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundlesUpToDate(assetsDir: string): boolean {
  const bundles = HANDLER_NAMES.map((name) => join(assetsDir, name, 'index.js'));
  if (!bundles.every((file) => existsSync(file))) return false;
  const oldestBundle = Math.min(...bundles.map((file) => statSync(file).mtimeMs));
  // The handlers import lib/private (the runtime contract, topic patterns) as well as lambda/.
  return oldestBundle >= Math.max(newestSource(join(ROOT, 'lambda')), newestSource(join(ROOT, 'lib', 'private')));
}

export interface Bundles {
  readonly assetsDir: string;
  dispose(): void;
}

export function handlerBundles(): Bundles {
  const assetsDir = join(ROOT, 'assets');
  if (bundlesUpToDate(assetsDir)) return { assetsDir, dispose: () => undefined };
  const privateDir = join(ROOT, '.cache', `e2e-assets-${process.pid}`);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], {
    cwd: ROOT,
    env: { ...process.env, BUNDLE_OUTDIR: privateDir },
    stdio: 'pipe',
  });
  return { assetsDir: privateDir, dispose: () => rmSync(privateDir, { recursive: true, force: true }) };
}

export interface ClientBundle {
  /** The client library's ES module, for `startLocalRuntime({ clientBundle })`. */
  readonly file: string;
  dispose(): void;
}

export function clientBundle(): ClientBundle {
  const built = join(ROOT, 'client', 'dist', 'index.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource(join(ROOT, 'client', 'src'))) return { file: built, dispose: () => undefined };
  const privateDir = join(ROOT, '.cache', `e2e-client-${process.pid}`);
  execFileSync(process.execPath, [join(ROOT, 'client', 'build.mjs'), privateDir], { cwd: ROOT, stdio: 'pipe' });
  return { file: join(privateDir, 'index.js'), dispose: () => rmSync(privateDir, { recursive: true, force: true }) };
}
