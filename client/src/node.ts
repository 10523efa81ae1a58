/**
 * Node only (`cdk-realtime-notifications-client/node`): a position store in a JSON file, so a
 * service or worker resumes its streams after a restart. Kept out of the main module, which
 * imports nothing and loads in browsers as it is.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PositionStore } from './positions';

/**
 * Keeps stream positions in `file` (JSON, created with its folder when missing). Writes are
 * grouped: at most one per `flushMs`, and the last one when the process exits. Give each user
 * (or worker) a file of its own.
 */
export function filePositions(file: string, options: { flushMs?: number } = {}): PositionStore & { flush(): void } {
  let values: Record<string, string> = {};
  try {
    const read: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (read && typeof read === 'object') values = read as Record<string, string>;
  } catch {
    // none yet, or unreadable: start from the current positions
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    mkdirSync(dirname(file), { recursive: true });
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, JSON.stringify(values));
    renameSync(staging, file); // never a half-written file
  };
  process.once('exit', () => timer && flush());
  return {
    get: (key) => values[key],
    set: (key, value) => {
      values[key] = value;
      timer ??= setTimeout(flush, options.flushMs ?? 200);
      timer.unref?.();
    },
    flush,
  };
}
