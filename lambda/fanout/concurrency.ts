/**
 * A concurrency limit that adapts to throttling (AIMD, as TCP congestion control does): each 429
 * halves the number of posts allowed in flight, each success adds about one back per round
 * trip, up to the configured maximum. The @connections API shares the account's request quota
 * with every API Gateway API, so the right concurrency is not known in advance: it is found.
 *
 * One instance is shared by every fan-out running in a Lambda instance, so records processed in
 * parallel share one bound, and what one record learns about throttling the others honour.
 */

/** A held place in flight; give it back with `release`. */
export interface Slot {
  /** The decrease epoch when the slot was taken (see `release`). */
  readonly epoch: number;
}

export type SlotOutcome = 'success' | 'throttled' | 'other';

export class AdaptiveConcurrency {
  private limitValue: number;
  private inFlightCount = 0;
  private epoch = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly max: number, readonly min: number = 1) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`max concurrency must be a positive integer, got ${max}`);
    if (!Number.isInteger(min) || min < 1 || min > max) throw new Error(`min concurrency must be in [1, ${max}], got ${min}`);
    this.limitValue = max;
  }

  /** Posts currently allowed in flight. */
  get limit(): number {
    return Math.floor(this.limitValue);
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Resolves when a post may start. Waiters are served in arrival order. */
  acquire(): Promise<Slot> {
    if (this.waiters.length === 0 && this.inFlightCount < this.limit) {
      return Promise.resolve(this.take());
    }
    return new Promise<Slot>((resolve) => {
      this.waiters.push(() => resolve(this.take()));
    });
  }

  release(slot: Slot, outcome: SlotOutcome): void {
    this.inFlightCount--;
    if (outcome === 'throttled') {
      // Halve once per burst: the posts that were already in flight when we last halved
      // report throttling for the same overload and must not halve again.
      if (slot.epoch === this.epoch) {
        this.limitValue = Math.max(this.min, this.limitValue / 2);
        this.epoch++;
      }
    } else if (outcome === 'success' && this.limitValue < this.max) {
      this.limitValue = Math.min(this.max, this.limitValue + 1 / this.limitValue);
    }
    this.wake();
  }

  private take(): Slot {
    this.inFlightCount++;
    return { epoch: this.epoch };
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.inFlightCount < this.limit) {
      this.waiters.shift()!();
    }
  }
}
