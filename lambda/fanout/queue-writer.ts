/**
 * Puts messages on SQS queues: shards and retries on the delivery queue, dead letters on the DLQ.
 * Sends in SendMessageBatch calls within SQS's limits (10 entries, 256 KB in total), re-sends
 * the entries SQS failed (partial batch failures), and throws if any message could not be
 * sent, so the caller fails its record and SQS retries it: nothing is dropped. The call itself
 * is injected (lambda/fanout/sqs-batch-send.ts), so the SQS client loads only when needed.
 */
import { LIMITS } from '../../lib/private/runtime-contract';
import { fullJitterDelayMs } from '../runtime/retry';
import { SQS_MAX_MESSAGE_BYTES } from './shard-message';

export interface OutgoingMessage {
  readonly body: string;
  readonly delaySeconds?: number;
  /** String message attributes. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const SQS_BATCH_LIMITS = { maxEntries: LIMITS.maxBatchEntries, maxBytes: SQS_MAX_MESSAGE_BYTES };

/** The size SQS counts for a message: body plus attribute names, types and values. */
export function messageBytes(message: OutgoingMessage): number {
  let size = Buffer.byteLength(message.body, 'utf8');
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return size;
}

/** Groups messages, in order, into batches within both SendMessageBatch limits. */
export function packBatches(messages: readonly OutgoingMessage[], limits = SQS_BATCH_LIMITS): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let batch: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (batch.length > 0 && (batch.length >= limits.maxEntries || bytes + size > limits.maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** One entry of a SendMessageBatch call; `id` is unique within the call. */
export interface BatchEntry {
  readonly id: string;
  readonly message: OutgoingMessage;
}

/** An entry SQS did not take. */
export interface BatchEntryFailure {
  readonly id: string;
  readonly code: string;
  /** The message itself is at fault: sending it again cannot succeed. */
  readonly senderFault: boolean;
}

/**
 * One SendMessageBatch call: resolves with the entries SQS failed, rejects if the call failed or
 * `signal` aborted it.
 */
export type SendBatch = (queueUrl: string, entries: readonly BatchEntry[], signal?: AbortSignal) => Promise<BatchEntryFailure[]>;

export class QueueSendError extends Error {
  constructor(readonly queueUrl: string, readonly unsent: number, readonly codes: string[]) {
    super(`${unsent} message(s) could not be sent to ${queueUrl} (${codes.join(', ')}).`);
    this.name = 'QueueSendError';
  }
}

export interface QueueWriterOptions {
  /** Rounds of re-sending the entries a batch failed, the first send included. */
  readonly rounds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Abandons the calls once it aborts (the invocation's time is up): sendAll then rejects. */
  readonly signal?: AbortSignal;
}

export class QueueWriter {
  private readonly rounds: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly signal?: AbortSignal;

  constructor(private readonly send: SendBatch, options: QueueWriterOptions = {}) {
    this.rounds = options.rounds ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.signal = options.signal;
  }

  /** Sends every message or throws QueueSendError. */
  async sendAll(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const batch of packBatches(messages)) await this.sendBatch(queueUrl, batch);
  }

  private async sendBatch(queueUrl: string, batch: readonly OutgoingMessage[]): Promise<void> {
    let pending = batch.map((message, i) => ({ id: String(i), message }));
    let codes: string[] = [];
    for (let round = 1; round <= this.rounds && pending.length > 0; round++) {
      if (round > 1) await this.sleep(fullJitterDelayMs(round - 1, { baseMs: 50, capMs: 1_000 }));
      this.signal?.throwIfAborted();
      const failed = await this.send(queueUrl, pending, this.signal);
      codes = failed.map((f) => f.code);
      // A sender fault (a message SQS will never take) is not worth re-sending.
      if (failed.some((f) => f.senderFault)) throw new QueueSendError(queueUrl, failed.length, codes);
      const failedIds = new Set(failed.map((f) => f.id));
      pending = pending.filter((entry) => failedIds.has(entry.id));
    }
    if (pending.length > 0) throw new QueueSendError(queueUrl, pending.length, codes);
  }
}
