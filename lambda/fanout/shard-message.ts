/**
 * The message deliver puts on its own queue to hand a part of an audience to another deliver
 * instance (sharding a large audience) or to itself later (retrying failed connections), and
 * puts on the dead-letter queue for connections that never got a notification. Pure.
 *
 * Version 1:
 * ```json
 * {
 *   "kind": "realtime-notifications/shard", "v": 1,
 *   "notification": { "id": "n-1", "target": { "topic": "orders/42" }, "data": {...}, "time": "2026-…Z" },
 *   "connectionIds": ["a1", "b2"],
 *   "attempt": 2,
 *   "reasons": { "a1": "THROTTLED", "b2": "SERVER_ERROR" }
 * }
 * ```
 * `attempt` is the delivery attempt this message asks for (1 for a fresh shard); `reasons`,
 * present on retries and dead letters, says why each connection failed last time. A dead letter
 * is itself a valid shard, so a DLQ redrive to the delivery queue tries those connections again.
 */
import { isJsonObject } from '../../lib/private/json-object';
import { LIMITS } from '../../lib/private/runtime-contract';
import { DeliveryFailureReason } from './fanout';
import { Notification } from '../protocol/notification';
import { NotificationTarget } from '../protocol/frames';

export const SHARD_KIND = 'realtime-notifications/shard';
const SHARD_VERSION = 1;

/** SQS's limit for one message, attributes included, and for one SendMessageBatch in total. */
export const SQS_MAX_MESSAGE_BYTES = LIMITS.maxSqsMessageBytes;
/** Room left in every message for its attributes. */
const MESSAGE_ATTRIBUTES_ALLOWANCE_BYTES = 8 * 1024;

export interface ShardMessage {
  readonly kind: typeof SHARD_KIND;
  readonly v: typeof SHARD_VERSION;
  readonly notification: Notification;
  readonly connectionIds: readonly string[];
  readonly attempt: number;
  readonly reasons?: Readonly<Record<string, DeliveryFailureReason>>;
}

/** A shard serialised for the queue. */
export interface EncodedShard {
  readonly body: string;
  readonly connectionIds: readonly string[];
  readonly attempt: number;
}

export interface ShardLimits {
  /** Connection ids per shard at most (the construct's shard size). */
  readonly maxIds: number;
  /** Body size in UTF-8 bytes at most. */
  readonly maxBytes: number;
}

export const DEFAULT_SHARD_MAX_BYTES = SQS_MAX_MESSAGE_BYTES - MESSAGE_ATTRIBUTES_ALLOWANCE_BYTES;

/**
 * Packs connection ids into shards of at most `maxIds` ids and `maxBytes` bytes, in the order
 * given. Feed ids as they are read (`add`), then `finish`; each call returns the shards it
 * completed, so a caller can enqueue them as it goes without holding the whole audience.
 */
export class ShardPacker {
  private readonly baseBytes: number;
  private ids: string[] = [];
  private reasons: Record<string, DeliveryFailureReason> = {};
  private bytes: number;

  constructor(
    private readonly notification: Notification,
    private readonly attempt: number,
    private readonly limits: ShardLimits,
    /** Whether the shards carry per-connection reasons. */
    private readonly withReasons = false,
  ) {
    this.baseBytes = byteLength(this.serialise([], withReasons ? {} : undefined));
    if (this.baseBytes + 64 > limits.maxBytes) {
      // Cannot happen for a notification that passed the contract (frame ≤ 128 KB).
      throw new Error(`A shard of notification ${notification.id} needs ${this.baseBytes} bytes before any connection id; `
        + `the limit is ${limits.maxBytes}.`);
    }
    this.bytes = this.baseBytes;
  }

  add(connectionIds: Iterable<string>, reasons?: Readonly<Record<string, DeliveryFailureReason>>): EncodedShard[] {
    const done: EncodedShard[] = [];
    for (const id of connectionIds) {
      const reason = this.withReasons ? reasons?.[id] : undefined;
      // Every id costs its JSON string and a comma; with a reason, the key, colon, value and comma too.
      const idBytes = byteLength(JSON.stringify(id));
      const cost = idBytes + 1 + (this.withReasons ? idBytes + 2 + byteLength(JSON.stringify(reason ?? '')) : 0);
      if (this.ids.length > 0 && (this.ids.length >= this.limits.maxIds || this.bytes + cost > this.limits.maxBytes)) {
        done.push(this.take());
      }
      this.ids.push(id);
      if (reason !== undefined) this.reasons[id] = reason;
      this.bytes += cost;
    }
    return done;
  }

  finish(): EncodedShard[] {
    return this.ids.length > 0 ? [this.take()] : [];
  }

  private take(): EncodedShard {
    const connectionIds = this.ids;
    const body = this.serialise(connectionIds, this.withReasons ? this.reasons : undefined);
    this.ids = [];
    this.reasons = {};
    this.bytes = this.baseBytes;
    return { body, connectionIds, attempt: this.attempt };
  }

  private serialise(connectionIds: readonly string[], reasons?: Record<string, DeliveryFailureReason>): string {
    const message: ShardMessage = {
      kind: SHARD_KIND,
      v: SHARD_VERSION,
      notification: this.notification,
      connectionIds,
      attempt: this.attempt,
      ...(reasons ? { reasons } : {}),
    };
    return JSON.stringify(message);
  }
}

/** Splits a whole list at once; see ShardPacker. */
export function packShards(
  notification: Notification,
  connectionIds: readonly string[],
  attempt: number,
  limits: ShardLimits,
  reasons?: Readonly<Record<string, DeliveryFailureReason>>,
): EncodedShard[] {
  const packer = new ShardPacker(notification, attempt, limits, reasons !== undefined);
  return [...packer.add(connectionIds, reasons), ...packer.finish()];
}

/** Whether a parsed queue body claims to be a shard (then it must parse as one). */
export function isShardMessage(body: unknown): boolean {
  return isJsonObject(body) && body.kind === SHARD_KIND;
}

export type ShardParseResult = { readonly ok: true; readonly shard: ShardMessage } | { readonly ok: false; readonly message: string };

/** Checks a parsed body that claims to be a shard; deliver wrote it, but queues can be fed by hand. */
export function parseShardMessage(body: unknown): ShardParseResult {
  const fail = (message: string): ShardParseResult => ({ ok: false, message: `Not a valid shard message: ${message}.` });
  if (!isShardMessage(body)) return fail(`"kind" is not "${SHARD_KIND}"`);
  const m = body as Record<string, unknown>;
  if (m.v !== SHARD_VERSION) return fail(`version ${JSON.stringify(m.v)} is not ${SHARD_VERSION}`);
  if (!Number.isInteger(m.attempt) || (m.attempt as number) < 1) return fail('"attempt" must be an integer of at least 1');
  if (!Array.isArray(m.connectionIds) || !m.connectionIds.every((id) => typeof id === 'string' && id.length > 0)) {
    return fail('"connectionIds" must be an array of non-empty strings');
  }
  if (m.reasons !== undefined && !isJsonObject(m.reasons)) {
    return fail('"reasons" must be an object');
  }
  const n = m.notification as Record<string, unknown> | null | undefined;
  if (typeof n !== 'object' || n === null) return fail('"notification" is missing');
  if (typeof n.id !== 'string' || n.id.length === 0) return fail('"notification.id" must be a non-empty string');
  if (typeof n.time !== 'string') return fail('"notification.time" must be a string');
  const payload = n.payload as Record<string, unknown> | undefined;
  if (payload !== undefined && (typeof payload !== 'object' || payload === null || typeof payload.key !== 'string'
    || !Number.isSafeInteger(payload.size) || typeof payload.sha256 !== 'string')) {
    return fail('"notification.payload" must be {"key", "size", "sha256"}');
  }
  if (!('data' in n) && payload === undefined) return fail('"notification.data" is missing');
  if (n.from !== undefined && (typeof n.from !== 'string' || n.from.length === 0)) return fail('"notification.from" must be a non-empty string');
  if ((n.seq === undefined) !== (n.epoch === undefined)
    || (n.seq !== undefined && (!Number.isInteger(n.seq) || (n.seq as number) < 1 || typeof n.epoch !== 'string'))) {
    return fail('"notification.seq" and "notification.epoch" go together: a positive integer and a string');
  }
  const target = parseTarget(n.target);
  if (!target) return fail('"notification.target" must be {"topic": …}, {"userId": …} or {"broadcast": true}');
  return {
    ok: true,
    shard: {
      kind: SHARD_KIND,
      v: SHARD_VERSION,
      notification: {
        id: n.id,
        ...(n.seq !== undefined ? { seq: n.seq as number, epoch: n.epoch as string } : {}),
        target,
        ...(payload !== undefined
          ? { payload: { key: payload.key as string, size: payload.size as number, sha256: payload.sha256 as string } }
          : { data: n.data }),
        ...(n.from !== undefined ? { from: n.from as string } : {}),
        time: n.time,
      },
      connectionIds: m.connectionIds as string[],
      attempt: m.attempt as number,
      ...(m.reasons !== undefined ? { reasons: m.reasons as Record<string, DeliveryFailureReason> } : {}),
    },
  };
}

function parseTarget(value: unknown): NotificationTarget | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = value as Record<string, unknown>;
  const keys = Object.keys(t);
  if (keys.length !== 1) return undefined;
  if (typeof t.topic === 'string') return { topic: t.topic };
  if (typeof t.userId === 'string') return { userId: t.userId };
  if (t.broadcast === true) return { broadcast: true };
  return undefined;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
