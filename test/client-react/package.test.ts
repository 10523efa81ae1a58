/**
 * The React bindings as they ship: ES module and CommonJS builds that import react and the client
 * (peer dependencies, never bundled), type declarations naming the client by its package name,
 * and the size budget: 2.5 KB minified and gzipped, beyond React and the client.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  expect(manifest.exports['.']).toEqual({
    import: { types: './dist/index.d.ts', default: './dist/index.js' }, require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
  });
});

test('stays within 2.5 KB minified and gzipped', () => {
  const gzipped = /minified \+ gzip (\d+) B/.exec(report);
  expect(gzipped).not.toBeNull();
  expect(Number(gzipped![1])).toBeLessThanOrEqual(2.5 * 1024);
});

/**
 * An app's TypeScript, as installed from the tarballs: `import` and `require` of both packages
 * type-check under node16 resolution (ES module and CommonJS files) and under bundler resolution.
 */
test('type-checks in apps using import or require, with node16 and bundler resolution', () => {
  // Inside the repository, so that react and @types/react resolve from its node_modules.
  const app = join(PACKAGE, '..', '.cache', `types-app-${process.pid}`);
  try {
    const install = (name: string, folder: string, dist: string) => {
      const dir = join(app, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      cpSync(join(folder, 'package.json'), join(dir, 'package.json'));
      cpSync(dist, join(dir, 'dist'), { recursive: true });
    };
    const clientDist = join(app, 'client-dist');
    execFileSync(process.execPath, [join(PACKAGE, '..', 'client', 'build.mjs'), clientDist], { stdio: 'pipe' });
    install('cdk-realtime-notifications-client', join(PACKAGE, '..', 'client'), clientDist);
    install('cdk-realtime-notifications-react', PACKAGE, outdir);
    writeFileSync(join(app, 'required.cts'), [
      "import client = require('cdk-realtime-notifications-client');",
      "import node = require('cdk-realtime-notifications-client/node');",
      "import react = require('cdk-realtime-notifications-react');",
      "const c: client.RealtimeClient = client.connect({ url: 'ws://x', positions: node.filePositions('p.json') });",
      "const hook: (topic: string) => react.SubscriptionState = react.useSubscription;",
      'export { c, hook };',
    ].join('\n'));
    writeFileSync(join(app, 'imported.mts'), [
      "import { connect, type Published } from 'cdk-realtime-notifications-client';",
      "import { filePositions } from 'cdk-realtime-notifications-client/node';",
      "import { RealtimeProvider, usePublish } from 'cdk-realtime-notifications-react';",
      "const published: Promise<Published> = connect({ url: 'ws://x', positions: filePositions('p.json') }).publish('rooms/a', 1);",
      'export { published, RealtimeProvider, usePublish };',
    ].join('\n'));
    /** The compiler's complaints; none when it type-checks. */
    const tsc = (args: string[]) => {
      try {
        execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--ignoreConfig', '--noEmit', '--strict', '--types', 'node', ...args], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
        return '';
      } catch (error) {
        return String((error as { stdout?: string }).stdout);
      }
    };
    expect(tsc(['--module', 'node16', '--moduleResolution', 'node16', 'required.cts', 'imported.mts'])).toBe('');
    expect(tsc(['--module', 'esnext', '--moduleResolution', 'bundler', 'imported.mts'])).toBe('');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}, 120_000);
