/** SQS messages as the Lambda event source mapping hands them to a function. Pure. */
import { isJsonObject } from '../../lib/private/json-object';
import { QueuedMessage } from './queue';

export interface SqsLambdaRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, {
    stringValue?: string;
    binaryValue?: string;
    stringListValues: string[];
    binaryListValues: string[];
    dataType: string;
  }>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export function toLambdaRecord(message: QueuedMessage, queueArn: string, region: string): SqsLambdaRecord {
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentTimestamp),
    SenderId: message.senderId,
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
  };
  if (message.deadLetterQueueSourceArn) attributes.DeadLetterQueueSourceArn = message.deadLetterQueueSourceArn;
  const messageAttributes: SqsLambdaRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle ?? '',
    body: message.body,
    attributes,
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export type BatchOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedIds: ReadonlySet<string> }
  | { readonly kind: 'failure'; readonly reason: string };

/**
 * Reads a partial batch response as the event source mapping does (ReportBatchItemFailures):
 * no response or an empty list is success; a list of known ids fails those only; anything
 * malformed fails the whole batch.
 */
export function readBatchResponse(response: unknown, batchIds: ReadonlySet<string>): BatchOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  if (!isJsonObject(response)) return { kind: 'failure', reason: 'the response is not an object' };
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !batchIds.has(id)) {
      return { kind: 'failure', reason: `batchItemFailures names ${JSON.stringify(id)}, which is not in the batch` };
    }
    failedIds.add(id);
  }
  return { kind: 'partial', failedIds };
}
