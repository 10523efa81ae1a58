/**
 * The delivery queue and its event source mapping, with in-process stand-ins for deliver:
 * batches, partial batch responses, crashes, visibility timeout, receive counts, redrive to the
 * dead-letter queue, and delays.
 */
import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { EventSourceMapping } from '../../local/queue/event-source-mapping';
import { LocalQueue } from '../../local/queue/queue';
import { readBatchResponse } from '../../local/queue/records';

function queues(visibilityTimeoutSeconds = 0.2, maxReceiveCount = 3) {
  const deadLetters = new LocalQueue({ name: 'dlq', url: 'http://127.0.0.1:1/0/dlq', arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
  const deliveries = new LocalQueue({
    name: 'q', url: 'http://127.0.0.1:1/0/q', arn: 'arn:aws:sqs:us-east-1:000000000000:q',
    visibilityTimeoutSeconds,
    redrive: { deadLetterQueue: deadLetters, maxReceiveCount },
  });
  return { deliveries, deadLetters };
}

/** A stand-in deliver whose answer per batch the test decides; records every batch it saw. */
function standIn(answer: (event: SQSEvent) => Promise<SQSBatchResponse | void>) {
  const batches: SQSEvent[] = [];
  return { batches, invoke: async (event: unknown) => { batches.push(event as SQSEvent); return answer(event as SQSEvent); } };
}

const bodies = (event: SQSEvent) => event.Records.map((r) => r.body);

describe('event source mapping', () => {
  const mappings: EventSourceMapping[] = [];
  const startMapping = (options: ConstructorParameters<typeof EventSourceMapping>[0]) => {
    const mapping = new EventSourceMapping(options);
    mappings.push(mapping);
    mapping.start();
    return mapping;
  };
  afterEach(async () => {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
  });

  it('invokes with batches of at most batchSize and deletes what succeeded', async () => {
    const { deliveries } = queues();
    const deliver = standIn(async () => undefined);
    for (let i = 0; i < 25; i++) deliveries.send(`m${i}`);
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1', batchSize: 10, maxConcurrency: 1 });
    await mapping.drained();
    expect(deliver.batches.map((b) => b.Records.length)).toEqual([10, 10, 5]);
    expect(deliver.batches.flatMap(bodies)).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`));
    expect(deliveries.size).toBe(0);
  });

  it('redelivers only the items a partial batch response names, with a higher receive count', async () => {
    const { deliveries } = queues();
    let first = true;
    const deliver = standIn(async (event) => {
      if (!first) return { batchItemFailures: [] };
      first = false;
      const failed = event.Records.find((r) => r.body === 'b')!;
      return { batchItemFailures: [{ itemIdentifier: failed.messageId }] };
    });
    ['a', 'b', 'c'].forEach((body) => deliveries.send(body));
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1' });
    await mapping.drained();
    expect(deliver.batches.map(bodies)).toEqual([['a', 'b', 'c'], ['b']]);
    const retried = deliver.batches[1].Records[0];
    expect(retried.attributes.ApproximateReceiveCount).toBe('2');
    expect(retried.messageId).toBe(deliver.batches[0].Records[1].messageId);
    expect(retried.receiptHandle).not.toBe(deliver.batches[0].Records[1].receiptHandle);
    expect(mapping.stats).toMatchObject({ failedItems: 1, failedInvocations: 0 });
  });

  it('returns the whole batch after the visibility timeout when deliver throws', async () => {
    const { deliveries } = queues();
    let calls = 0;
    const deliver = standIn(async () => {
      if (++calls === 1) throw new Error('crashed mid-batch');
    });
    ['a', 'b'].forEach((body) => deliveries.send(body));
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1', log: () => undefined });
    await mapping.drained();
    expect(deliver.batches.map(bodies)).toEqual([['a', 'b'], ['a', 'b']]);
    expect(deliver.batches[1].Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
    expect(mapping.stats.failedInvocations).toBe(1);
  });

  it('treats a malformed partial batch response as a failure of the whole batch', () => {
    const ids = new Set(['m1', 'm2']);
    expect(readBatchResponse(undefined, ids)).toEqual({ kind: 'success' });
    expect(readBatchResponse({ batchItemFailures: [] }, ids)).toEqual({ kind: 'success' });
    expect(readBatchResponse({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ids)).toEqual({ kind: 'partial', failedIds: new Set(['m2']) });
    expect(readBatchResponse({ batchItemFailures: [{ itemIdentifier: 'other' }] }, ids).kind).toBe('failure');
    expect(readBatchResponse({ batchItemFailures: [{ itemIdentifier: '' }] }, ids).kind).toBe('failure');
    expect(readBatchResponse({ batchItemFailures: [{}] }, ids).kind).toBe('failure');
    expect(readBatchResponse({ batchItemFailures: 'm1' }, ids).kind).toBe('failure');
    expect(readBatchResponse('ok', ids).kind).toBe('failure');
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue, keeping its id and body', async () => {
    const { deliveries, deadLetters } = queues(0.05, 3);
    const deliver = standIn(async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }));
    const sent = deliveries.send('poison');
    deliveries.send('fine-after-poison');
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1', batchSize: 1, maxConcurrency: 1 });
    await mapping.drained();
    const poisonReceives = deliver.batches.flatMap((b) => b.Records).filter((r) => r.body === 'poison');
    expect(poisonReceives.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
    // Both always fail here, so both end in the dead-letter queue, each after three receives.
    const [other, poison] = deadLetters.peekAll().sort((a, b) => a.body.localeCompare(b.body));
    expect(poison).toMatchObject({ body: 'poison', messageId: sent.messageId, receiveCount: 3, deadLetterQueueSourceArn: deliveries.arn });
    expect(other).toMatchObject({ body: 'fine-after-poison', receiveCount: 3 });
    expect(deliveries.size).toBe(0);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const { deliveries } = queues();
    const deliver = standIn(async () => undefined);
    deliveries.send('later', { delaySeconds: 1 });
    deliveries.send('now');
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1' });
    await mapping.drained();
    expect(deliver.batches.map(bodies)).toEqual([['now'], ['later']]);
    const later = deliver.batches[1].Records[0];
    expect(Number(later.attributes.ApproximateFirstReceiveTimestamp) - Number(later.attributes.SentTimestamp)).toBeGreaterThanOrEqual(1000);
  });

  it('keeps several batches in flight, up to maxConcurrency', async () => {
    const { deliveries } = queues(5);
    let inFlight = 0;
    let peak = 0;
    const deliver = standIn(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
    });
    for (let i = 0; i < 40; i++) deliveries.send(`m${i}`);
    const mapping = startMapping({ queue: deliveries, invoke: deliver.invoke, region: 'us-east-1', batchSize: 2, maxConcurrency: 4 });
    await mapping.drained();
    expect(peak).toBe(4);
    expect(deliver.batches.flatMap(bodies).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
  });

  it('ignores a stale receipt handle: a message received again is not deleted by the first receipt', () => {
    const { deliveries } = queues(0);
    deliveries.send('m');
    const [first] = deliveries.receive(1, Date.now());
    const firstHandle = first.receiptHandle!;
    const [second] = deliveries.receive(1, Date.now() + 1);
    expect(deliveries.delete(firstHandle)).toBe(false);
    expect(deliveries.delete(second.receiptHandle!)).toBe(true);
    expect(deliveries.size).toBe(0);
  });
});
