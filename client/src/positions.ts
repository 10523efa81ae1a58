import type { Position } from './stream';

/**
 * Where the client keeps each stream's last position, so that after a page load it asks the
 * server for what it missed (the offline inbox). Synchronous, like `localStorage`.
 */
export interface PositionStore {
  get(key: string): string | null | undefined;
  set(key: string, value: string): void;
}

/**
 * Keeps positions in the browser's `localStorage`, under `prefix`. Give each signed-in user a
 * prefix of their own (`realtime:${userId}:`) when several share a browser.
 */
export function localStoragePositions(prefix = 'realtime:', storage: Storage = localStorage): PositionStore {
  return {
    get: (key) => storage.getItem(prefix + key),
    set: (key, value) => storage.setItem(prefix + key, value),
  };
}

export function readPosition(store: PositionStore | undefined, key: string): Position | undefined {
  try {
    const value = JSON.parse(store?.get(key) ?? 'null') as Position | null;
    return typeof value?.epoch === 'string' && Number.isInteger(value.seq) ? { epoch: value.epoch, seq: value.seq } : undefined;
  } catch {
    return undefined; // unreadable: start from the current position
  }
}
