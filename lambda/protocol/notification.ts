/**
 * A notification accepted for delivery, and its frame serialised once: the same bytes are posted
 * to every connection, and re-serialising it on another deliver instance (from a shard message)
 * gives the same bytes again, so a duplicate is identical to the original.
 */
import { encodeFrame, frameBytes, NotificationTarget, notificationFrame } from './frames';

export interface Notification {
  /** Stable across retries and shards: the client's key for dropping duplicates. */
  readonly id: string;
  /** Its position, when its stream keeps history: given once, before the first post, and kept by shards and retries. */
  readonly seq?: number;
  readonly epoch?: string;
  readonly target: NotificationTarget;
  /** The payload; absent when `payload` refers to it instead. */
  readonly data?: unknown;
  /** The payload kept in the payload bucket, when it does not fit in a frame (lambda/payloads/). */
  readonly payload?: PayloadReference;
  /** The user who sent it, for client messages; absent on backend notifications. */
  readonly from?: string;
  /** ISO-8601: when it was published. */
  readonly time: string;
}

/** A payload in the payload bucket: its key, and what clients check its bytes against. */
export interface PayloadReference {
  readonly key: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

export interface EncodedNotification {
  readonly notification: Notification;
  /** The UTF-8 frame, posted as-is to every connection. */
  readonly frame: Uint8Array;
  readonly frameBytes: number;
}

export function encodeNotification(notification: Notification): EncodedNotification {
  const text = encodeFrame(notificationFrame(notification));
  const frame = Buffer.from(text, 'utf8');
  return { notification, frame, frameBytes: frameBytes(text) };
}

/** How the audience is addressed, for logs and DLQ messages: "topic orders/42", "user u-1", "broadcast". */
export function describeTarget(target: NotificationTarget): string {
  if ('topic' in target) return `topic ${target.topic}`;
  if ('userId' in target) return `user ${target.userId}`;
  return 'broadcast';
}
