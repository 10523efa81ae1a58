/**
 * What `npm pack` puts in the npm package: the license, the compiled library, the AsyncAPI
 * document of the protocol, and one bundle per handler, which is exactly what each Lambda function's zip holds (no source maps: see
 * scripts/bundle.mjs for why).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLER_NAMES } from '../lib/private/runtime-contract';

const ROOT = join(__dirname, '..');

interface PackResult {
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
}

test('the npm package ships LICENSE, the AsyncAPI document and one bundle per handler, without source maps', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as PackResult[];
  const paths = pack.files.map((file) => file.path);

  expect(paths).toContain('LICENSE');
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'API.md', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'docs/asyncapi.json']));
  expect(paths.filter((path) => path.startsWith('assets/')).sort()).toEqual(HANDLER_NAMES.map((name) => `assets/${name}/index.js`).sort());
  expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
});

test('LICENSE is the Apache License 2.0 that package.json names', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
  expect(pkg.license).toBe('Apache-2.0');
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
  expect(license).toContain('END OF TERMS AND CONDITIONS');
});
