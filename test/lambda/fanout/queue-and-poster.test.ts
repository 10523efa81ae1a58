import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { messageBytes, packBatches, QueueWriter } from '../../../lambda/fanout/queue-writer';
import { callCutoffs, deliveryDeadline } from '../../../lambda/fanout/delivery-deps';
import { sqsBatchSend } from '../../../lambda/fanout/sqs-batch-send';
import { LOCAL_AWS } from '../../../local/dynamodb';
import { SqsApiServer, SqsFault, startSqsApi } from '../../../local/sqs-api';

describe('packing SendMessageBatch calls', () => {
  test('at most 10 entries per call, in order', () => {
    const messages = Array.from({ length: 23 }, (_, i) => ({ body: `m${i}` }));
    const batches = packBatches(messages);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(messages);
  });

  test('at most 256 KB per call, attributes counted', () => {
    const big = { body: 'x'.repeat(100 * 1024), attributes: { notificationId: 'n-1' } };
    expect(messageBytes(big)).toBe(100 * 1024 + 'notificationId'.length + 'String'.length + 3);
    const batches = packBatches([big, big, big, { body: 'small' }]);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
  });
});

describe('local SQS API with the real SQS client', () => {
  let sqs: SqsApiServer;
  let client: SQSClient;
  let faults: (request: { action: string; entryId?: string }) => SqsFault | undefined = () => undefined;
  beforeAll(async () => {
    sqs = await startSqsApi({ faults: (r) => faults(r) });
    client = new SQSClient({ ...LOCAL_AWS, endpoint: sqs.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });
  beforeEach(() => {
    faults = () => undefined;
  });

  test('SendMessage stores the message with its attributes and delay; the client verifies the MD5', async () => {
    const queueUrl = sqs.queueUrl('one');
    const out = await client.send(new SendMessageCommand({
      QueueUrl: queueUrl, MessageBody: 'héllo', DelaySeconds: 30,
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'NO_TARGET' } },
    }));
    expect(out.MessageId).toBeDefined();
    const [stored] = sqs.store.messages(queueUrl);
    expect(stored).toMatchObject({ body: 'héllo', delaySeconds: 30, attributes: { reason: 'NO_TARGET' }, messageId: out.MessageId });
    expect(sqs.store.take(queueUrl)).toEqual([]);
    expect(sqs.store.take(queueUrl, 10, stored.availableAt)).toHaveLength(1);
  });

  test('SendMessageBatch enforces SQS limits', async () => {
    const queueUrl = sqs.queueUrl('limits');
    const entries = (n: number, size = 1) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x'.repeat(size) }));
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(11) })))
      .rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(3, 100 * 1024) })))
      .rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    const tooBig = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'big', MessageBody: 'x'.repeat(256 * 1024 + 1) }] }))
      .catch((e: Error) => e);
    expect(tooBig).toMatchObject({ name: 'BatchRequestTooLong' });
    expect(sqs.store.messages(queueUrl)).toEqual([]);
  });

  test('the queue writer re-sends failed entries and reports sender faults', async () => {
    const queueUrl = sqs.queueUrl('writer');
    const writer = new QueueWriter(sqsBatchSend(client), { sleep: async () => undefined });
    let failures = 0;
    faults = ({ entryId }) => (entryId === '1' && failures++ < 2 ? { code: 'InternalError', senderFault: false } : undefined);
    await writer.sendAll(queueUrl, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    expect(sqs.store.messages(queueUrl).map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);

    faults = ({ entryId }) => (entryId === '0' ? { code: 'InvalidMessageContents', senderFault: true } : undefined);
    await expect(writer.sendAll(queueUrl, [{ body: 'd' }])).rejects.toThrow(/could not be sent.*InvalidMessageContents/);

    faults = ({ entryId }) => (entryId !== undefined ? { code: 'ServiceUnavailable', senderFault: false } : undefined);
    await expect(writer.sendAll(queueUrl, [{ body: 'e' }])).rejects.toThrow(/1 message\(s\) could not be sent/);
  });
});

describe('the delivery deadline', () => {
  test('keeps a reserve for re-queueing, never more than half of the time left', () => {
    expect(deliveryDeadline(0, 60_000)).toBe(50_000);
    expect(deliveryDeadline(0, 15_000)).toBe(12_000);
    expect(deliveryDeadline(0, 3_000)).toBe(1_500);
    expect(deliveryDeadline(0, 900_000)).toBe(890_000);
  });

  test('DynamoDB calls stop within the reserve, before SQS calls, which stop before the function times out', () => {
    expect(callCutoffs(0, 60_000)).toEqual({ stores: 55_000, queues: 59_000 });
    expect(callCutoffs(0, 3_000)).toEqual({ stores: 2_250, queues: 2_850 });
    for (const remaining of [1_000, 3_000, 15_000, 60_000, 900_000]) {
      const { stores, queues } = callCutoffs(0, remaining);
      expect(deliveryDeadline(0, remaining)).toBeLessThan(stores);
      expect(stores).toBeLessThan(queues);
      expect(queues).toBeLessThan(remaining);
    }
  });
});
