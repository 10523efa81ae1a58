// Writes what is generated from the protocol's schemas (lib/private/protocol): the client
// library's types, the tables of docs/protocol.md and docs/asyncapi.json.
// Usage: npm run docs:protocol
// esbuild reads the TypeScript sources themselves: `npm run compile` leaves .js files beside them
// in lib/, which Node (and so tsx) would load instead, however stale.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'protocol-'));
try {
  const outfile = join(dir, 'generate.cjs');
  await build({
    entryPoints: [join(root, 'scripts', 'protocol', 'generate.ts')],
    outfile, bundle: true, platform: 'node', format: 'cjs', tsconfig: join(root, 'tsconfig.dev.json'), logLevel: 'warning',
  });
  const files = createRequire(import.meta.url)(outfile).generatedFiles(root);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(root, path), content);
  console.log(`wrote ${Object.keys(files).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
