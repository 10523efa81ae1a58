/**
 * SendMessageBatch through the AWS SDK's SQS client, for the queue writer. The deliver function
 * loads this module on first use (lambda/fanout/delivery-deps.ts): most notifications never touch a
 * queue, and the SQS client is a large part of a cold start.
 */
import { MessageAttributeValue, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendBatch } from './queue-writer';

/**
 * An SQS client for the deliver function's queues. The endpoint is the queue URL's origin, so
 * the same code reaches SQS in AWS and a local SQS API when the queue URLs point at one.
 */
export function createSqsClient(queueUrl: string): SQSClient {
  return new SQSClient({
    endpoint: new URL(queueUrl).origin,
    // An attempt that hangs is given up and retried; each call is bounded as a whole by its signal.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
}

export function sqsBatchSend(sqs: SQSClient): SendBatch {
  return async (queueUrl, entries, signal) => {
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map(({ id, message }) => ({
        Id: id,
        MessageBody: message.body,
        DelaySeconds: message.delaySeconds,
        MessageAttributes: toAttributes(message.attributes),
      })),
    }), { abortSignal: signal });
    return Failed.map((f) => ({ id: f.Id ?? '', code: f.Code ?? 'Unknown', senderFault: f.SenderFault === true }));
  };
}

function toAttributes(attributes?: Readonly<Record<string, string>>): Record<string, MessageAttributeValue> | undefined {
  if (!attributes) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) out[name] = { DataType: 'String', StringValue: value };
  return out;
}
