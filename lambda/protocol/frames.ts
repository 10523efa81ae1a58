/**
 * The wire protocol between clients and the server (docs/protocol.md): parsing client frames and
 * building server frames. Pure: no I/O, no AWS.
 */
import { printable } from '../../lib/private/control-characters';
import { isJsonObject } from '../../lib/private/json-object';
// The schemas' modules, not the folder's index: a handler bundles only what it checks with.
import { CLIENT_ACTIONS, CLIENT_ENVELOPE, CLIENT_FRAMES, ClientAction } from '../../lib/private/protocol/client-frames';
import type { ErrorCode } from '../../lib/private/protocol/error-codes';
import { firstViolation, JsonSchema } from '../../lib/private/protocol/json-schema';
import { LIMITS } from '../../lib/private/runtime-contract';
import type * as Wire from './wire';
import type {
  ClosingFrame, ErrorFrame, HistoryFrame, NotificationFrame, PongFrame, PresenceEventFrame, PresenceFrame, PresenceMember, PublishedFrame,
  ReauthedFrame, ReauthRequestFrame, ResumedFrame, ServerFrame, StreamPosition, SubscribedFrame, UnsubscribedFrame,
} from './wire';

export { CLIENT_ACTIONS, MAX_EPOCH_LENGTH, MAX_REQUEST_ID_LENGTH } from '../../lib/private/protocol/client-frames';
export type { ClientAction } from '../../lib/private/protocol/client-frames';
export type { ErrorCode } from '../../lib/private/protocol/error-codes';

// ---- client → server -------------------------------------------------------------------------

/** A client frame as parsed: only the fields its schema lists; `since` absent rather than null. */
type Parsed<T> = Omit<T, 'since'> & ('since' extends keyof T ? { readonly since?: StreamPosition } : unknown);

/**
 * A client message for a topic's subscribers. Only the listed fields are read: a `from`, `userId`
 * or `id` in the frame is ignored, since the server stamps the sender and the id itself.
 */
export type PublishRequest = Wire.PublishRequest & {
  /** Whether the publishing connection gets its own message too. */
  readonly echo: boolean;
};
export type HistoryRequest = Wire.HistoryRequest;
export type MarkReadRequest = Wire.MarkReadRequest;
export type InboxRequest = Wire.InboxRequest;

export type ClientRequest =
  | Parsed<Wire.SubscribeRequest>
  | Wire.UnsubscribeRequest
  | Wire.PresenceRequest
  | PublishRequest
  | Parsed<Wire.ResumeRequest>
  | HistoryRequest
  | MarkReadRequest
  | InboxRequest
  | Wire.RegisterPushRequest
  | Wire.UnregisterPushRequest
  | Wire.PushDevicesRequest
  | Wire.ReauthRequest
  | Wire.PingRequest;

/** Why a frame could not be parsed, with the error frame to answer it with. */
export interface ParseFailure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
  /** Echoed back when the frame carried a usable one. */
  readonly requestId?: string;
}

export type ParseResult = { readonly ok: true; readonly request: ClientRequest } | ParseFailure;

/**
 * Parses one client frame against its schema (lib/private/protocol). Unknown fields are ignored; a
 * field of the wrong type is BAD_REQUEST. The topic is only checked for being a string here: its
 * syntax and who may use it are decided by topics.ts.
 */
export function parseClientFrame(body: string | null | undefined): ParseResult {
  if (body === null || body === undefined || body === '') {
    return fail('BAD_REQUEST', 'Empty message. Send a JSON object such as {"action":"ping"}.');
  }
  if (Buffer.byteLength(body, 'utf8') > LIMITS.maxFrameBytes) {
    return fail('PAYLOAD_TOO_LARGE', `Message is larger than ${LIMITS.maxFrameBytes} bytes.`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(body);
  } catch {
    return fail('BAD_REQUEST', 'Message is not valid JSON. Send a JSON object such as {"action":"ping"}.');
  }
  if (!isJsonObject(frame)) {
    return fail('BAD_REQUEST', 'Message must be a JSON object such as {"action":"ping"}.');
  }
  const envelope = firstViolation(frame, CLIENT_ENVELOPE);
  if (envelope?.path === 'requestId') return fail('BAD_REQUEST', envelope.message);
  const requestId = frame.requestId as string | undefined;
  if (envelope) return fail('BAD_REQUEST', envelope.message, requestId);

  const action = frame.action as string;
  if (!Object.hasOwn(CLIENT_FRAMES, action)) {
    return fail('UNKNOWN_ACTION', `Unknown action "${printable(action)}". Use one of: ${CLIENT_ACTIONS.join(', ')}.`, requestId);
  }
  const schema: JsonSchema = CLIENT_FRAMES[action as ClientAction];
  const violation = firstViolation(frame, schema);
  if (violation) return fail('BAD_REQUEST', violation.message, requestId);
  return { ok: true, request: readFields(frame, schema) as unknown as ClientRequest };
}

/**
 * The fields the schema lists, and only those, at every level: absent ones left out (a null where
 * the schema allows null means absent), defaults filled in, objects rebuilt from their schema.
 */
function readFields(frame: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = frame[name] ?? (frame[name] === null && !acceptsNull(property) ? null : property.default);
    if (value !== undefined) request[name] = readValue(value, property);
  }
  return request;
}

/** An object rebuilt from the branch of its schema that lists its fields; any other value as it is. */
function readValue(value: unknown, schema: JsonSchema): unknown {
  if (!isJsonObject(value)) return value;
  const shape = [schema, ...(schema.oneOf ?? [])].find((s) => s.properties !== undefined && firstViolation(value, s) === undefined);
  return shape === undefined ? value : readFields(value, shape);
}

function acceptsNull(schema: JsonSchema): boolean {
  return [schema, ...(schema.oneOf ?? [])].some((s) => s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null')));
}

function fail(code: ErrorCode, message: string, requestId?: string): ParseFailure {
  return requestId === undefined ? { ok: false, code, message } : { ok: false, code, message, requestId };
}

function withRequestId<T extends object>(request: T, requestId: string | undefined): T & { requestId?: string } {
  return requestId === undefined ? request : { ...request, requestId };
}

// ---- server → client -------------------------------------------------------------------------
// The frames' types are generated from the schemas for the client library; the server builds
// exactly those.

export type {
  ErrorFrame, HistoryFrame, NotificationFrame, PongFrame, PresenceEventFrame, PresenceFrame, PresenceMember, PublishedFrame,
  ReauthedFrame, ReauthRequestFrame, ResumedFrame, ServerFrame, StreamPosition, SubscribedFrame, UnsubscribedFrame,
} from './wire';

/** What a subscribe or resume found in a stream with history. */
export interface ReplayAnswer {
  /** Present when the client gave `since`. */
  readonly recovered?: boolean;
  readonly epoch?: string;
  readonly seq?: number;
}

export function subscribedFrame(topic: string, requestId?: string, replay: ReplayAnswer = {}): SubscribedFrame {
  return withRequestId({ type: 'subscribed' as const, topic, ...replay }, requestId);
}

export function resumedFrame(replay: ReplayAnswer, requestId?: string, unread?: { count: number; readVersion: number }): ResumedFrame {
  const counted = unread !== undefined ? { unread: unread.count, readVersion: unread.readVersion } : {};
  return withRequestId({ type: 'resumed' as const, recovered: replay.recovered ?? false, ...replay, ...counted }, requestId);
}

export function historyFrame(topic: string, epoch: string, notifications: readonly NotificationFrame[], hasMore: boolean, requestId?: string): HistoryFrame {
  return withRequestId({ type: 'history' as const, topic, epoch, notifications, hasMore }, requestId);
}

export function unsubscribedFrame(topic: string, requestId?: string): UnsubscribedFrame {
  return withRequestId({ type: 'unsubscribed' as const, topic }, requestId);
}

/** Pushed when a backend subscribed the user to the topic. */
export function serverSubscribedFrame(topic: string): SubscribedFrame {
  return { type: 'subscribed', topic, byServer: true };
}

/** Pushed when a backend took the topic from the user. */
export function serverUnsubscribedFrame(topic: string): UnsubscribedFrame {
  return { type: 'unsubscribed', topic, byServer: true };
}

export function pongFrame(requestId?: string): PongFrame {
  return withRequestId({ type: 'pong' as const }, requestId);
}

export function publishedFrame(topic: string, id: string, requestId?: string, position?: { seq: number; epoch: string }): PublishedFrame {
  return withRequestId({ type: 'published' as const, topic, id, ...position }, requestId);
}

export function presenceFrame(topic: string, members: readonly PresenceMember[], count: number, requestId?: string): PresenceFrame {
  return withRequestId({ type: 'presence' as const, topic, members, count, truncated: members.length < count }, requestId);
}

export function presenceEventFrame(topic: string, event: 'join' | 'leave', userId: string): PresenceEventFrame {
  return { type: 'presence', topic, event, userId };
}

export function reauthedFrame(expiresAt: number, requestId?: string): ReauthedFrame {
  return withRequestId({ type: 'reauthed' as const, expiresAt }, requestId);
}

/** Asks the client for a fresh token before `expiresAt` (epoch seconds). */
export function reauthRequestFrame(expiresAt: number): ReauthRequestFrame {
  return { type: 'reauth', expiresAt };
}

/** Says why the server is about to close the connection. */
export function closingFrame(code: ClosingFrame['code'], message: string): ClosingFrame {
  return { type: 'closing', code, message };
}

export function errorFrame(code: ErrorCode, message: string, requestId?: string): ErrorFrame {
  return withRequestId({ type: 'error' as const, code, message }, requestId);
}

export function rateLimitedFrame(message: string, retryAfterMs: number, requestId?: string): ErrorFrame {
  return withRequestId({ type: 'error' as const, code: 'RATE_LIMITED' as const, message, retryAfterMs }, requestId);
}

/** How a notification was addressed: exactly one target. */
export type NotificationTarget =
  | { readonly topic: string }
  | { readonly userId: string }
  | { readonly broadcast: true };

export interface NotificationInput {
  readonly id: string;
  readonly seq?: number;
  readonly epoch?: string;
  readonly target: NotificationTarget;
  readonly data?: unknown;
  /** A payload in the payload bucket instead of `data`: the frame is then a kept frame (see KEPT_PAYLOAD_KEY). */
  readonly payload?: { readonly key: string; readonly size: number; readonly sha256: string };
  readonly from?: string;
  readonly time: Date | string;
}

/**
 * The field naming a payload's object in a frame as it is kept (history, shards): never posted,
 * lambda/payloads/ swaps it for a presigned `dataUrl` each time the frame is.
 */
export const KEPT_PAYLOAD_KEY = 'dataKey';

/**
 * Builds the frame pushed to clients: `{"type":"notification","id"[,"seq","epoch"],"topic"|"userId","data"[,"from"],"time"}`;
 * with a payload reference, `"size","sha256","dataKey"` instead of `"data"` (presented with a `dataUrl` when posted).
 */
export function notificationFrame(input: NotificationInput): NotificationFrame {
  const target = input.target;
  const addressing = 'topic' in target ? { topic: target.topic }
    : 'userId' in target ? { userId: target.userId }
      : { broadcast: true as const };
  return {
    type: 'notification',
    id: input.id,
    ...(input.seq !== undefined && input.epoch !== undefined ? { seq: input.seq, epoch: input.epoch } : {}),
    ...addressing,
    ...(input.payload !== undefined
      ? { size: input.payload.size, sha256: input.payload.sha256, [KEPT_PAYLOAD_KEY]: input.payload.key }
      : { data: input.data }),
    ...(input.from !== undefined ? { from: input.from } : {}),
    time: typeof input.time === 'string' ? input.time : input.time.toISOString(),
  };
}

/** Serialises a frame once; callers post the same string to every connection. */
export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** The frame's size as API Gateway counts it (UTF-8 bytes), and whether it may be posted. */
export function frameBytes(encoded: string): number {
  return Buffer.byteLength(encoded, 'utf8');
}

export function fitsInFrame(encoded: string): boolean {
  return frameBytes(encoded) <= LIMITS.maxFrameBytes;
}

/** The requestId of a frame, if it carries a usable one; for answering after a failure. */
export function requestIdOf(body: string | null | undefined): string | undefined {
  const parsed = parseClientFrame(body);
  return parsed.ok ? parsed.request.requestId : parsed.requestId;
}
