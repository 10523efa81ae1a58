/**
 * The client package as it ships: a dual package (one ES module with no imports, which a page can
 * load as it is, and its CommonJS build), the Node-only `/node` entry, its type declarations, and
 * the size budget. Both `import` and `require` of the package name resolve through its exports.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLIENT = join(__dirname, '..', '..', 'client');
const API = ['RealtimeClient', 'RealtimeError', 'connect', 'keepAliveTiming', 'localStoragePositions'];
let outdir: string;
/** An app folder with the package installed in node_modules, as npm would (package.json and dist/). */
let app: string;
/** What the build printed: the file it wrote and its sizes. */
let report: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'realtime-client-'));
  report = execFileSync(process.execPath, [join(CLIENT, 'build.mjs'), join(outdir, 'dist')], { encoding: 'utf8' });
  app = join(outdir, 'app');
  const installed = join(app, 'node_modules', 'cdk-realtime-notifications-client');
  mkdirSync(installed, { recursive: true });
  cpSync(join(CLIENT, 'package.json'), join(installed, 'package.json'));
  symlinkSync(join(outdir, 'dist'), join(installed, 'dist'));
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const node = (args: string[]) => JSON.parse(execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' }));

describe('the built client package', () => {
  it('is one ES module with no imports that loads in Node and exports the API', () => {
    const source = readFileSync(join(outdir, 'dist', 'index.js'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s|\brequire\(/m);
    const script = `import(${JSON.stringify(pathToFileURL(join(outdir, 'dist', 'index.js')).href)}).then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`;
    expect(node(['--input-type=module', '-e', script])).toEqual(API);
  });

  it('loads by its name with require and with import, and the /node entry too', () => {
    const required = node(['-e', `const c = require('cdk-realtime-notifications-client'); const n = require('cdk-realtime-notifications-client/node');
      console.log(JSON.stringify([Object.keys(c).sort(), Object.keys(n), typeof c.connect]))`]);
    expect(required).toEqual([API, ['filePositions'], 'function']);
    const imported = node(['--input-type=module', '-e', `const c = await import('cdk-realtime-notifications-client'); const n = await import('cdk-realtime-notifications-client/node');
      console.log(JSON.stringify([Object.keys(c).sort(), Object.keys(n)]))`]);
    expect(imported).toEqual([API, ['filePositions']]);
  });

  it('keeps positions in memory without localStorage, and in a file with filePositions', () => {
    const file = join(outdir, 'state', 'positions.json');
    const script = `const { localStoragePositions } = require('cdk-realtime-notifications-client');
      const { filePositions } = require('cdk-realtime-notifications-client/node');
      const memory = localStoragePositions('p:'); memory.set('topic:a', '{"epoch":"e","seq":3}');
      const before = filePositions(${JSON.stringify(file)}).get('user');
      const store = filePositions(${JSON.stringify(file)}); store.set('user', '{"epoch":"e","seq":7}');
      console.log(JSON.stringify([memory.get('topic:a'), before ?? null]));`;
    expect(node(['-e', script])).toEqual(['{"epoch":"e","seq":3}', null]);
    // Written when the process exited, read back by the next one.
    expect(node(['-e', `const { filePositions } = require('cdk-realtime-notifications-client/node');
      console.log(JSON.stringify(filePositions(${JSON.stringify(file)}).get('user')))`])).toBe('{"epoch":"e","seq":7}');
  });

  it('ships type declarations for its entry points, and exports for import and require', () => {
    const types = readFileSync(join(outdir, 'dist', 'index.d.ts'), 'utf8');
    expect(types).toMatch(/export \{ connect, RealtimeClient \} from '.\/client\.js'/);
    expect(readFileSync(join(outdir, 'dist', 'index.d.cts'), 'utf8')).toMatch(/export \{ connect, RealtimeClient \} from '.\/client\.cjs'/);
    for (const file of ['client.d.ts', 'errors.d.ts', 'positions.d.ts', 'stream.d.ts', 'backoff.d.ts', 'node.d.ts', 'index.cjs', 'node.js', 'node.cjs', 'index.d.cts', 'client.d.cts']) {
      expect(existsSync(join(outdir, 'dist', file))).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      type: 'module',
      main: './dist/index.cjs',
      exports: {
        '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' }, require: { types: './dist/index.d.cts', default: './dist/index.cjs' } },
        './node': { import: { types: './dist/node.d.ts', default: './dist/node.js' }, require: { types: './dist/node.d.cts', default: './dist/node.cjs' } },
      },
    });
    expect(manifest.dependencies).toBeUndefined();
  });

  it('stays within 5.5 KB minified and gzipped', () => {
    const gzipped = /minified \+ gzip (\d+) B/.exec(report);
    expect(gzipped).not.toBeNull();
    expect(Number(gzipped![1])).toBeLessThanOrEqual(5.5 * 1024);
  });
});
