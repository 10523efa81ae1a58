/**
 * The React bindings as they ship: ES module and CommonJS builds that import react and the client
 * (peer dependencies, never bundled), type declarations naming the client by its package name,
 * and the size budget: 2 KB minified and gzipped, beyond React and the client.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = join(__dirname, '..', '..', 'client-react');
let outdir: string;
let report: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'realtime-react-'));
  report = execFileSync(process.execPath, [join(PACKAGE, 'build.mjs'), outdir], { encoding: 'utf8' });
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

test('builds ES module and CommonJS files that import react and the client, bundling neither', () => {
  const esm = readFileSync(join(outdir, 'index.js'), 'utf8');
  expect(esm).toMatch(/from "react"/);
  expect(esm).toMatch(/from "cdk-realtime-notifications-client"/);
  expect(esm).not.toMatch(/useSyncExternalStoreWithSelector|class RealtimeClient/);
  const cjs = readFileSync(join(outdir, 'index.cjs'), 'utf8');
  expect(cjs).toMatch(/require\("react"\)/);
  expect(cjs).toMatch(/require\("cdk-realtime-notifications-client"\)/);
});

test('ships declarations that name the client by its package name', () => {
  const types = readFileSync(join(outdir, 'index.d.ts'), 'utf8');
  expect(types).toMatch(/from 'cdk-realtime-notifications-client'/);
  for (const name of ['RealtimeProvider', 'useSubscription', 'usePresence', 'useConnectionState', 'usePublish', 'useHistory']) {
    expect(types).toMatch(new RegExp(`export declare function ${name}\\b`));
  }
  expect(existsSync(join(outdir, 'hub.d.ts'))).toBe(true);
});

test('declares react and the client as peer dependencies, at the client\'s version', () => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
  const client = JSON.parse(readFileSync(join(PACKAGE, '..', 'client', 'package.json'), 'utf8'));
  expect(manifest.dependencies).toBeUndefined();
  expect(manifest.peerDependencies).toEqual({ react: '>=18.0.0', 'cdk-realtime-notifications-client': `^${client.version}` });
  expect(manifest.version).toBe(client.version);
  expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js', require: './dist/index.cjs' });
});

test('stays within 2 KB minified and gzipped', () => {
  const gzipped = /minified \+ gzip (\d+) B/.exec(report);
  expect(gzipped).not.toBeNull();
  expect(Number(gzipped![1])).toBeLessThanOrEqual(2 * 1024);
});
