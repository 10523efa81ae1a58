/**
 * The wire protocol between clients and the server (DESIGN §2.2): parsing client frames and
 * building server frames. Pure: no I/O, no AWS.
 */
import { LIMITS } from '../../lib/private/runtime-contract';

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNKNOWN_ACTION'
  | 'FORBIDDEN'
  | 'LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

export const MAX_REQUEST_ID_LENGTH = 128;
export const CLIENT_ACTIONS = ['subscribe', 'unsubscribe', 'ping'] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

// ---- client → server -------------------------------------------------------------------------

export type ClientRequest =
  | { readonly action: 'subscribe' | 'unsubscribe'; readonly topic: string; readonly requestId?: string }
  | { readonly action: 'ping'; readonly requestId?: string };

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
 * Parses one client frame. Unknown fields are ignored; a field of the wrong type is BAD_REQUEST.
 * The topic is only checked for being a string here: its syntax and who may use it are decided
 * by topics.ts.
 */
export function parseClientFrame(body: string | null | undefined): ParseResult {
  if (body === null || body === undefined || body === '') {
    return fail('BAD_REQUEST', 'Empty message. Send a JSON object such as {"action":"ping"}.');
  }
  if (Buffer.byteLength(body, 'utf8') > LIMITS.maxFrameBytes) {
    return fail('PAYLOAD_TOO_LARGE', `Message is larger than ${LIMITS.maxFrameBytes} bytes.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('BAD_REQUEST', 'Message is not valid JSON. Send a JSON object such as {"action":"ping"}.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('BAD_REQUEST', 'Message must be a JSON object such as {"action":"ping"}.');
  }
  const frame = parsed as Record<string, unknown>;

  let requestId: string | undefined;
  if (frame.requestId !== undefined) {
    if (typeof frame.requestId !== 'string' || frame.requestId.length > MAX_REQUEST_ID_LENGTH) {
      return fail('BAD_REQUEST', `"requestId" must be a string of at most ${MAX_REQUEST_ID_LENGTH} characters.`);
    }
    requestId = frame.requestId;
  }

  if (frame.action === undefined) {
    return fail('BAD_REQUEST', `Message has no "action". Use one of: ${CLIENT_ACTIONS.join(', ')}.`, requestId);
  }
  if (typeof frame.action !== 'string') {
    return fail('BAD_REQUEST', `"action" must be a string, one of: ${CLIENT_ACTIONS.join(', ')}.`, requestId);
  }
  switch (frame.action) {
    case 'ping':
      return { ok: true, request: withRequestId({ action: 'ping' }, requestId) };
    case 'subscribe':
    case 'unsubscribe': {
      if (frame.topic === undefined) {
        return fail('BAD_REQUEST', `"${frame.action}" needs a "topic", for example "orders/42".`, requestId);
      }
      if (typeof frame.topic !== 'string') {
        return fail('BAD_REQUEST', '"topic" must be a string, for example "orders/42".', requestId);
      }
      return { ok: true, request: withRequestId({ action: frame.action, topic: frame.topic }, requestId) };
    }
    default:
      return fail('UNKNOWN_ACTION',
        `Unknown action "${printable(frame.action)}". Use one of: ${CLIENT_ACTIONS.join(', ')}.`, requestId);
  }
}

function fail(code: ErrorCode, message: string, requestId?: string): ParseFailure {
  return requestId === undefined ? { ok: false, code, message } : { ok: false, code, message, requestId };
}

function withRequestId<T extends object>(request: T, requestId: string | undefined): T & { requestId?: string } {
  return requestId === undefined ? request : { ...request, requestId };
}

/** Quotes client input back safely: short, and without control or invisible characters. */
export function printable(value: string, max = 64): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '?');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}

// ---- server → client -------------------------------------------------------------------------

export interface SubscribedFrame { readonly type: 'subscribed'; readonly topic: string; readonly requestId?: string }
export interface UnsubscribedFrame { readonly type: 'unsubscribed'; readonly topic: string; readonly requestId?: string }
export interface PongFrame { readonly type: 'pong'; readonly requestId?: string }
export interface ErrorFrame {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
  readonly requestId?: string;
}

export interface NotificationFrame {
  readonly type: 'notification';
  /** Stable across retries, so clients can drop duplicates. */
  readonly id: string;
  /** Exactly one of topic, userId or broadcast says how it was addressed. */
  readonly topic?: string;
  readonly userId?: string;
  readonly broadcast?: true;
  readonly data: unknown;
  /** ISO-8601. */
  readonly time: string;
}

export type ServerFrame = SubscribedFrame | UnsubscribedFrame | PongFrame | ErrorFrame | NotificationFrame;

export function subscribedFrame(topic: string, requestId?: string): SubscribedFrame {
  return withRequestId({ type: 'subscribed' as const, topic }, requestId);
}

export function unsubscribedFrame(topic: string, requestId?: string): UnsubscribedFrame {
  return withRequestId({ type: 'unsubscribed' as const, topic }, requestId);
}

export function pongFrame(requestId?: string): PongFrame {
  return withRequestId({ type: 'pong' as const }, requestId);
}

export function errorFrame(code: ErrorCode, message: string, requestId?: string): ErrorFrame {
  return withRequestId({ type: 'error' as const, code, message }, requestId);
}

/** How a notification was addressed (DESIGN §2.1): exactly one target. */
export type NotificationTarget =
  | { readonly topic: string }
  | { readonly userId: string }
  | { readonly broadcast: true };

export interface NotificationInput {
  readonly id: string;
  readonly target: NotificationTarget;
  readonly data: unknown;
  readonly time: Date | string;
}

/** Builds the frame pushed to clients: `{"type":"notification","id","topic"|"userId","data","time"}`. */
export function notificationFrame(input: NotificationInput): NotificationFrame {
  const target = input.target;
  const addressing = 'topic' in target ? { topic: target.topic }
    : 'userId' in target ? { userId: target.userId }
      : { broadcast: true as const };
  return {
    type: 'notification',
    id: input.id,
    ...addressing,
    data: input.data,
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
