/**
 * Synthesis needs assets/<name>/index.js for every handler. `npm run bundle` builds them; when a
 * bundle is missing, a one-line placeholder stands in so the construct can be synthesized
 * (asset hashes are normalised in snapshots, so the content does not matter here).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASSETS_DIR } from '../../lib/private/handler-function';
import { HANDLER_NAMES } from '../../lib/private/runtime-contract';

export function ensureHandlerAssets(): void {
  for (const name of HANDLER_NAMES) {
    const file = join(ASSETS_DIR, name, 'index.js');
    if (existsSync(file)) continue;
    mkdirSync(join(ASSETS_DIR, name), { recursive: true });
    writeFileSync(file, "exports.handler = async () => { throw new Error('placeholder bundle: run npm run bundle'); };\n");
  }
}
