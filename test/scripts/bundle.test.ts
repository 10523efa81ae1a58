/**
 * scripts/bundle.mjs gives the same bundles from the same source, whatever else is in the folder:
 * a fresh clone's first build (no tsconfig.json yet) and every later one (jsii writes tsconfig.json
 * during `npm run compile`) are byte-identical. Builds a copy of the sources, so the working tree
 * is never touched.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HANDLER_NAMES } from '../../lib/private/runtime-contract';

const ROOT = join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('handler bundles', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'rtn-bundle-'));
    for (const path of ['package.json', 'README.md', 'LICENSE', 'tsconfig.dev.json', 'scripts', 'lambda']) {
      cpSync(join(ROOT, path), join(copy, path), { recursive: true });
    }
    // lib/ as in a fresh clone: the TypeScript sources only.
    cpSync(join(ROOT, 'lib'), join(copy, 'lib'), {
      recursive: true,
      filter: (source) => !/\.(js|d\.ts|tsbuildinfo)$/.test(source),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  function bundle(outDir: string): void {
    execFileSync(process.execPath, [join(copy, 'scripts', 'bundle.mjs')], {
      cwd: copy,
      env: { ...process.env, BUNDLE_OUTDIR: join(copy, outDir) },
      stdio: 'pipe',
    });
  }

  it('are byte-identical before and after jsii writes its tsconfig.json, and ship no source maps', () => {
    expect(existsSync(join(copy, 'tsconfig.json'))).toBe(false);
    bundle('first');

    // What `npm run compile` does, in the copy.
    execFileSync(join(ROOT, 'node_modules', '.bin', 'jsii'), ['--silence-warnings=reserved-word'], { cwd: copy, stdio: 'pipe' });
    expect(existsSync(join(copy, 'tsconfig.json'))).toBe(true);
    bundle('second');

    const first = filesUnder(join(copy, 'first'));
    expect(first).toEqual(HANDLER_NAMES.map((name) => join(name, 'index.js')).sort());
    expect(filesUnder(join(copy, 'second'))).toEqual(first);
    for (const file of first) {
      const a = readFileSync(join(copy, 'first', file));
      const b = readFileSync(join(copy, 'second', file));
      expect({ file, identical: a.equals(b) }).toEqual({ file, identical: true });
    }
  });

  it('require Node built-ins rather than import() them (an ES module of node:http would load undici)', () => {
    bundle('requires');
    for (const file of filesUnder(join(copy, 'requires'))) {
      const text = readFileSync(join(copy, 'requires', file), 'utf8');
      expect({ file, imports: text.match(/\bimport\(\s*["'](node:)?[a-z_]+["']\s*\)/g) ?? [] }).toEqual({ file, imports: [] });
    }
    // The SDK's HTTP handler, which did import() node:http, is there.
    expect(readFileSync(join(copy, 'requires', 'deliver', 'index.js'), 'utf8')).toContain('require("node:http")');
  });
});
