/**
 * What deliver puts on the dead-letter queue, and the message attributes that say why
 * (documented in docs/protocol.md: `reason` and `reasonMessage`, plus ids to find the event).
 *
 * - A queue message that breaks the publish contract goes there as it came, so it can be fixed
 *   and re-published or inspected as the publisher sent it. One too large for SQS once the
 *   attributes are added keeps as much of its start as fits, with the size and SHA-256 digest of
 *   the whole, so the dead letter is never refused (and left to SQS's redrive, without a reason).
 * - Connections that missed a notification after the last attempt go there as shard messages
 *   (see shard-message.ts) listing those connections and why each failed; redriving them to
 *   the delivery queue tries exactly those connections once more.
 */
import { createHash } from 'node:crypto';
import { FailedDelivery } from '../core/fanout';
import { Notification } from '../core/notification';
import { RejectReason } from '../core/publish-contract';
import { messageBytes, OutgoingMessage } from './queue-writer';
import { packShards, ShardLimits, SQS_MAX_MESSAGE_BYTES } from './shard-message';

export const DeadLetterAttribute = {
  /** A reason code: a publish-contract code, BAD_SHARD, UNDELIVERED or RETRIES_EXHAUSTED. */
  reason: 'reason',
  /** What was wrong, in words, and what to change. */
  reasonMessage: 'reasonMessage',
  /** The EventBridge event id, when known. */
  eventId: 'eventId',
  notificationId: 'notificationId',
  /** Delivery attempts made, for UNDELIVERED. */
  attempts: 'attempts',
  /** How many connections the message lists, for UNDELIVERED. */
  missedConnections: 'missedConnections',
  /** "true" when the body is only the start of the original message, which did not fit in SQS. */
  truncated: 'truncated',
  /** The original message body's size in bytes (UTF-8), when truncated. */
  originalBytes: 'originalBytes',
  /** The SHA-256 of the original message body (UTF-8, hex), when truncated. */
  originalSha256: 'originalSha256',
} as const;

/** Why a message is in the dead-letter queue. */
export type DeadLetterReason =
  | RejectReason
  /** A message that claims to be one of deliver's own shard messages but is not valid. */
  | 'BAD_SHARD'
  /** Connections still unreachable after the last delivery attempt, or failing for good. */
  | 'UNDELIVERED'
  /** A queue message whose processing failed on every receive the queue allows (maxReceiveCount). */
  | 'RETRIES_EXHAUSTED';

const MAX_ATTRIBUTE_CHARS = 1024;

export function rejectedMessage(
  originalBody: string,
  reason: DeadLetterReason,
  message: string,
  ids: { eventId?: string; notificationId?: string } = {},
): OutgoingMessage {
  return fitInSqs({
    body: originalBody,
    attributes: attributes({
      [DeadLetterAttribute.reason]: reason,
      [DeadLetterAttribute.reasonMessage]: message,
      [DeadLetterAttribute.eventId]: ids.eventId,
      [DeadLetterAttribute.notificationId]: ids.notificationId,
    }),
  });
}

/**
 * The message as it is if SQS takes it; otherwise the start of its body that fits beside its
 * attributes, marked `truncated` with the original's size and digest.
 */
export function fitInSqs(message: OutgoingMessage, maxBytes = SQS_MAX_MESSAGE_BYTES): OutgoingMessage {
  if (messageBytes(message) <= maxBytes) return message;
  const original = Buffer.from(message.body, 'utf8');
  const marked: OutgoingMessage = {
    ...message,
    body: '',
    attributes: {
      ...message.attributes,
      [DeadLetterAttribute.truncated]: 'true',
      [DeadLetterAttribute.originalBytes]: String(original.length),
      [DeadLetterAttribute.originalSha256]: createHash('sha256').update(original).digest('hex'),
    },
  };
  return { ...marked, body: utf8Prefix(original, maxBytes - messageBytes(marked)) };
}

/** The longest prefix of `bytes` within `maxBytes` that ends on a character boundary. */
function utf8Prefix(bytes: Buffer, maxBytes: number): string {
  let end = Math.max(0, Math.min(maxBytes, bytes.length));
  // A continuation byte (10xxxxxx) at `end` means the cut would split a character.
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** Dead letters for the connections that missed `notification`, split to fit SQS's size limit. */
export function undeliveredMessages(
  notification: Notification,
  failures: readonly FailedDelivery[],
  attempt: number,
  limits: ShardLimits,
  eventId?: string,
): OutgoingMessage[] {
  const reasons = Object.fromEntries(failures.map((f) => [f.connectionId, f.reason]));
  const shards = packShards(notification, failures.map((f) => f.connectionId), attempt, limits, reasons);
  return shards.map((shard) => ({
    body: shard.body,
    attributes: attributes({
      [DeadLetterAttribute.reason]: 'UNDELIVERED',
      [DeadLetterAttribute.reasonMessage]: `${shard.connectionIds.length} connection(s) missed notification ${notification.id} `
        + `after ${attempt} delivery attempt(s): ${summariseReasons(shard.connectionIds.map((id) => reasons[id]))}. `
        + 'The body lists them with the reason of each; redrive it to the delivery queue to try them again.',
      [DeadLetterAttribute.eventId]: eventId,
      [DeadLetterAttribute.notificationId]: notification.id,
      [DeadLetterAttribute.attempts]: String(attempt),
      [DeadLetterAttribute.missedConnections]: String(shard.connectionIds.length),
    }),
  }));
}

/** "THROTTLED ×3, SERVER_ERROR ×1" */
export function summariseReasons(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${reason} ×${count}`).join(', ');
}

/**
 * What SQS refuses in a message attribute: control characters other than tab, line feed and
 * carriage return, and U+FFFE and U+FFFF. (Not the rule for quoting input back: that is
 * lib/private/control-characters.ts.)
 */
// eslint-disable-next-line no-control-regex
const NOT_IN_SQS_CHARACTER_SET = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Drops absent values; keeps values within SQS's character set and short. */
function attributes(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    const clean = value.replace(NOT_IN_SQS_CHARACTER_SET, '?');
    out[name] = clean.length > MAX_ATTRIBUTE_CHARS ? `${clean.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…` : clean;
  }
  return out;
}
