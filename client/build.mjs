// Builds the package, a dual package with no dependencies:
//   dist/index.js   one ES module with no imports (loadable as is by a browser or Node: `import`)
//   dist/index.cjs  the same as CommonJS (`require`)
//   dist/node.js, dist/node.cjs   `cdk-realtime-notifications-client/node` (filePositions; imports node:fs)
// and the type declarations (*.d.ts for import, *.d.cts for require); prints the main module's minified and gzipped sizes.
// Usage: node build.mjs [outdir]   (default: dist)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dualDeclarations } from './dts.mjs';

const here = new URL('.', import.meta.url).pathname;
const outdir = process.argv[2] ?? join(here, 'dist');
const entry = (name) => ({ entryPoints: [join(here, 'src', `${name}.ts`)], bundle: true, target: 'es2020', logLevel: 'warning' });

rmSync(outdir, { recursive: true, force: true });
await Promise.all([
  build({ ...entry('index'), format: 'esm', outfile: join(outdir, 'index.js') }),
  build({ ...entry('index'), format: 'cjs', outfile: join(outdir, 'index.cjs') }),
  build({ ...entry('node'), format: 'esm', platform: 'node', outfile: join(outdir, 'node.js') }),
  build({ ...entry('node'), format: 'cjs', platform: 'node', outfile: join(outdir, 'node.cjs') }),
]);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
for (const config of ['tsconfig.json', 'tsconfig.node.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(here, config), '--outDir', outdir], { stdio: 'inherit' });
}
dualDeclarations(outdir); // *.d.ts for import, *.d.cts for require

const minified = (await build({ ...entry('index'), format: 'esm', minify: true, write: false })).outputFiles[0].contents;
console.log(`client: ${outdir}/index.js (and index.cjs, node.js, node.cjs); minified ${minified.length} B, minified + gzip ${gzipSync(minified).length} B`);
