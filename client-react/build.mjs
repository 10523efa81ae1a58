// Builds the package: dist/index.js (ES module), dist/index.cjs (CommonJS), both importing react
// and cdk-realtime-notifications-client (peer dependencies, never bundled), and the type
// declarations; prints the bindings' own minified and gzipped size (the budget: 2 KB).
// Usage: node build.mjs [outdir]   (default: dist)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dualDeclarations } from '../client/dts.mjs';

const here = new URL('.', import.meta.url).pathname;
const outdir = process.argv[2] ?? join(here, 'dist');
const common = {
  entryPoints: [join(here, 'src', 'index.ts')], bundle: true, target: 'es2020', logLevel: 'warning',
  external: ['react', 'cdk-realtime-notifications-client'],
};

rmSync(outdir, { recursive: true, force: true });
await Promise.all([
  build({ ...common, format: 'esm', outfile: join(outdir, 'index.js') }),
  build({ ...common, format: 'cjs', outfile: join(outdir, 'index.cjs') }),
]);
// The declarations are checked against the client's as it ships (built into a scratch folder),
// and name it by its package name, as the app installs it.
const scratch = mkdtempSync(join(tmpdir(), 'client-react-'));
try {
  execFileSync(process.execPath, [join(here, '..', 'client', 'build.mjs'), join(scratch, 'client')], { stdio: 'pipe' });
  const config = join(here, 'tsconfig.build.json');
  writeFileSync(config, JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: { paths: { 'cdk-realtime-notifications-client': [join(scratch, 'client', 'index.d.ts')] } },
  }));
  try {
    execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', config, '--outDir', outdir], { stdio: 'inherit' });
  } finally {
    rmSync(config);
  }
  dualDeclarations(outdir); // *.d.ts for import, *.d.cts for require
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const minified = (await build({ ...common, format: 'esm', minify: true, write: false })).outputFiles[0].contents;
console.log(`client-react: ${outdir}/index.js (and index.cjs); minified ${minified.length} B, minified + gzip ${gzipSync(minified).length} B (react and the client not included)`);
