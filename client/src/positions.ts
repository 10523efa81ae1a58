import type { Position } from './stream';

/**
 * Where the client keeps each stream's last position, so that after a page load it asks the
 * server for what it missed (the offline inbox). Synchronous, like `localStorage`.
 */
export interface PositionStore {
  get(key: string): string | null | undefined;
  set(key: string, value: string): void;
}

/** The part of the Web Storage API the store uses. */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * Keeps positions in the browser's `localStorage`, under `prefix`. Give each signed-in user a
 * prefix of their own (`realtime:${userId}:`) when several share a browser. Where there is no
 * `localStorage` (Node, a server render), it keeps them in memory for the life of the process:
 * on Node, `filePositions(file)` from `cdk-realtime-notifications-client/node` keeps them across
 * restarts.
 */
export function localStoragePositions(prefix = 'realtime:', storage: StorageLike | undefined = webStorage()): PositionStore {
  const memory = new Map<string, string>();
  return storage
    ? { get: (key) => storage.getItem(prefix + key), set: (key, value) => storage.setItem(prefix + key, value) }
    : { get: (key) => memory.get(prefix + key), set: (key, value) => void memory.set(prefix + key, value) };
}

/** `globalThis.localStorage` when there is a usable one (Node 22 may define it without a backing file). */
function webStorage(): StorageLike | undefined {
  try {
    const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
    return typeof storage?.getItem === 'function' ? storage : undefined;
  } catch {
    return undefined; // a sandboxed frame, say
  }
}

export function readPosition(store: PositionStore | undefined, key: string): Position | undefined {
  try {
    const value = JSON.parse(store?.get(key) ?? 'null') as Position | null;
    return typeof value?.epoch === 'string' && Number.isInteger(value.seq) ? { epoch: value.epoch, seq: value.seq } : undefined;
  } catch {
    return undefined; // unreadable: start from the current position
  }
}
