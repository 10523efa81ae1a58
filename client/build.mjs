// Builds the package: one ES module with no imports (dist/index.js, loadable as is by a browser
// or Node) and its type declarations; prints the minified and gzipped sizes.
// Usage: node build.mjs [outdir]   (default: dist)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const here = new URL('.', import.meta.url).pathname;
const outdir = process.argv[2] ?? join(here, 'dist');
const common = { entryPoints: [join(here, 'src', 'index.ts')], bundle: true, format: 'esm', target: 'es2020', logLevel: 'warning' };

rmSync(outdir, { recursive: true, force: true });
await build({ ...common, outfile: join(outdir, 'index.js') });
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json'), '--outDir', outdir], { stdio: 'inherit' });

const minified = (await build({ ...common, minify: true, write: false })).outputFiles[0].contents;
console.log(`client: ${outdir}/index.js; minified ${minified.length} B, minified + gzip ${gzipSync(minified).length} B`);
