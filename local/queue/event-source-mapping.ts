/**
 * Feeds a queue to a function the way Lambda's SQS event source mapping does: batches of up to
 * `batchSize`, several batches in flight, partial batch responses (only the failed messages stay
 * on the queue), and a crashed invocation leaves its whole batch to come back after the
 * visibility timeout. Redrive to the dead-letter queue is the queue's own doing.
 */
import { LocalQueue } from './queue';
import { readBatchResponse, toLambdaRecord } from './records';

export interface EventSourceMappingOptions {
  readonly queue: LocalQueue;
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly region: string;
  readonly batchSize?: number;
  /** Batches in flight at once (Lambda starts with five pollers). */
  readonly maxConcurrency?: number;
  readonly log?: (line: string) => void;
  /**
   * Messages drained() does not wait for: connections' token timers, which stay on the queue as
   * long as a token lives.
   */
  readonly background?: (body: string) => boolean;
}

export interface MappingStats {
  invocations: number;
  failedInvocations: number;
  /** Messages left on the queue by partial batch responses. */
  failedItems: number;
}

export class EventSourceMapping {
  private inFlight = 0;
  private scheduled = false;
  private running = false;
  private readonly batches = new Set<Promise<void>>();
  private readonly settledListeners = new Set<() => void>();
  readonly stats: MappingStats = { invocations: 0, failedInvocations: 0, failedItems: 0 };
  private readonly onAvailable = () => this.schedule();

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): void {
    this.running = true;
    this.options.queue.on('available', this.onAvailable);
    this.schedule();
  }

  /** Stops polling and waits for the batches in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.options.queue.off('available', this.onAvailable);
    await Promise.allSettled([...this.batches]);
  }

  /** Polls soon: sends in the same tick are gathered into one batch, as a poller would. */
  schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.poll();
    });
  }

  /** Resolves once the queue is empty and no batch is in flight (retries and redrive included). */
  drained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!this.isDrained()) return;
        this.settledListeners.delete(check);
        resolve();
      };
      this.settledListeners.add(check);
    });
  }

  private isDrained(): boolean {
    const { queue, background } = this.options;
    if (this.inFlight > 0) return false;
    return queue.size === 0 || (background !== undefined && queue.count((m) => !background(m.body)) === 0);
  }

  private poll(): void {
    const { queue } = this.options;
    const batchSize = this.options.batchSize ?? 10;
    const maxConcurrency = this.options.maxConcurrency ?? 5;
    while (this.running && this.inFlight < maxConcurrency) {
      const messages = queue.receive(batchSize);
      if (messages.length === 0) break;
      this.inFlight++;
      const batch = this.invoke(messages.map((m) => ({ id: m.messageId, receiptHandle: m.receiptHandle! })), messages)
        .finally(() => {
          this.inFlight--;
          this.batches.delete(batch);
          this.schedule();
          for (const listener of [...this.settledListeners]) listener();
        });
      this.batches.add(batch);
    }
    for (const listener of [...this.settledListeners]) listener();
  }

  private async invoke(handles: Array<{ id: string; receiptHandle: string }>, messages: Parameters<typeof toLambdaRecord>[0][]): Promise<void> {
    const { queue, region } = this.options;
    const event = { Records: messages.map((m) => toLambdaRecord(m, queue.arn, region)) };
    this.stats.invocations++;
    let response: unknown;
    try {
      response = await this.options.invoke(event);
    } catch (error) {
      this.stats.failedInvocations++;
      this.options.log?.(`deliver failed on a batch of ${messages.length}; it returns to the queue after the visibility timeout: ${(error as Error).message}`);
      return;
    }
    const outcome = readBatchResponse(response, new Set(handles.map((h) => h.id)));
    if (outcome.kind === 'failure') {
      this.stats.failedInvocations++;
      this.options.log?.(`deliver answered an invalid partial batch response (${outcome.reason}); the whole batch returns to the queue`);
      return;
    }
    for (const handle of handles) {
      if (outcome.kind === 'partial' && outcome.failedIds.has(handle.id)) {
        this.stats.failedItems++;
        continue;
      }
      queue.delete(handle.receiptHandle);
    }
  }
}
