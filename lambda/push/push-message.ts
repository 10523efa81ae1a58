/**
 * Push jobs: what deliver puts on its own queue when a user-targeted notification with a `push`
 * part reached none of the user's connections, and what it pushes to each device. Pure.
 */
import { isJsonObject } from '../../lib/private/json-object';
import { MAX_PUSH_BYTES, PUSH_CONTENT, PUSH_URGENCIES } from '../../lib/private/protocol/notification-event';
import { firstViolation } from '../../lib/private/protocol/json-schema';
import type { OutgoingMessage } from '../fanout/queue-writer';

/** The `push` part of a published notification. */
export interface PushContent {
  readonly title: string;
  readonly body?: string;
  readonly url?: string;
  readonly data?: unknown;
  readonly urgency?: (typeof PUSH_URGENCIES)[number];
  readonly ttl?: number;
  /** Seconds after which a user who took it live is pushed it if it is still unread. */
  readonly unreadAfter?: number;
}

/** What a device receives (encrypted): the notification's id and time beside its push content. */
export interface PushPayload {
  readonly id: string;
  readonly userId: string;
  readonly time: string;
  readonly title: string;
  readonly body?: string;
  readonly url?: string;
  readonly data?: unknown;
}

/** A push job on the delivery queue. */
export interface PushJob {
  readonly kind: 'push';
  readonly userId: string;
  readonly payload: PushPayload;
  readonly urgency?: PushContent['urgency'];
  readonly ttl?: number;
  /** 1 for the first; retries count up to `delivery.maxAttempts`. */
  readonly attempt: number;
  /** Only these devices (a retry); absent: every device of the user. */
  readonly deviceIds?: readonly string[];
  /** Pushed only if this position of the user's stream is still unread (a delayed push). */
  readonly ifUnread?: { readonly epoch: string; readonly seq: number };
}

/** A push service keeps an undelivered push one day unless the publisher says otherwise. */
export const DEFAULT_PUSH_TTL_SECONDS = 24 * 60 * 60;

export function pushPayload(notification: { id: string; time: string }, userId: string, content: PushContent): PushPayload {
  const { title, body, url, data } = content;
  return { id: notification.id, userId, time: notification.time, title, ...(body !== undefined && { body }), ...(url !== undefined && { url }), ...(data !== undefined && { data }) };
}

/** Why a `push` part cannot be pushed, in words for the publisher; undefined when it can. */
export function pushContentProblem(push: unknown, notification: { id: string; time: string }): string | undefined {
  const violation = firstViolation(push, PUSH_CONTENT);
  if (violation !== undefined) return violation.message;
  const bytes = Buffer.byteLength(JSON.stringify(pushPayload(notification, '', push as PushContent)), 'utf8');
  return bytes > MAX_PUSH_BYTES
    ? `The push message is ${bytes} bytes; Web Push carries at most ${MAX_PUSH_BYTES} here. Shorten "push" (a title, a short body and a URL to open).`
    : undefined;
}

export function pushJobMessage(job: PushJob, delaySeconds?: number): OutgoingMessage {
  return { body: JSON.stringify(job), delaySeconds, attributes: { notificationId: job.payload.id, attempt: String(job.attempt) } };
}

export function isPushJob(body: unknown): body is PushJob {
  return isJsonObject(body) && body.kind === 'push';
}

/** The job as deliver wrote it; undefined when the message only claims to be one. */
export function parsePushJob(body: PushJob): PushJob | undefined {
  const { userId, payload, attempt, deviceIds } = body;
  const fine = typeof userId === 'string' && isJsonObject(payload) && typeof payload.id === 'string' && typeof payload.title === 'string'
    && Number.isInteger(attempt) && attempt >= 1
    && (deviceIds === undefined || (Array.isArray(deviceIds) && deviceIds.every((id) => typeof id === 'string')));
  return fine ? body : undefined;
}
