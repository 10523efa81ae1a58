/**
 * A cap on posts per second (the construct's max delivery rate), as a token bucket in its
 * "generic cell rate" form: every caller reserves the next free send time at once, so concurrent
 * callers never race for the same token and nobody polls.
 */
import { Clock } from '../runtime/clock';

export class RateLimiter {
  private readonly intervalMs: number;
  /** How far ahead of "now" reservations may run before callers wait: the burst. */
  private readonly toleranceMs: number;
  private nextFreeAt = 0;

  /**
   * @param perSecond sustained posts per second (> 0)
   * @param burst posts that may go at once after a quiet spell; a tenth of a second's worth by default
   */
  constructor(readonly perSecond: number, private readonly clock: Clock, burst = Math.max(1, Math.ceil(perSecond / 10))) {
    if (!(perSecond > 0)) throw new Error(`rate must be positive, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** Resolves when one more post may start. */
  async take(): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(this.nextFreeAt, now);
    this.nextFreeAt = at + this.intervalMs;
    const waitMs = at - this.toleranceMs - now;
    if (waitMs > 0) await this.clock.sleep(waitMs);
  }
}
