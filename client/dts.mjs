// Declarations for a dual package, as TypeScript's node16/nodenext resolution reads them: the
// emitted *.d.ts (ES module) get explicit `.js` extensions on their relative imports, and each has
// a *.d.cts twin (CommonJS) importing `.cjs`, for the `require` condition's `types`.
// Used by client/build.mjs and client-react/build.mjs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RELATIVE = /(from\s+|import\()(['"])(\.\.?\/[^'"]+?)(\.js)?\2/g;

export function dualDeclarations(dir) {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.d.ts')) continue;
    const source = readFileSync(join(dir, name), 'utf8');
    writeFileSync(join(dir, name), source.replace(RELATIVE, (_, lead, quote, path) => `${lead}${quote}${path}.js${quote}`));
    writeFileSync(join(dir, name.replace(/\.d\.ts$/, '.d.cts')), source.replace(RELATIVE, (_, lead, quote, path) => `${lead}${quote}${path}.cjs${quote}`));
  }
}
