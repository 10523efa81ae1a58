/** How long to wait before reconnect attempt `attempt` (0 for the first). */
export interface BackoffOptions {
  /** The cap of the first attempt's wait, doubled per attempt. @default 500 */
  readonly initialDelayMs?: number;
  /** The largest wait. @default 30000 */
  readonly maxDelayMs?: number;
}

/**
 * Exponential backoff with full jitter: a uniformly random wait between 0 and
 * min(max, initial × 2^attempt). Spreading the waits keeps a fleet of clients from reconnecting
 * in step after an outage.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  return Math.floor(random() * Math.min(max, initial * 2 ** Math.min(attempt, 30)));
}
