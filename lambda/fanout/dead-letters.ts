/**
 * What deliver puts on the dead-letter queue, and the message attributes that say why: only the
 * reason codes and attribute names of lib/private/protocol/dead-letters.ts, which documents them.
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
import type { DeadLetterAttributes, DeadLetterReason } from '../../lib/private/protocol/dead-letters';
import { FailedDelivery } from './fanout';
import { Notification } from '../protocol/notification';
import { messageBytes, OutgoingMessage } from './queue-writer';
import { packShards, ShardLimits, SQS_MAX_MESSAGE_BYTES } from './shard-message';

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
      reason,
      reasonMessage: message,
      eventId: ids.eventId,
      notificationId: ids.notificationId,
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
  const truncation: DeadLetterAttributes = {
    truncated: 'true',
    originalBytes: String(original.length),
    originalSha256: createHash('sha256').update(original).digest('hex'),
  };
  const marked: OutgoingMessage = { ...message, body: '', attributes: { ...message.attributes, ...truncation } };
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
      reason: 'UNDELIVERED',
      reasonMessage: `${shard.connectionIds.length} connection(s) missed notification ${notification.id} `
        + `after ${attempt} delivery attempt(s): ${summariseReasons(shard.connectionIds.map((id) => reasons[id]))}. `
        + 'The body lists them with the reason of each; redrive it to the delivery queue to try them again.',
      eventId,
      notificationId: notification.id,
      attempts: String(attempt),
      missedConnections: String(shard.connectionIds.length),
    }),
  }));
}

/** The dead letter of a push job's devices given up on: the job, listing only those devices. */
export function pushUndeliveredMessage(jobBody: string, notificationId: string, attempt: number, reasons: readonly string[]): OutgoingMessage {
  return fitInSqs({
    body: jobBody,
    attributes: attributes({
      reason: 'PUSH_UNDELIVERED',
      reasonMessage: `${reasons.length} push device(s) missed notification ${notificationId} after ${attempt} attempt(s): ${reasons.join('; ')}. `
        + 'Redrive the message to the delivery queue to push to them again.',
      notificationId,
      attempts: String(attempt),
    }),
  });
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
function attributes(values: DeadLetterAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    const clean = value.replace(NOT_IN_SQS_CHARACTER_SET, '?');
    out[name] = clean.length > MAX_ATTRIBUTE_CHARS ? `${clean.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…` : clean;
  }
  return out;
}
