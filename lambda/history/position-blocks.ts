/**
 * Positions taken in blocks. While one increment of a stream's head is in flight, the
 * notifications that want a position in the same stream wait, then take theirs together in one
 * increment of the block's size, in the order they asked. A batch of notifications to one busy
 * stream so costs its head one or two writes instead of one each, a notification alone on its
 * stream waits for nothing, and no position is skipped.
 */

/** What one increment of `count` left: the last position it took, and what else the caller needs of it. */
export interface Increment<T> {
  readonly last: number;
  readonly with: T;
}

/** One position of a block: `seq`, and the increment's `with`. */
export interface Taken<T> {
  readonly seq: number;
  readonly with: T;
}

interface Waiter<T> {
  readonly nowMs: number;
  resolve(taken: Taken<T>): void;
  reject(error: unknown): void;
}

export class PositionBlocks<T> {
  private readonly waiting = new Map<string, Array<Waiter<T>>>();

  constructor(
    /** Increments the stream's head by `count`; `nowMs` is the newest of the block's clocks. */
    private readonly increment: (stream: string, count: number, nowMs: number) => Promise<Increment<T>>,
  ) {}

  /** The next position in `stream`. */
  take(stream: string, nowMs: number): Promise<Taken<T>> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(stream);
      if (queue !== undefined) return void queue.push({ nowMs, resolve, reject });
      this.waiting.set(stream, []);
      void this.run(stream, [{ nowMs, resolve, reject }]);
    });
  }

  /** Takes `block`, then whatever queued meanwhile, until none is waiting. */
  private async run(stream: string, block: Array<Waiter<T>>): Promise<void> {
    while (block.length > 0) {
      try {
        const { last, with: result } = await this.increment(stream, block.length, Math.max(...block.map((w) => w.nowMs)));
        block.forEach((waiter, i) => waiter.resolve({ seq: last - block.length + 1 + i, with: result }));
      } catch (error) {
        block.forEach((waiter) => waiter.reject(error));
      }
      block = this.waiting.get(stream)!.splice(0);
    }
    this.waiting.delete(stream);
  }
}
