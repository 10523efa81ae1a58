/**
 * Synthesis needs assets/<name>/index.js for every handler, which `npm run bundle` builds
 * (`npm test` runs it first). Without them, say so instead of failing deep inside the asset code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ASSETS_DIR } from '../../lib/private/handler-function';
import { HANDLER_NAMES } from '../../lib/private/runtime-contract';

export function ensureHandlerAssets(): void {
  const missing = HANDLER_NAMES.filter((name) => !existsSync(join(ASSETS_DIR, name, 'index.js')));
  if (missing.length > 0) {
    throw new Error(`handler bundles missing in ${ASSETS_DIR}: ${missing.join(', ')}. Run \`npm run bundle\` first.`);
  }
}
