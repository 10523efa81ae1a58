/**
 * The wire protocol between clients and the server (docs/protocol.md): parsing client frames and
 * building server frames. Pure: no I/O, no AWS.
 */
import { printable } from '../../lib/private/control-characters';
import { LIMITS } from '../../lib/private/runtime-contract';

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNKNOWN_ACTION'
  | 'FORBIDDEN'
  | 'LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export const MAX_REQUEST_ID_LENGTH = 128;
export const CLIENT_ACTIONS = ['subscribe', 'unsubscribe', 'publish', 'presence', 'resume', 'history', 'ping'] as const;
/** An epoch is a short token the server made; anything longer is not one. */
export const MAX_EPOCH_LENGTH = 64;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

// ---- client → server -------------------------------------------------------------------------

export type ClientRequest =
  | { readonly action: 'subscribe'; readonly topic: string; readonly since?: StreamPosition; readonly requestId?: string }
  | { readonly action: 'unsubscribe' | 'presence'; readonly topic: string; readonly requestId?: string }
  | PublishRequest
  | { readonly action: 'resume'; readonly since?: StreamPosition; readonly requestId?: string }
  | HistoryRequest
  | { readonly action: 'ping'; readonly requestId?: string };

/**
 * Where a client is in a stream with history: the position up to which it has every
 * notification (not the last one received: frames can arrive out of order).
 */
export interface StreamPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** Pages back through a topic's kept notifications. */
export interface HistoryRequest {
  readonly action: 'history';
  readonly topic: string;
  /** Only notifications before this position; all the latest when absent. */
  readonly before?: number;
  readonly limit?: number;
  readonly requestId?: string;
}

/**
 * A client message for a topic's subscribers. Only these fields are read: a `from`, `userId` or
 * `id` in the frame is ignored, since the server stamps the sender and the id itself.
 */
export interface PublishRequest {
  readonly action: 'publish';
  readonly topic: string;
  readonly data: unknown;
  /** Whether the publishing connection gets its own message too. */
  readonly echo: boolean;
  readonly requestId?: string;
}

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
    case 'resume': {
      const since = parseSince(frame.since);
      if (typeof since === 'string') return fail('BAD_REQUEST', since, requestId);
      return { ok: true, request: withRequestId({ action: 'resume' as const, ...(since ? { since } : {}) }, requestId) };
    }
    case 'subscribe':
    case 'unsubscribe':
    case 'presence':
    case 'history':
    case 'publish': {
      if (frame.topic === undefined) {
        return fail('BAD_REQUEST', `"${frame.action}" needs a "topic", for example "${frame.action === 'subscribe' || frame.action === 'unsubscribe' ? 'orders/42' : 'rooms/lobby'}".`, requestId);
      }
      if (typeof frame.topic !== 'string') {
        return fail('BAD_REQUEST', '"topic" must be a string, for example "orders/42".', requestId);
      }
      if (frame.action === 'subscribe') {
        const since = parseSince(frame.since);
        if (typeof since === 'string') return fail('BAD_REQUEST', since, requestId);
        return { ok: true, request: withRequestId({ action: 'subscribe' as const, topic: frame.topic, ...(since ? { since } : {}) }, requestId) };
      }
      if (frame.action === 'history') {
        for (const field of ['before', 'limit'] as const) {
          const value = frame[field];
          if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1)) {
            return fail('BAD_REQUEST', `"${field}" must be a whole number of at least 1.`, requestId);
          }
        }
        return {
          ok: true,
          request: withRequestId({
            action: 'history' as const,
            topic: frame.topic,
            ...(frame.before !== undefined ? { before: frame.before as number } : {}),
            ...(frame.limit !== undefined ? { limit: frame.limit as number } : {}),
          }, requestId),
        };
      }
      if (frame.action !== 'publish') {
        return { ok: true, request: withRequestId({ action: frame.action, topic: frame.topic }, requestId) };
      }
      if (!('data' in frame) || frame.data === undefined) {
        return fail('BAD_REQUEST', '"publish" needs "data": the message, any JSON value such as {"text":"hi"}.', requestId);
      }
      if (frame.echo !== undefined && typeof frame.echo !== 'boolean') {
        return fail('BAD_REQUEST', '"echo" must be true or false.', requestId);
      }
      return {
        ok: true,
        request: withRequestId({ action: 'publish' as const, topic: frame.topic, data: frame.data, echo: frame.echo === true }, requestId),
      };
    }
    default:
      return fail('UNKNOWN_ACTION',
        `Unknown action "${printable(frame.action)}". Use one of: ${CLIENT_ACTIONS.join(', ')}.`, requestId);
  }
}

/** A `since` position, absent, or what is wrong with it. */
function parseSince(value: unknown): StreamPosition | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    return '"since" must be an object such as {"epoch":"k3j9","seq":41}: the epoch and the seq up to which every notification was received.';
  }
  const { epoch, seq } = value as Record<string, unknown>;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    return '"since.epoch" must be the epoch string of the last notification received.';
  }
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) {
    return '"since.seq" must be the seq up to which every notification was received: a whole number, 0 or more.';
  }
  return { epoch, seq: seq as number };
}

function fail(code: ErrorCode, message: string, requestId?: string): ParseFailure {
  return requestId === undefined ? { ok: false, code, message } : { ok: false, code, message, requestId };
}

function withRequestId<T extends object>(request: T, requestId: string | undefined): T & { requestId?: string } {
  return requestId === undefined ? request : { ...request, requestId };
}

// ---- server → client -------------------------------------------------------------------------

export interface SubscribedFrame {
  readonly type: 'subscribed';
  readonly topic: string;
  readonly requestId?: string;
  /** With `since`: whether every notification after it was replayed before this answer. */
  readonly recovered?: boolean;
  /** When the topic keeps history: its position as of this answer. */
  readonly epoch?: string;
  readonly seq?: number;
}
/** The answer to `resume`: the user's own stream was replayed up to this position. */
export interface ResumedFrame {
  readonly type: 'resumed';
  readonly recovered: boolean;
  readonly epoch?: string;
  readonly seq?: number;
  readonly requestId?: string;
}
/** The answer to `history`: kept notifications of the topic, oldest first. */
export interface HistoryFrame {
  readonly type: 'history';
  readonly topic: string;
  readonly epoch: string;
  readonly notifications: readonly NotificationFrame[];
  /** Whether older notifications are kept than the first one listed. */
  readonly hasMore: boolean;
  readonly requestId?: string;
}
export interface UnsubscribedFrame { readonly type: 'unsubscribed'; readonly topic: string; readonly requestId?: string }
export interface PongFrame { readonly type: 'pong'; readonly requestId?: string }
export interface PublishedFrame {
  readonly type: 'published';
  readonly topic: string;
  /** The id the subscribers' notification frames carry. */
  readonly id: string;
  /** Its position, when the topic keeps history. */
  readonly seq?: number;
  readonly epoch?: string;
  readonly requestId?: string;
}
export interface PresenceMember {
  readonly userId: string;
  /** The user's connections subscribed to the topic. */
  readonly connections: number;
}
/** The answer to a `presence` request: who is on the topic now. */
export interface PresenceFrame {
  readonly type: 'presence';
  readonly topic: string;
  readonly members: readonly PresenceMember[];
  /** Members in all, listed or not. */
  readonly count: number;
  /** Whether `members` lists fewer than `count`. */
  readonly truncated: boolean;
  readonly requestId?: string;
}
/** Pushed to a topic's subscribers when a user's first connection joins it or the last one leaves. */
export interface PresenceEventFrame {
  readonly type: 'presence';
  readonly topic: string;
  readonly event: 'join' | 'leave';
  readonly userId: string;
}
export interface ErrorFrame {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
  /** With RATE_LIMITED: when the next message will be accepted. */
  readonly retryAfterMs?: number;
  readonly requestId?: string;
}

export interface NotificationFrame {
  readonly type: 'notification';
  /** Stable across retries, so clients can drop duplicates. */
  readonly id: string;
  /** Its position in a stream with history: +1 per notification of the stream. */
  readonly seq?: number;
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch?: string;
  /** Exactly one of topic, userId or broadcast says how it was addressed. */
  readonly topic?: string;
  readonly userId?: string;
  readonly broadcast?: true;
  readonly data: unknown;
  /** The sending user of a client message, stamped by the server; absent on backend notifications. */
  readonly from?: string;
  /** ISO-8601. */
  readonly time: string;
}

export type ServerFrame =
  | SubscribedFrame
  | UnsubscribedFrame
  | PongFrame
  | PublishedFrame
  | ResumedFrame
  | HistoryFrame
  | PresenceFrame
  | PresenceEventFrame
  | ErrorFrame
  | NotificationFrame;

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

export function resumedFrame(replay: ReplayAnswer, requestId?: string): ResumedFrame {
  return withRequestId({ type: 'resumed' as const, recovered: replay.recovered ?? false, ...replay }, requestId);
}

export function historyFrame(topic: string, epoch: string, notifications: readonly NotificationFrame[], hasMore: boolean, requestId?: string): HistoryFrame {
  return withRequestId({ type: 'history' as const, topic, epoch, notifications, hasMore }, requestId);
}

export function unsubscribedFrame(topic: string, requestId?: string): UnsubscribedFrame {
  return withRequestId({ type: 'unsubscribed' as const, topic }, requestId);
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
  readonly data: unknown;
  readonly from?: string;
  readonly time: Date | string;
}

/** Builds the frame pushed to clients: `{"type":"notification","id"[,"seq","epoch"],"topic"|"userId","data"[,"from"],"time"}`. */
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
    data: input.data,
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
