/**
 * An in-memory queue with SQS's delivery semantics: delays, a visibility timeout per receive,
 * receive counts, deletion by receipt handle, and redrive to a dead-letter queue once a message
 * has been received maxReceiveCount times.
 */
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { md5OfBody, md5OfMessageAttributes, MessageAttributeValue } from './checksums';

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly md5OfBody: string;
  readonly md5OfMessageAttributes?: string;
  readonly sentTimestamp: number;
  readonly senderId: string;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The queue this message was moved from by redrive. */
  deadLetterQueueSourceArn?: string;
  /** Epoch ms from which a receive may return it (delay or visibility timeout). */
  visibleAt: number;
  receiptHandle?: string;
}

export interface SendOptions {
  /** Kept when the message was accepted elsewhere first (by the SQS API, which answered with this id). */
  readonly messageId?: string;
  readonly sentTimestamp?: number;
  readonly delaySeconds?: number;
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
  readonly senderId?: string;
}

export interface RedrivePolicy {
  readonly deadLetterQueue: LocalQueue;
  readonly maxReceiveCount: number;
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds?: number;
  readonly redrive?: RedrivePolicy;
}

/** Emits `available` when a message may have become receivable. */
export class LocalQueue extends EventEmitter {
  private readonly messages = new Map<string, QueuedMessage>();
  private readonly byReceiptHandle = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;

  constructor(readonly options: LocalQueueOptions) {
    super();
  }

  get url(): string {
    return this.options.url;
  }

  get arn(): string {
    return this.options.arn;
  }

  /** Every message in the queue, visible or not. */
  get size(): number {
    return this.messages.size;
  }

  /** Messages in the queue, visible or not, that `matches`. */
  count(matches: (message: QueuedMessage) => boolean): number {
    let n = 0;
    for (const message of this.messages.values()) if (matches(message)) n++;
    return n;
  }

  send(body: string, options: SendOptions = {}): QueuedMessage {
    const attributes = options.messageAttributes ?? {};
    const message: QueuedMessage = {
      messageId: options.messageId ?? randomUUID(),
      body,
      messageAttributes: attributes,
      md5OfBody: md5OfBody(body),
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      sentTimestamp: options.sentTimestamp ?? Date.now(),
      senderId: options.senderId ?? 'AIDALOCALSENDER000000',
      receiveCount: 0,
      visibleAt: (options.sentTimestamp ?? Date.now()) + (options.delaySeconds ?? 0) * 1000,
    };
    this.messages.set(message.messageId, message);
    // A wake-up already due no later than this message covers it: no need to look at the rest.
    if (this.timerAt > message.visibleAt) this.scheduleWakeUp();
    return message;
  }

  /**
   * Up to `max` visible messages, oldest first, each made invisible for the visibility timeout
   * with a new receipt handle. Messages already received maxReceiveCount times go to the
   * dead-letter queue instead.
   */
  receive(max: number, now = Date.now()): QueuedMessage[] {
    const received: QueuedMessage[] = [];
    for (const message of this.messages.values()) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      const redrive = this.options.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.remove(message);
        redrive.deadLetterQueue.adopt(message, this.arn);
        continue;
      }
      if (message.receiptHandle) this.byReceiptHandle.delete(message.receiptHandle);
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + (this.options.visibilityTimeoutSeconds ?? 30) * 1000;
      message.receiptHandle = randomBytes(48).toString('base64');
      this.byReceiptHandle.set(message.receiptHandle, message.messageId);
      received.push(message);
    }
    this.scheduleWakeUp();
    return received;
  }

  /** Deletes a received message; false if the handle is stale (the message was received again). */
  delete(receiptHandle: string): boolean {
    const messageId = this.byReceiptHandle.get(receiptHandle);
    const message = messageId ? this.messages.get(messageId) : undefined;
    if (!message) return false;
    this.remove(message);
    return true;
  }

  /** A copy of every message, for inspection (the dead-letter queue, tests). */
  peekAll(): QueuedMessage[] {
    return [...this.messages.values()].map((m) => ({ ...m }));
  }

  purge(): number {
    const count = this.messages.size;
    this.messages.clear();
    this.byReceiptHandle.clear();
    return count;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Takes a message moved here by redrive; it keeps its id, body, attributes and sent time. */
  private adopt(message: QueuedMessage, sourceArn: string): void {
    const moved: QueuedMessage = {
      ...message,
      deadLetterQueueSourceArn: sourceArn,
      receiptHandle: undefined,
      visibleAt: Date.now(),
    };
    this.messages.set(moved.messageId, moved);
    this.scheduleWakeUp();
  }

  private remove(message: QueuedMessage): void {
    this.messages.delete(message.messageId);
    if (message.receiptHandle) this.byReceiptHandle.delete(message.receiptHandle);
  }

  /** Emits `available` now (soon) or when the earliest delayed or invisible message comes back. */
  private scheduleWakeUp(): void {
    this.close();
    let earliest = Infinity;
    for (const message of this.messages.values()) earliest = Math.min(earliest, message.visibleAt);
    if (earliest === Infinity) return;
    this.timerAt = earliest;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.emit('available');
    }, Math.max(0, earliest - Date.now()));
    this.timer.unref();
  }
}
