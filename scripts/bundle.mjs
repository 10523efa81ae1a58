// Pre-bundles every Lambda entry point in lambda/handlers/ into assets/<name>/index.js, so that
// consumers in any jsii language synthesize without esbuild, Docker or network.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const handlersDir = join(root, 'lambda', 'handlers');
const outRoot = join(root, 'assets');
const minify = process.env.BUNDLE_MINIFY !== 'false';
const outBase = process.env.BUNDLE_OUTDIR ?? outRoot;

rmSync(outBase, { recursive: true, force: true });
const entries = readdirSync(handlersDir).filter((f) => f.endsWith('.ts'));
await Promise.all(entries.map((file) => build({
  entryPoints: [join(handlersDir, file)],
  outfile: join(outBase, basename(file, '.ts'), 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The compiler settings the handlers are type-checked with, always: without this esbuild would
  // read whatever tsconfig.json is in the folder, and jsii writes one during \`npm run compile\`,
  // so a fresh clone's first build would differ from every later one.
  tsconfig: join(root, 'tsconfig.dev.json'),
  // The ES module builds of the AWS SDK and Smithy packages, not their CommonJS ones: esbuild can
  // drop what a handler never imports only from ES modules. That halves the DynamoDB client's
  // share of a bundle and its load time (the cold-init benchmark measures it).
  mainFields: ['module', 'main'],
  // Every `import()` left in a bundle becomes a `require` (still on first use: what it loads runs
  // then, not at init). Built-ins are why: the SDK's HTTP handler imports node:http
  // that way on its first plain-http call (a local endpoint; AWS's are https), and Node builds an
  // ES module of node:http by reading every export, which loads undici: about 30 ms of CPU in the
  // first request of a local run, none of it needed.
  supported: { 'dynamic-import': false },
  minify,
  // No source maps: they were 3 in every 4 bytes of each Lambda zip, and Node reads them only with
  // --enable-source-maps, which costs every cold start the parse of the map (about 25 ms for deliver)
  // and makes each error's stack several times slower to build. A stack from a bundle still names
  // the function and position; for readable ones locally, build with BUNDLE_MINIFY=false.
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
})));
console.log(`bundled ${entries.length} handlers into ${outBase}`);
