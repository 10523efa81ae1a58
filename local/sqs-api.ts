/**
 * A local stand-in for the part of the Amazon SQS API that sends messages: `SendMessage` and
 * `SendMessageBatch` over the AWS JSON 1.0 protocol (`POST /`, `X-Amz-Target: AmazonSQS.…`),
 * answering as SQS does (message ids, body MD5s, per-entry batch failures, SQS's size and count
 * limits), so the real `SQSClient` works against it with the queue URL as endpoint. Messages are
 * kept in memory per queue URL, for tests to inspect and for the local runtime to feed its
 * queue consumer from.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { LIMITS } from '../lib/private/runtime-contract';
import { BodyTooLargeError, readBody, sendJson } from './http';
import { serveOnLoopback } from './loopback-server';
import { md5OfBody, md5OfMessageAttributes, MessageAttributeValue } from './queue/checksums';

export type { MessageAttributeValue };

/** SQS's limits (with queues at their default maximum message size). */
export const SQS_LIMITS = {
  maxMessageBytes: LIMITS.maxSqsMessageBytes,
  maxBatchEntries: LIMITS.maxBatchEntries,
  maxBatchBytes: LIMITS.maxSqsMessageBytes,
  maxDelaySeconds: LIMITS.maxSqsDelaySeconds,
  maxMessageAttributes: LIMITS.maxSqsMessageAttributes,
};

export interface StoredMessage {
  readonly messageId: string;
  readonly queueUrl: string;
  readonly body: string;
  /** String (and Number) attribute values by name. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly delaySeconds: number;
  /** Epoch milliseconds. */
  readonly sentAt: number;
  /** When it becomes visible to consumers: sentAt + delay. */
  readonly availableAt: number;
}

export type SqsAction = 'SendMessage' | 'SendMessageBatch';

/** A fault to inject: an error code (and HTTP status for a whole request) instead of success. */
export interface SqsFault {
  readonly code: string;
  readonly message?: string;
  /** For a batch entry: whether SQS blames the sender (true) or itself (false, retryable). */
  readonly senderFault?: boolean;
  /** For a whole request: the HTTP status, 500 by default. */
  readonly status?: number;
}

/**
 * Decides per request (`entryId` undefined: fails the whole call) and per batch entry whether to
 * fail it. Return undefined to let it through.
 */
export type SqsFaultInjector = (request: {
  readonly action: SqsAction;
  readonly queueUrl: string;
  readonly entryId?: string;
  readonly body?: string;
}) => SqsFault | undefined;

/** The messages sent to each queue URL, in order. */
export class LocalQueueStore {
  private readonly queues = new Map<string, StoredMessage[]>();
  private readonly listeners = new Set<(message: StoredMessage) => void>();

  add(message: StoredMessage): void {
    const queue = this.queues.get(message.queueUrl) ?? [];
    queue.push(message);
    this.queues.set(message.queueUrl, queue);
    for (const listener of this.listeners) listener(message);
  }

  /** Every message held for a queue, delayed ones included. */
  messages(queueUrl: string): StoredMessage[] {
    return [...(this.queues.get(queueUrl) ?? [])];
  }

  /** Removes and returns up to `max` messages whose delay has passed, oldest first. */
  take(queueUrl: string, max = Infinity, now = Date.now()): StoredMessage[] {
    const queue = this.queues.get(queueUrl) ?? [];
    const taken: StoredMessage[] = [];
    const kept: StoredMessage[] = [];
    for (const message of queue) {
      if (taken.length < max && message.availableAt <= now) taken.push(message);
      else kept.push(message);
    }
    this.queues.set(queueUrl, kept);
    return taken;
  }

  /** Removes and returns every message of a queue, delayed ones included. */
  drain(queueUrl: string): StoredMessage[] {
    const all = this.messages(queueUrl);
    this.queues.delete(queueUrl);
    return all;
  }

  /** Calls `listener` for every message sent from now on; returns the unsubscribe function. */
  onMessage(listener: (message: StoredMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface SqsApiOptions {
  readonly store: LocalQueueStore;
  readonly faults?: SqsFaultInjector;
  /** Only these queue URLs exist (others answer QueueDoesNotExist); any URL when unset. */
  readonly queueUrls?: readonly string[];
  /**
   * Milliseconds to hold back the answer to a request, which takes effect at once: a slow SQS,
   * whose caller cannot tell whether its messages were taken. Undefined or 0 answers at once.
   */
  readonly latency?: (request: { readonly action: SqsAction; readonly queueUrl: string }) => number | undefined;
}

const TARGET_PREFIX = 'AmazonSQS.';

/**
 * Largest request body read. JSON spells the bytes SQS counts at more than their size (escapes,
 * base64 binary values, the envelope), so this leaves room beyond SQS's limit: a request over it
 * could hold nothing SQS accepts, and is refused without being kept.
 */
const MAX_REQUEST_BYTES = 4 * SQS_LIMITS.maxBatchBytes;

/**
 * Handles the request if it is an SQS JSON-protocol call (`X-Amz-Target: AmazonSQS.*`) and
 * returns true; otherwise returns false and leaves the response alone.
 */
export function handleSqsRequest(req: IncomingMessage, res: ServerResponse, opts: SqsApiOptions): boolean {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return false;
  const action = target.slice(TARGET_PREFIX.length);
  readBody(req, MAX_REQUEST_BYTES).then((text) => {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(text || '{}');
    } catch {
      sendError(res, 400, 'SerializationException', 'The request body is not valid JSON.');
      return;
    }
    const lateMs = opts.latency?.({ action: action as SqsAction, queueUrl: String(input.QueueUrl) });
    if (lateMs) answerLate(res, lateMs);
    try {
      switch (action) {
        case 'SendMessage':
          sendMessage(input, opts, res);
          return;
        case 'SendMessageBatch':
          sendMessageBatch(input, opts, res);
          return;
        default:
          sendError(res, 400, 'UnsupportedOperation', `The local SQS API does not implement ${action}.`);
      }
    } catch (error) {
      if (error instanceof SqsError) sendError(res, error.status, error.code, error.message);
      else sendError(res, 500, 'InternalError', String(error));
    }
  }, (error: Error) => {
    if (error instanceof BodyTooLargeError) {
      sendError(res, 413, 'RequestEntityTooLarge', `The request body is over ${MAX_REQUEST_BYTES} bytes, larger than any request SQS`
        + ` accepts (at most ${SQS_LIMITS.maxBatchBytes} bytes of messages): send fewer or smaller messages per request.`);
    } else {
      req.socket.destroy(); // the request broke off: nobody is left to answer
    }
  });
  return true;
}

/** Holds back the response's end by `ms`; nothing is sent if the caller gives up first. */
function answerLate(res: ServerResponse, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const timer = setTimeout(() => end(...args), ms);
    res.once('close', () => clearTimeout(timer));
    return res;
  }) as ServerResponse['end'];
}

class SqsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

interface EntryInput {
  readonly Id?: unknown;
  readonly MessageBody?: unknown;
  readonly DelaySeconds?: unknown;
  readonly MessageAttributes?: unknown;
}

function sendMessage(input: Record<string, unknown>, opts: SqsApiOptions, res: ServerResponse): void {
  const queueUrl = checkQueue(input.QueueUrl, opts);
  const fault = opts.faults?.({ action: 'SendMessage', queueUrl, body: input.MessageBody as string | undefined });
  if (fault) throw new SqsError(fault.code, fault.message ?? 'Injected fault', fault.status ?? 500);
  const prepared = prepare(input as EntryInput, queueUrl);
  if (prepared instanceof SqsError) throw prepared;
  opts.store.add(prepared.message);
  sendSqsJson(res, 200, {
    MessageId: prepared.message.messageId,
    MD5OfMessageBody: md5OfBody(prepared.message.body),
    ...(prepared.attributesMd5 ? { MD5OfMessageAttributes: prepared.attributesMd5 } : {}),
  });
}

function sendMessageBatch(input: Record<string, unknown>, opts: SqsApiOptions, res: ServerResponse): void {
  const queueUrl = checkQueue(input.QueueUrl, opts);
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
  }
  if (entries.length > SQS_LIMITS.maxBatchEntries) {
    throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${SQS_LIMITS.maxBatchEntries}. You have sent ${entries.length}.`);
  }
  const ids = entries.map((e: EntryInput) => e.Id);
  if (new Set(ids).size !== ids.length) throw new SqsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  const total = entries.reduce((sum: number, e: EntryInput) => sum + messageSize(e), 0);
  if (total > SQS_LIMITS.maxBatchBytes) {
    throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${SQS_LIMITS.maxBatchBytes} bytes. You have sent ${total} bytes.`);
  }
  const requestFault = opts.faults?.({ action: 'SendMessageBatch', queueUrl });
  if (requestFault) throw new SqsError(requestFault.code, requestFault.message ?? 'Injected fault', requestFault.status ?? 500);

  const successful: unknown[] = [];
  const failed: unknown[] = [];
  for (const entry of entries as EntryInput[]) {
    const id = String(entry.Id);
    const fault = opts.faults?.({ action: 'SendMessageBatch', queueUrl, entryId: id, body: entry.MessageBody as string | undefined });
    if (fault) {
      failed.push({ Id: id, SenderFault: fault.senderFault ?? false, Code: fault.code, Message: fault.message ?? 'Injected fault' });
      continue;
    }
    const prepared = prepare(entry, queueUrl);
    if (prepared instanceof SqsError) {
      failed.push({ Id: id, SenderFault: true, Code: prepared.code, Message: prepared.message });
      continue;
    }
    opts.store.add(prepared.message);
    successful.push({
      Id: id,
      MessageId: prepared.message.messageId,
      MD5OfMessageBody: md5OfBody(prepared.message.body),
      ...(prepared.attributesMd5 ? { MD5OfMessageAttributes: prepared.attributesMd5 } : {}),
    });
  }
  sendSqsJson(res, 200, { Successful: successful, Failed: failed });
}

function checkQueue(queueUrl: unknown, opts: SqsApiOptions): string {
  if (typeof queueUrl !== 'string' || queueUrl.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  if (opts.queueUrls && !opts.queueUrls.includes(queueUrl)) {
    throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  }
  return queueUrl;
}

function prepare(entry: EntryInput, queueUrl: string): { message: StoredMessage; attributesMd5?: string } | SqsError {
  if (typeof entry.MessageBody !== 'string' || entry.MessageBody.length === 0) {
    return new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  }
  const delaySeconds = entry.DelaySeconds === undefined ? 0 : Number(entry.DelaySeconds);
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > SQS_LIMITS.maxDelaySeconds) {
    return new SqsError('InvalidParameterValue', `Value ${String(entry.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${SQS_LIMITS.maxDelaySeconds}.`);
  }
  const size = messageSize(entry);
  if (size > SQS_LIMITS.maxMessageBytes) {
    return new SqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_LIMITS.maxMessageBytes} bytes.`);
  }
  const messageAttributes = (entry.MessageAttributes ?? {}) as Record<string, MessageAttributeValue>;
  if (Object.keys(messageAttributes).length > SQS_LIMITS.maxMessageAttributes) {
    return new SqsError('InvalidParameterValue', `Number of message attributes [${Object.keys(messageAttributes).length}] exceeds the allowed maximum [${SQS_LIMITS.maxMessageAttributes}].`);
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(messageAttributes)) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  const sentAt = Date.now();
  return {
    message: {
      messageId: randomUUID(),
      queueUrl,
      body: entry.MessageBody,
      attributes,
      messageAttributes,
      delaySeconds,
      sentAt,
      availableAt: sentAt + delaySeconds * 1000,
    },
    attributesMd5: md5OfMessageAttributes(messageAttributes),
  };
}

/** The size SQS counts: the body plus every attribute's name, type and value. */
function messageSize(entry: EntryInput): number {
  let size = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
  for (const [name, value] of Object.entries((entry.MessageAttributes ?? {}) as Record<string, MessageAttributeValue>)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '')
      + Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue ? Buffer.from(value.BinaryValue, 'base64').length : 0);
  }
  return size;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.setHeader('x-amzn-query-error', `AWS.SimpleQueueService.${code};${status < 500 ? 'Sender' : 'Receiver'}`);
  sendSqsJson(res, status, { __type: `com.amazonaws.sqs#${code}`, message });
}

/** An answer as SQS's JSON protocol: its content type and a request id. */
function sendSqsJson(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, 'application/x-amz-json-1.0', { 'x-amzn-RequestId': randomUUID() });
}

export interface SqsApiServer {
  /** The endpoint (origin) the SQS client reaches it at, e.g. `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly store: LocalQueueStore;
  readonly server: Server;
  /** A queue URL on this server, e.g. `http://127.0.0.1:PORT/000000000000/delivery`. */
  queueUrl(name: string): string;
  close(): Promise<void>;
}

/** Serves only the SQS API on its own port, for tests that need nothing else. */
export async function startSqsApi(options: Partial<SqsApiOptions> & { port?: number } = {}): Promise<SqsApiServer> {
  const store = options.store ?? new LocalQueueStore();
  const apiOptions: SqsApiOptions = { store, faults: options.faults, queueUrls: options.queueUrls, latency: options.latency };
  const { server, origin: endpoint, close } = await serveOnLoopback((req, res) => handleSqsRequest(req, res, apiOptions), options.port);
  return { endpoint, store, server, queueUrl: (name) => `${endpoint}/000000000000/${name}`, close };
}
