/**
 * The publish contract: what a backend may put on the bus, checked on the way out
 * of the queue. Pure. A violation comes back with a reason code (listed in
 * lib/private/protocol/dead-letters.ts) and a message that says what to change; the caller dead-letters it.
 */
import { printable } from '../../lib/private/control-characters';
import { isJsonObject } from '../../lib/private/json-object';
import type { RejectReason } from '../../lib/private/protocol/dead-letters';
import { firstViolation } from '../../lib/private/protocol/json-schema';
import {
  MAX_DATA_DEPTH, MAX_NOTIFICATION_ID_LENGTH, namesTarget, NOTIFICATION_ID, NOTIFICATION_TARGET_FIELDS, NOTIFICATION_TARGETS, NotificationTargetField,
  PAYLOAD_REFERENCE,
} from '../../lib/private/protocol/notification-event';
import { payloadKeyProblem } from '../payloads/payloads';
import { LIMITS } from '../../lib/private/runtime-contract';
import { userIdProblem } from '../../lib/private/topic-segment';
import { encodeNotification, EncodedNotification, PayloadReference } from './notification';
import { NotificationTarget } from './frames';
import { checkTopic } from './topics';
import { PushContent, pushContentProblem } from '../push/push-message';

export type { RejectReason };

export { MAX_DATA_DEPTH, MAX_NOTIFICATION_ID_LENGTH };

export interface PublishContractOptions {
  /** The configured detail type (`Notification` unless changed). */
  readonly detailType: string;
  readonly allowBroadcast: boolean;
  /** The largest payload (its JSON) delivered by reference; without it, a frame over 128 KB is refused. */
  readonly maxPayloadBytes?: number;
}

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  readonly message: string;
  /** The EventBridge event id, when the body had one. */
  readonly eventId?: string;
}

/** An accepted notification; `push` when it has a push part and targets a user or a topic (broadcasts' are never pushed). */
export type ContractResult = ({ readonly ok: true; readonly eventId: string; readonly push?: PushContent } & EncodedNotification) | Rejection;

/** The fields of an EventBridge event that delivery reads. */
interface EventEnvelope {
  readonly 'id'?: unknown;
  readonly 'detail-type'?: unknown;
  readonly 'time'?: unknown;
  readonly 'detail'?: unknown;
}

/**
 * Checks one EventBridge event (the parsed body of a queue message) against the contract and,
 * when it holds, returns the notification with its frame serialised.
 * Unknown detail fields are ignored, so publishers can carry their own metadata.
 */
export function checkPublishedEvent(event: unknown, options: PublishContractOptions): ContractResult {
  if (!isJsonObject(event)) {
    return reject('NOT_JSON', 'The queue message is not an EventBridge event (a JSON object with "detail-type" and "detail").');
  }
  const envelope = event as EventEnvelope;
  const eventId = typeof envelope.id === 'string' && envelope.id.length > 0 ? envelope.id : undefined;
  const rejectEvent = (reason: RejectReason, message: string): Rejection => reject(reason, message, eventId);

  if (envelope['detail-type'] !== options.detailType) {
    return rejectEvent('WRONG_DETAIL_TYPE', `The event's detail type is ${quote(envelope['detail-type'])}; `
      + `publish with DetailType "${options.detailType}".`);
  }
  if (!isJsonObject(envelope.detail)) {
    return rejectEvent('NOT_JSON', 'The event has no JSON object "detail". Publish a Detail such as {"topic":"orders/42","data":{}}.');
  }
  const detail = envelope.detail;

  // A null, or `broadcast: false`, is no target at all, so it may stand beside a topic or a user.
  const present = NOTIFICATION_TARGET_FIELDS.filter((field) => namesTarget(field, detail[field]));
  if (present.length > 1) {
    return rejectEvent('MULTIPLE_TARGETS', `The detail has ${present.map((f) => `"${f}"`).join(' and ')}; `
      + 'give exactly one of "topic", "userId" or "broadcast".');
  }
  if (present.length === 0) {
    return rejectEvent('NO_TARGET', 'The detail has no target; give exactly one of "topic", "userId" or "broadcast": true.');
  }
  const target = checkTarget(present[0], detail[present[0]], options);
  if ('reason' in target) return rejectEvent(target.reason, target.message);

  const hasPayload = detail.payload !== undefined && detail.payload !== null;
  if ((detail.data === undefined) === !hasPayload) {
    return rejectEvent('MISSING_DATA', hasPayload
      ? 'The detail has both "data" and "payload"; give one: "data" inline, or "payload", a reference to an object in the payload bucket.'
      : 'The detail has no "data"; add the payload (any JSON value) to deliver.');
  }
  let payload: PayloadReference | undefined;
  if (hasPayload) {
    const checked = checkPayloadReference(detail.payload, options);
    if (typeof checked === 'string') return rejectEvent('BAD_PAYLOAD', checked);
    payload = checked;
  } else if (nestsDeeperThan(detail.data, MAX_DATA_DEPTH)) {
    return rejectEvent('DATA_TOO_DEEP', `"data" nests objects and arrays more than ${MAX_DATA_DEPTH} levels deep; `
      + `flatten it to at most ${MAX_DATA_DEPTH} levels.`);
  }

  if (detail.id !== undefined && firstViolation(detail.id, NOTIFICATION_ID) !== undefined) {
    return rejectEvent('BAD_ID', `"id" must be a non-empty string of at most ${MAX_NOTIFICATION_ID_LENGTH} characters; `
      + 'leave it out to use the EventBridge event id.');
  }
  const id = (detail.id as string | null | undefined) ?? eventId;
  if (id === undefined) {
    return rejectEvent('BAD_ID', 'The event has no "id" and the detail none either; give the detail an "id".');
  }

  const time = typeof envelope.time === 'string' && !Number.isNaN(Date.parse(envelope.time))
    ? new Date(envelope.time).toISOString()
    : new Date().toISOString();
  const encoded = encodeNotification({ id, target: target.target, ...(payload !== undefined ? { payload } : { data: detail.data }), time });
  if (encoded.frameBytes > LIMITS.maxFrameBytes) {
    // Delivery sends it by reference (lambda/payloads/), within the payload limit.
    const dataBytes = Buffer.byteLength(JSON.stringify(detail.data));
    if (options.maxPayloadBytes === undefined || dataBytes > options.maxPayloadBytes) {
      return rejectEvent('PAYLOAD_TOO_LARGE', `The notification frame is ${encoded.frameBytes} bytes; API Gateway posts at most `
        + `${LIMITS.maxFrameBytes}${options.maxPayloadBytes === undefined ? '' : ` and payloads.maxObjectSize is ${options.maxPayloadBytes}`}. `
        + 'Make "data" smaller, or put it in the payload bucket and publish a "payload" reference.');
    }
  }
  if (detail.push !== undefined && detail.push !== null) {
    const problem = pushContentProblem(detail.push, encoded.notification);
    if (problem !== undefined) return rejectEvent('BAD_PUSH', problem);
    if (!('broadcast' in target.target)) return { ok: true, eventId: eventId ?? id, ...encoded, push: detail.push as unknown as PushContent };
  }
  return { ok: true, eventId: eventId ?? id, ...encoded };
}

/** The published reference, or what is wrong with it. */
function checkPayloadReference(value: unknown, options: PublishContractOptions): PayloadReference | string {
  const violation = firstViolation(value, PAYLOAD_REFERENCE, 'payload');
  if (violation !== undefined) return `${violation.message} Publish "payload" as {"key": "payloads/…", "size": <bytes>, "sha256": "<lowercase hex>"}.`;
  const ref = value as PayloadReference;
  const problem = payloadKeyProblem(ref.key);
  if (problem !== undefined) return `"payload.key" cannot be sent to clients: ${problem}.`;
  if (options.maxPayloadBytes === undefined) return '"payload" references are not delivered here (no payload bucket).';
  if (ref.size > options.maxPayloadBytes) {
    return `"payload.size" is ${ref.size} bytes, over payloads.maxObjectSize (${options.maxPayloadBytes}); raise it on the construct, or send less.`;
  }
  return { key: ref.key, size: ref.size, sha256: ref.sha256 };
}

type TargetCheck = { readonly target: NotificationTarget } | { readonly reason: RejectReason; readonly message: string };

function checkTarget(field: NotificationTargetField, value: unknown, options: PublishContractOptions): TargetCheck {
  switch (field) {
    case 'topic': {
      if (!isTarget(field, value)) return { reason: 'BAD_TOPIC', message: '"topic" must be a string such as "orders/42".' };
      const check = checkTopic(value);
      return check.ok ? { target: { topic: value } } : { reason: 'BAD_TOPIC', message: check.reason };
    }
    case 'userId': {
      if (!isTarget(field, value)) {
        return { reason: 'BAD_USER_ID', message: '"userId" must be a string: the user id exactly as the authorizer gave it, such as "auth0|abc123".' };
      }
      // The same rule the authorizer applies, so every user who can connect can be targeted.
      const problem = userIdProblem(value);
      return problem === undefined ? { target: { userId: value } }
        : { reason: 'BAD_USER_ID', message: `"userId" cannot name a user: ${problem}.` };
    }
    case 'broadcast':
      if (!isTarget(field, value)) {
        return { reason: 'NO_TARGET', message: '"broadcast" must be the JSON value true; to target a topic or a user, leave it out.' };
      }
      if (!options.allowBroadcast) {
        return { reason: 'BROADCAST_DISABLED', message: 'Broadcast is turned off for this deployment; set allowBroadcast: true on the construct, or target a topic or a user.' };
      }
      return { target: { broadcast: true } };
  }
}

/** Whether the value is of the kind that names the target (a string, `true`); the checks beyond the schema follow. */
function isTarget<Field extends NotificationTargetField>(field: Field, value: unknown): value is Field extends 'broadcast' ? true : string {
  return firstViolation(value, NOTIFICATION_TARGETS[field].target) === undefined;
}

function reject(reason: RejectReason, message: string, eventId?: string): Rejection {
  return eventId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, eventId };
}

/** Walks the value without recursion, so any depth is measured without exhausting the stack. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return false;
}

/** Quotes a value from the event back, short and safe for logs and DLQ attributes. */
function quote(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'missing' : `a ${typeof value}`;
  return `"${printable(value)}"`;
}
