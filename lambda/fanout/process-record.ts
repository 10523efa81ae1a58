/**
 * What happens to a queue message whose processing fails (DynamoDB unavailable, a queue send
 * failing): the record is reported failed and SQS delivers it again, up to the queue's
 * maxReceiveCount. SQS's own redrive would then move it to the dead-letter queue without saying
 * why, so on the last receive deliver dead-letters it itself, with reason RETRIES_EXHAUSTED, and
 * reports it done. Only a crash or a timeout on the last receive is left to SQS's redrive.
 */
import { checkPublishedEvent } from '../protocol/publish-contract';
import { DeliverConfig } from './config';
import { rejectedMessage } from './dead-letters';
import { deliverRecord, DeliveryDeps, QueueRecord } from './deliver-record';
import { OutgoingMessage } from './queue-writer';
import { isShardMessage, parseShardMessage } from './shard-message';

export interface ReceivedRecord extends QueueRecord {
  readonly attributes: { readonly ApproximateReceiveCount?: string };
}

/** Handles one record; throws only when SQS must deliver it again. */
export async function processRecord(record: ReceivedRecord, deps: DeliveryDeps, deadline?: number): Promise<void> {
  try {
    await deliverRecord(record, deps, deadline);
  } catch (error) {
    const receives = receiveCount(record);
    const context = { sqsMessageId: record.messageId, receives, maxReceiveCount: deps.config.maxReceiveCount, error: error as Error };
    if (receives < deps.config.maxReceiveCount) {
      deps.logger.error('Record failed; SQS will deliver it again', context);
      throw error;
    }
    deps.logger.error('Record failed on its last receive; sending it to the dead-letter queue', context);
    try {
      await deps.queue.sendAll(deps.config.deadLetterQueueUrl, [retriesExhaustedMessage(record.body, error, receives, deps.config)]);
    } catch (sendError) {
      // Reported failed, the record still reaches the dead-letter queue by SQS's redrive.
      deps.logger.error('Could not dead-letter the record; SQS will redrive it', { sqsMessageId: record.messageId, error: sendError as Error });
      throw error;
    }
  }
}

/** The dead letter of a message that failed on every receive: its body as received, and why. */
export function retriesExhaustedMessage(body: string, error: unknown, receives: number, config: Pick<DeliverConfig, 'detailType' | 'allowBroadcast'>): OutgoingMessage {
  // An AbortError is deliver's own: a call cut short because the invocation's time ran out.
  const cause = errorName(error) === 'AbortError' ? 'AbortError (a DynamoDB or SQS call too slow for the time left)' : errorName(error);
  const message = `Processing failed with ${cause} on each of ${receives} receive(s); `
    + 'see the deliver function\'s logs, and redrive this message to the delivery queue once the cause is fixed.';
  return rejectedMessage(body, 'RETRIES_EXHAUSTED', message, recordIds(body, config));
}

/** 1 when SQS did not say, so a record without the attribute is never taken for its last receive. */
function receiveCount(record: ReceivedRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

/** The error's class name only: its message may carry internals (URLs, table names, request ids). */
function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : undefined;
  return name !== undefined && /^[A-Za-z][\w.$]{0,99}$/.test(name) ? name : 'an unknown error';
}

/**
 * The event and notification ids the body names, for finding the message in logs. None when the
 * body cannot be read: whatever made processing fail must not keep its dead letter from being sent.
 */
function recordIds(body: string, config: Pick<DeliverConfig, 'detailType' | 'allowBroadcast'>): { eventId?: string; notificationId?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isShardMessage(parsed)) {
      const shard = parseShardMessage(parsed);
      return shard.ok ? { notificationId: shard.shard.notification.id } : {};
    }
    const checked = checkPublishedEvent(parsed, config);
    return checked.ok ? { eventId: checked.eventId, notificationId: checked.notification.id } : { eventId: checked.eventId };
  } catch {
    return {};
  }
}
