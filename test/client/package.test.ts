/**
 * The client package as it ships: one ES module with no imports (a page can load it as it is),
 * its type declarations, and the size budget.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLIENT = join(__dirname, '..', '..', 'client');
let outdir: string;
/** What the build printed: the file it wrote and its sizes. */
let report: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'realtime-client-'));
  report = execFileSync(process.execPath, [join(CLIENT, 'build.mjs'), outdir], { encoding: 'utf8' });
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the built client package', () => {
  it('is one ES module with no imports that loads in Node and exports the API', () => {
    const source = readFileSync(join(outdir, 'index.js'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s|\brequire\(/m);
    const script = `import(${JSON.stringify(pathToFileURL(join(outdir, 'index.js')).href)}).then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`;
    const exported = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(exported).toEqual(['RealtimeClient', 'RealtimeError', 'connect', 'keepAliveTiming', 'localStoragePositions']);
  });

  it('ships type declarations for its entry point', () => {
    const types = readFileSync(join(outdir, 'index.d.ts'), 'utf8');
    expect(types).toMatch(/export \{ connect, RealtimeClient \} from '.\/client'/);
    for (const file of ['client.d.ts', 'errors.d.ts', 'positions.d.ts', 'stream.d.ts', 'backoff.d.ts']) expect(existsSync(join(outdir, file))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } });
    expect(manifest.dependencies).toBeUndefined();
  });

  it('stays within 5 KB minified and gzipped', () => {
    const gzipped = /minified \+ gzip (\d+) B/.exec(report);
    expect(gzipped).not.toBeNull();
    expect(Number(gzipped![1])).toBeLessThanOrEqual(5 * 1024);
  });
});
