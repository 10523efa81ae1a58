/**
 * What deliver puts on the dead-letter queue, and the message attributes that say why
 * (documented in docs/protocol.md: `reason` and `reasonMessage`, plus ids to find the event).
 *
 * - A queue message that breaks the publish contract goes there as it came, so it can be fixed
 *   and re-published or inspected as the publisher sent it.
 * - Connections that missed a notification after the last attempt go there as shard messages
 *   (see shard-message.ts) listing those connections and why each failed; redriving them to
 *   the delivery queue tries exactly those connections once more.
 */
import { FailedDelivery } from '../core/fanout';
import { Notification } from '../core/notification';
import { RejectReason } from '../core/publish-contract';
import { OutgoingMessage } from './queue-writer';
import { packShards, ShardLimits } from './shard-message';

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
  return {
    body: originalBody,
    attributes: attributes({
      [DeadLetterAttribute.reason]: reason,
      [DeadLetterAttribute.reasonMessage]: message,
      [DeadLetterAttribute.eventId]: ids.eventId,
      [DeadLetterAttribute.notificationId]: ids.notificationId,
    }),
  };
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

/** Drops absent values; keeps values within SQS's character set and short. */
function attributes(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    // eslint-disable-next-line no-control-regex
    const clean = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
    out[name] = clean.length > MAX_ATTRIBUTE_CHARS ? `${clean.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…` : clean;
  }
  return out;
}
