/**
 * Loads a handler module the way Lambda does: its environment set first, then a fresh module
 * instance (so its init-time configuration and clients are built from that environment).
 */
export function loadHandler<T>(modulePath: string, env: Record<string, string | undefined>): T {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  // Quiet, structured logs; tests assert on behaviour, not on log lines.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  let loaded: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(modulePath) as T;
  });
  return loaded as T;
}
