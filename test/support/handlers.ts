/**
 * Loads a handler module the way Lambda does: its environment set first, then a fresh module
 * instance (so its init-time configuration and clients are built from that environment).
 */
import { join } from 'node:path';
import type { HandlerName } from '../../lib/private/runtime-contract';

export function loadHandler<T>(name: HandlerName, env: Record<string, string | undefined>): T {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  // Tests assert on behaviour, not on log lines; set POWERTOOLS_LOG_LEVEL to see them.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  let loaded: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(join(__dirname, '..', '..', 'lambda', 'handlers', name)) as T;
  });
  return loaded as T;
}
