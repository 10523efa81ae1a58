import { createHash } from 'node:crypto';
import { Tables } from '../../../lib/private/runtime-contract';
import { AUDIENCE_FIRST_PAGE_SIZE } from '../../../lambda/fanout/audience';
import { DEFAULT_SHARD_MAX_BYTES, packShards, parseShardMessage, SQS_MAX_MESSAGE_BYTES } from '../../../lambda/fanout/shard-message';
import { MAX_DATA_DEPTH } from '../../../lambda/protocol/publish-contract';
import { messageBytes } from '../../../lambda/fanout/queue-writer';
import { retriesExhaustedMessage } from '../../../lambda/fanout/process-record';
import { loadHandler } from '../../support/handlers';
import { bridgeEvent, captureMetrics, lambdaContext, sqsRecord, deploy, Deployment, parsedFrames, recordMetrics, Services, shardBody, startServices } from './harness';

let services: Services;
let stopRecordingMetrics: () => void;

beforeAll(async () => {
  stopRecordingMetrics = recordMetrics();
  services = await startServices();
});
afterAll(async () => {
  await services?.stop();
  stopRecordingMetrics?.();
});
beforeEach(() => {
  services.connectionFaults = () => undefined;
  services.sqsFaults = () => undefined;
  services.posts.clear();
});

/**
 * Every live connection's notification frames: exactly one per listed id, all the same
 * notification (a user's notification is followed by the user's unread count, not counted here).
 */
function expectExactlyOnce(d: Deployment, receivers: string[], notificationId?: string) {
  for (const connectionId of d.frames.keys()) {
    const expected = receivers.includes(connectionId) ? 1 : 0;
    const frames = parsedFrames(d, connectionId).filter((f) => f.type === 'notification');
    expect({ connectionId, frames: frames.length }).toEqual({ connectionId, frames: expected });
  }
  const ids = new Set(receivers.flatMap((c) => parsedFrames(d, c).filter((f) => f.type === 'notification').map((f) => f.id)));
  expect(ids.size).toBe(receivers.length > 0 ? 1 : 0);
  if (notificationId) expect([...ids]).toEqual([notificationId]);
}

/** JSON objects nested `depth` levels deep, as text. */
function nestedJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function shardBodies(d: Deployment) {
  return d.queued().map((m) => {
    const parsed = parseShardMessage(JSON.parse(m.body));
    if (!parsed.ok) throw new Error(parsed.message);
    return { ...parsed.shard, delaySeconds: m.delaySeconds };
  });
}


/** Payloads sent by reference at most 64 KiB: data over a frame and over this is refused. */
const SMALL_PAYLOADS = { PAYLOADS_MAX_OBJECT_SIZE_BYTES: String(64 * 1024) };

describe('deliver handler: targets', () => {
  test('a topic notification reaches exactly the subscribers of that topic', async () => {
    const d = await deploy(services);
    await d.connect('t-a', { userId: 'u1', topics: ['orders/42'] });
    await d.connect('t-b', { userId: 'u2', topics: ['orders/42', 'orders/43'] });
    await d.connect('t-c', { userId: 'u3', topics: ['orders/43'] });
    await d.connect('t-d', { userId: 'u1' });

    const response = await d.invoke(bridgeEvent({ topic: 'orders/42', id: 'n-42', data: { status: 'shipped' } }));

    expect(response).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(d, ['t-a', 't-b'], 'n-42');
    expect(parsedFrames(d, 't-a')[0]).toEqual({
      type: 'notification', id: 'n-42', topic: 'orders/42', data: { status: 'shipped' }, time: '2026-11-22T10:00:00.000Z',
    });
    expect(d.deadLetters()).toEqual([]);
    expect(d.queued()).toEqual([]);
  });

  test('a user notification reaches every connection of that user and no one else', async () => {
    const d = await deploy(services);
    await d.connect('u-a', { userId: 'alice' });
    await d.connect('u-b', { userId: 'alice', topics: ['news'] });
    await d.connect('u-c', { userId: 'bob' });
    await d.connect('u-d');

    await d.invoke(bridgeEvent({ userId: 'alice', data: 'hi' }));

    expectExactlyOnce(d, ['u-a', 'u-b']);
    expect(parsedFrames(d, 'u-a')[0]).toMatchObject({ type: 'notification', userId: 'alice', data: 'hi' });
  });

  test('broadcast reaches every open connection when allowed', async () => {
    const d = await deploy(services, { ALLOW_BROADCAST: 'true' });
    await d.connect('b-a', { userId: 'alice' });
    await d.connect('b-b', { userId: 'bob', topics: ['x'] });
    await d.connect('b-c');

    const response = await d.invoke(bridgeEvent({ broadcast: true, data: 'maintenance at 22:00' }));

    expect(response.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, ['b-a', 'b-b', 'b-c']);
  });

  test('broadcast is refused when not allowed: nothing posted, dead-lettered with its reason', async () => {
    const d = await deploy(services);
    await d.connect('nb-a', { userId: 'alice' });
    const body = bridgeEvent({ broadcast: true, data: 'x' });

    const { result, metrics } = await captureMetrics(() => d.invoke(body));

    expect(result.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, []);
    const [dead] = d.deadLetters();
    expect(dead.body).toBe(body);
    expect(dead.attributes).toMatchObject({ reason: 'BROADCAST_DISABLED', eventId: JSON.parse(body).id });
    expect(dead.attributes.reasonMessage).toMatch(/allowBroadcast/);
    expect(metrics).toMatchObject({ RejectedNotifications: 1, Notifications: 1 });
  });
});

describe('deliver handler: contract violations', () => {
  test('a batch with one bad and two good records: the good are delivered, the bad dead-lettered, no item fails', async () => {
    const d = await deploy(services);
    await d.connect('m-a', { topics: ['orders/1'] });
    await d.connect('m-b', { topics: ['orders/2'] });
    const bad = bridgeEvent({ topic: 'orders/1', userId: 'alice', data: 1 });

    const { result, metrics } = await captureMetrics(() => d.invoke(
      bridgeEvent({ topic: 'orders/1', id: 'good-1', data: 1 }),
      bad,
      bridgeEvent({ topic: 'orders/2', id: 'good-2', data: 2 }),
    ));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(parsedFrames(d, 'm-a').map((f) => f.id)).toEqual(['good-1']);
    expect(parsedFrames(d, 'm-b').map((f) => f.id)).toEqual(['good-2']);
    expect(d.deadLetters()).toHaveLength(1);
    expect(d.deadLetters()[0]).toMatchObject({ body: bad, attributes: { reason: 'MULTIPLE_TARGETS', eventId: JSON.parse(bad).id } });
    expect(metrics).toMatchObject({ Notifications: 3, RejectedNotifications: 1, Delivered: 2 });
    expect(metrics.FanoutDuration).toBeGreaterThanOrEqual(0);
  });

  test.each([
    ['NOT_JSON', 'this is not json'],
    ['NOT_JSON', JSON.stringify([1, 2, 3])],
    ['WRONG_DETAIL_TYPE', bridgeEvent({ topic: 'a', data: 1 }, { 'detail-type': 'OrderShipped' })],
    ['NO_TARGET', bridgeEvent({ data: 1 })],
    ['BAD_TOPIC', bridgeEvent({ topic: 'orders/#', data: 1 })],
    ['BAD_USER_ID', bridgeEvent({ userId: '', data: 1 })],
    ['MISSING_DATA', bridgeEvent({ topic: 'a' })],
    ['DATA_TOO_DEEP', bridgeEvent({ topic: 'a', data: JSON.parse(nestedJson(MAX_DATA_DEPTH + 1)) })],
    ['BAD_ID', bridgeEvent({ topic: 'a', data: 1, id: 'x'.repeat(200) })],
    // Over the frame, and over the payload bucket's limit too.
    ['PAYLOAD_TOO_LARGE', bridgeEvent({ topic: 'a', data: 'x'.repeat(130 * 1024) })],
    ['BAD_SHARD', JSON.stringify({ kind: 'realtime-notifications/shard', v: 1, connectionIds: 'all' })],
  ])('%s reaches the dead-letter queue with its reason', async (reason, body) => {
    const d = await deploy(services, SMALL_PAYLOADS);
    await d.connect('v-a', { userId: 'u', topics: ['a'] });
    const { result, metrics } = await captureMetrics(() => d.invoke(body));
    expect(result.batchItemFailures).toEqual([]);
    expect(d.deadLetters().map((m) => ({ body: m.body, reason: m.attributes.reason }))).toEqual([{ body, reason }]);
    expect(d.deadLetters()[0].attributes.reasonMessage.length).toBeGreaterThan(10);
    expect(d.frames.get('v-a')).toEqual([]);
    expect(metrics.RejectedNotifications).toBe(1);
    if (reason === 'PAYLOAD_TOO_LARGE') expect(metrics.PayloadTooLarge).toBe(1);
  });

  test('when the dead-letter queue cannot be reached, that record fails (SQS retries it) and the others still succeed', async () => {
    const d = await deploy(services);
    await d.connect('dq-a', { topics: ['ok'] });
    services.sqsFaults = ({ queueUrl }) => (queueUrl === d.dlqUrl ? { code: 'InternalError', status: 500 } : undefined);
    const event = { Records: [bridgeEvent({ topic: 'ok', data: 1 }), bridgeEvent({ data: 'no target' })] };
    const response = await d.invoke(...event.Records);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(d.frames.get('dq-a')).toHaveLength(1);
    expect(d.deadLetters()).toEqual([]);
  });
});

describe('deliver handler: dead letters at the edges', () => {
  test('a detail nested 10,000 levels deep is dead-lettered on its first receive, with its reason', async () => {
    const d = await deploy(services);
    await d.connect('deep-a', { topics: ['deep'] });
    // Built as text: serialising so deep an object is exactly what fails.
    const body = bridgeEvent({ topic: 'deep', data: '@deep' }).replace('"@deep"', nestedJson(10_000));

    const { result, metrics } = await captureMetrics(() => d.invoke(body));

    expect(result.batchItemFailures).toEqual([]);
    const letters = d.deadLetters();
    expect(letters.map((m) => ({ body: m.body, reason: m.attributes.reason }))).toEqual([{ body, reason: 'DATA_TOO_DEEP' }]);
    expect(letters[0].attributes).toMatchObject({ eventId: JSON.parse(body).id, reasonMessage: expect.stringMatching(/at most 100 levels/) });
    expect(d.frames.get('deep-a')).toEqual([]);
    expect(metrics.RejectedNotifications).toBe(1);
  });

  test('a rejected detail near 256 KB is dead-lettered on its first receive: the start of it, its size and digest, within SQS\'s limit', async () => {
    const d = await deploy(services, SMALL_PAYLOADS);
    // Multi-byte characters, so the cut must fall between characters, not inside one.
    const envelope = bridgeEvent({ topic: 'big', data: '' });
    const body = bridgeEvent({ topic: 'big', data: 'é€x'.repeat((SQS_MAX_MESSAGE_BYTES - 100 - Buffer.byteLength(envelope)) / 6) });
    const bodyBytes = Buffer.byteLength(body);
    expect(bodyBytes).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
    expect(bodyBytes + 200).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES);

    const result = await d.invoke(body);

    expect(result.batchItemFailures).toEqual([]);
    const [letter, ...others] = d.deadLetters();
    expect(others).toEqual([]);
    expect(letter.attributes).toMatchObject({
      reason: 'PAYLOAD_TOO_LARGE',
      eventId: JSON.parse(body).id,
      truncated: 'true',
      originalBytes: String(bodyBytes),
      originalSha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(body.startsWith(letter.body)).toBe(true);
    expect(letter.body.length).toBeGreaterThan(body.length - 2_000);
    expect(messageBytes({ body: letter.body, attributes: letter.attributes })).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  test('the dead letter of a record failing on its last receive is built whatever its body holds', () => {
    const body = bridgeEvent({ topic: 'deep', data: '@deep' }).replace('"@deep"', nestedJson(10_000));
    const letter = retriesExhaustedMessage(body, new Error('boom'), 3, { detailType: 'Notification', allowBroadcast: false });
    expect(letter.attributes).toMatchObject({ reason: 'RETRIES_EXHAUSTED', eventId: JSON.parse(body).id });
    expect(letter.body).toBe(body);
  });
});

describe('deliver handler: failures and retries', () => {
  test('a gone connection (410) is removed with its subscriptions; the others are delivered', async () => {
    const d = await deploy(services);
    await d.connect('g-live', { userId: 'alice', topics: ['t/1'] });
    await d.connect('g-stale', { userId: 'alice', topics: ['t/1', 't/2'], live: false });

    const { result, metrics } = await captureMetrics(() => d.invoke(bridgeEvent({ topic: 't/1', data: 1 })));

    expect(result.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, ['g-live']);
    const S = Tables.subscriptions;
    expect(await services.dynamo.get(d.stores.connections.tableName, { connectionId: 'g-stale' })).toBeUndefined();
    const subscriptions = await services.dynamo.items(d.stores.subscriptions.tableName);
    expect(subscriptions.map((s) => `${s[S.partitionKey]} ${s[S.sortKey]}`)).toEqual(['t/1 g-live']);
    expect(await services.dynamo.get(d.stores.connections.tableName, { connectionId: 'g-live' })).toBeDefined();
    expect(metrics).toMatchObject({ GoneConnections: 1, Delivered: 1 });
    expect(d.queued()).toEqual([]);
    expect(d.deadLetters()).toEqual([]);
  });

  test('a connection still in its $connect (410 before its openBy) is posted again once open, and keeps its row', async () => {
    const d = await deploy(services);
    await d.connect('o-open', { userId: 'opening', openBy: Date.now() + 60_000, opensAfterMs: 120 });
    await d.connect('o-never', { userId: 'opening', openBy: Date.now() + 60_000, live: false });

    const { result, metrics } = await captureMetrics(() => d.invoke(bridgeEvent({ userId: 'opening', id: 'n-opening', data: 1 })));

    expect(result.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, ['o-open'], 'n-opening');
    for (const connectionId of ['o-open', 'o-never']) {
      expect(await services.dynamo.get(d.stores.connections.tableName, { connectionId })).toBeDefined();
    }
    expect(metrics).toMatchObject({ Delivered: 1 });
    // The one that never opened goes back on the queue, for itself only, to be tried again later.
    expect(shardBodies(d)).toEqual([expect.objectContaining({ connectionIds: ['o-never'], attempt: 2, reasons: { 'o-never': 'OPENING' } })]);
    expect(d.deadLetters()).toEqual([]);
  });

  test('a 410 whose removal fails (DynamoDB refusing) is tried again later, never dropped unaccounted for', async () => {
    // The connections table is unreachable for this deployment: the row cannot be removed, and
    // the connection may as well be one still in its $connect.
    const d = await deploy(services, { CONNECTIONS_TABLE: 'no-such-table' });
    await d.connect('u-unsettled', { topics: ['t/unsettled'], live: false });
    const { result } = await captureMetrics(() => d.invoke(bridgeEvent({ topic: 't/unsettled', id: 'n-unsettled', data: 1 })));
    expect(result.batchItemFailures).toEqual([]);
    expect(shardBodies(d)).toEqual([expect.objectContaining({ connectionIds: ['u-unsettled'], attempt: 2, reasons: { 'u-unsettled': 'OPENING' } })]);
    expect(d.deadLetters()).toEqual([]);
  });

  test('a 410 after its openBy removes the connection as gone', async () => {
    const d = await deploy(services);
    await d.connect('o-late', { userId: 'late', openBy: Date.now() - 1, live: false });
    const { result } = await captureMetrics(() => d.invoke(bridgeEvent({ userId: 'late', data: 1 })));
    expect(result.batchItemFailures).toEqual([]);
    expect(await services.dynamo.get(d.stores.connections.tableName, { connectionId: 'o-late' })).toBeUndefined();
    expect(d.queued()).toEqual([]);
  });

  test('429, 500 and a reset connection, then success: delivered once, nothing re-queued', async () => {
    const d = await deploy(services);
    await d.connect('r-a', { topics: ['r'] });
    await d.connect('r-b', { topics: ['r'] });
    await d.connect('r-c', { topics: ['r'] });
    const script: Record<string, Array<{ status?: number; reset?: boolean }>> = {
      'r-a': [{ status: 429 }, { status: 500 }],
      'r-b': [{ reset: true }],
      'r-c': [{ status: 503 }],
    };
    services.connectionFaults = (method, id) => (method === 'POST' ? script[id]?.shift() : undefined);

    const { result, metrics } = await captureMetrics(() => d.invoke(bridgeEvent({ topic: 'r', data: 'retry me' })));

    expect(result.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, ['r-a', 'r-b', 'r-c']);
    expect(services.posts.get('r-a')).toBe(3);
    expect(services.posts.get('r-b')).toBe(2);
    expect(metrics).toMatchObject({ Delivered: 3, Throttled: 1 });
    expect(d.queued()).toEqual([]);
    expect(d.deadLetters()).toEqual([]);
  });

  test('persistent failure: only the failed connection is re-queued, then dead-lettered after the last attempt', async () => {
    const d = await deploy(services);
    for (const id of ['p-a', 'p-b', 'p-c']) await d.connect(id, { topics: ['p'] });
    await d.connect('p-bad', { topics: ['p'] });
    services.connectionFaults = (method, id) => (method === 'POST' && id === 'p-bad' ? { status: 500 } : undefined);

    await d.invoke(bridgeEvent({ topic: 'p', id: 'n-p', data: 1 }));

    // Attempt 1 done: the others have it; p-bad waits on the queue, alone, for attempt 2, delayed.
    expectExactlyOnce(d, ['p-a', 'p-b', 'p-c'], 'n-p');
    const [retry] = shardBodies(d);
    expect(shardBodies(d)).toHaveLength(1);
    expect(retry).toMatchObject({ connectionIds: ['p-bad'], attempt: 2, reasons: { 'p-bad': 'SERVER_ERROR' } });
    expect(retry.notification.id).toBe('n-p');
    expect(retry.delaySeconds).toBeGreaterThan(0);
    expect(d.deadLetters()).toEqual([]);

    const { metrics } = await captureMetrics(() => d.drainQueue());

    // Attempts 2 and 3 went to p-bad only; then the DLQ names it and why.
    expectExactlyOnce(d, ['p-a', 'p-b', 'p-c'], 'n-p');
    expect(services.posts.get('p-a')).toBe(1);
    expect(services.posts.get('p-bad')).toBe(3 * 3);
    const dead = d.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0].attributes).toMatchObject({ reason: 'UNDELIVERED', notificationId: 'n-p', attempts: '3', missedConnections: '1' });
    expect(dead[0].attributes.reasonMessage).toMatch(/SERVER_ERROR/);
    const deadShard = parseShardMessage(JSON.parse(dead[0].body));
    expect(deadShard).toMatchObject({ ok: true, shard: { connectionIds: ['p-bad'], reasons: { 'p-bad': 'SERVER_ERROR' }, notification: { id: 'n-p' } } });
    expect(metrics.FailedDeliveries).toBe(1);
  });

  test('a dead letter redriven to the delivery queue tries its connections once more', async () => {
    const d = await deploy(services, { DELIVERY_MAX_ATTEMPTS: '1' });
    await d.connect('rd-a', { topics: ['rd'] });
    services.connectionFaults = (method) => (method === 'POST' ? { status: 500 } : undefined);
    await d.invoke(bridgeEvent({ topic: 'rd', data: 1 }));
    const [dead] = d.deadLetters();
    expect(dead.attributes.reason).toBe('UNDELIVERED');

    services.connectionFaults = () => undefined;
    const response = await d.invoke(dead.body);
    expect(response.batchItemFailures).toEqual([]);
    expectExactlyOnce(d, ['rd-a']);
  });

  test('413 from @connections is not retried and goes straight to the dead-letter queue', async () => {
    const d = await deploy(services);
    await d.connect('tl-a', { topics: ['tl'] });
    services.connectionFaults = (method) => (method === 'POST' ? { status: 413 } : undefined);
    const { metrics } = await captureMetrics(() => d.invoke(bridgeEvent({ topic: 'tl', data: 1 })));
    expect(services.posts.get('tl-a')).toBe(1);
    expect(d.queued()).toEqual([]);
    const deadShard = parseShardMessage(JSON.parse(d.deadLetters()[0].body));
    expect(deadShard).toMatchObject({ ok: true, shard: { connectionIds: ['tl-a'], reasons: { 'tl-a': 'PAYLOAD_TOO_LARGE' } } });
    expect(metrics).toMatchObject({ FailedDeliveries: 1, PayloadTooLarge: 1 });
  });

  test('if re-queueing fails the record fails, so SQS retries it: nothing is lost', async () => {
    const d = await deploy(services);
    await d.connect('rq-a', { topics: ['rq'] });
    await d.connect('rq-bad', { topics: ['rq'] });
    await d.connect('rq-other', { topics: ['other'] });
    services.connectionFaults = (method, id) => (method === 'POST' && id === 'rq-bad' ? { status: 500 } : undefined);
    services.sqsFaults = ({ queueUrl }) => (queueUrl === d.queueUrl ? { code: 'InternalError', status: 500 } : undefined);
    const failing = bridgeEvent({ topic: 'rq', data: 1 });
    const event = { Records: [failing, bridgeEvent({ topic: 'other', data: 2 })].map((body) => sqsRecord(body, d.queueUrl)) };

    const response = await d.handler(event);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
    expect(d.queued()).toEqual([]);
    expect(d.frames.get('rq-other')).toHaveLength(1);
  });

  test('a batch whose every record fails makes the invocation fail, so SQS retries all of it', async () => {
    const d = await deploy(services);
    services.sqsFaults = ({ queueUrl }) => (queueUrl === d.dlqUrl ? { code: 'InternalError', status: 500 } : undefined);
    await expect(d.invoke('not json')).rejects.toThrow(/All records failed/);
  });

  test('a record that fails before its last receive is left to SQS; on its last receive it is dead-lettered with its reason', async () => {
    // A subscriptions table that does not exist: every audience read fails, as when DynamoDB is unavailable.
    const d = await deploy(services, { SUBSCRIPTIONS_TABLE: 'no-such-table', DELIVERY_MAX_RECEIVE_COUNT: '3' });
    const body = bridgeEvent({ topic: 'down', id: 'n-down', data: 1 });

    for (const receives of [1, 2]) {
      const early = sqsRecord(body, d.queueUrl, receives);
      const response = await d.handler({ Records: [early, sqsRecord(bridgeEvent({ data: 'no target' }), d.queueUrl)] }, lambdaContext());
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: early.messageId }]);
      expect(d.deadLetters().map((m) => m.attributes.reason)).toEqual(['NO_TARGET']);
      services.sqs.store.take(d.dlqUrl, 10, Number.POSITIVE_INFINITY);
    }

    const last = sqsRecord(body, d.queueUrl, 3);
    const response = await d.handler({ Records: [last] }, lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    const letters = d.deadLetters();
    expect(letters.map((m) => m.body)).toEqual([body]);
    expect(letters[0].attributes).toMatchObject({ reason: 'RETRIES_EXHAUSTED', eventId: JSON.parse(body).id, notificationId: 'n-down' });
    expect(letters[0].attributes.reasonMessage).toMatch(/ResourceNotFoundException on each of 3 receive/);
    expect(letters[0].attributes.reasonMessage).not.toMatch(/no-such-table/);
    expect(d.queued()).toEqual([]);
  });

  test('a shard that fails on its last receive is dead-lettered with its notification id', async () => {
    const d = await deploy(services, { DELIVERY_MAX_RECEIVE_COUNT: '2' });
    // The post fails, and so does re-queueing the connection for a later attempt.
    services.connectionFaults = (method) => (method === 'POST' ? { status: 500 } : undefined);
    services.sqsFaults = ({ queueUrl }) => (queueUrl === d.queueUrl ? { code: 'InternalError', status: 500 } : undefined);
    const shard = shardBody('n-shard-down', ['ex-bad']);

    const response = await d.handler({ Records: [sqsRecord(shard, d.queueUrl, 2)] }, lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(d.deadLetters().map((m) => ({ body: m.body, reason: m.attributes.reason, notificationId: m.attributes.notificationId })))
      .toEqual([{ body: shard, reason: 'RETRIES_EXHAUSTED', notificationId: 'n-shard-down' }]);
    expect(d.deadLetters()[0].attributes.reasonMessage).toMatch(/InternalError on each of 2 receive/);
  });

  test('a record failing on its last receive while the dead-letter queue is unreachable is reported failed, for SQS to redrive', async () => {
    const d = await deploy(services, { SUBSCRIPTIONS_TABLE: 'no-such-table', DELIVERY_MAX_RECEIVE_COUNT: '2' });
    services.sqsFaults = ({ queueUrl }) => (queueUrl === d.dlqUrl ? { code: 'InternalError', status: 500 } : undefined);
    await d.connect('ex-live');
    const failing = sqsRecord(bridgeEvent({ topic: 'down', data: 1 }), d.queueUrl, 2);
    // A shard names its connections: it is delivered without reading the broken table.
    const fine = sqsRecord(shardBody('n-fine', ['ex-live']), d.queueUrl, 2);

    const response = await d.handler({ Records: [failing, fine] }, lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    expect(d.deadLetters()).toEqual([]);
    expect(d.frames.get('ex-live')).toHaveLength(1);
  });

  test('when the function runs out of time, the connections not yet tried are re-queued, not skipped', async () => {
    const d = await deploy(services, { DELIVERY_POST_CONCURRENCY: '1' });
    const audience = Array.from({ length: 10 }, (_, i) => `dl-${i}`);
    for (const id of audience) await d.connect(id, { topics: ['slow'] });
    services.connectionFaults = (method) => (method === 'POST' ? { delayMs: 250 } : undefined);
    const body = bridgeEvent({ topic: 'slow', id: 'n-slow', data: 1 });

    // 2.6 s left: deliver keeps half in reserve, so it stops starting posts after 1.3 s, when
    // 10 posts one at a time at 250 ms each need 2.5 s.
    const response = await d.handler({ Records: [sqsRecord(body, d.queueUrl)] }, lambdaContext(2_600));

    expect(response.batchItemFailures).toEqual([]);
    const firstRound = audience.filter((id) => d.frames.get(id)!.length > 0);
    const requeued = shardBodies(d);
    expect(requeued.length).toBeGreaterThan(0);
    for (const shard of requeued) expect(shard).toMatchObject({ attempt: 1, delaySeconds: 0, notification: { id: 'n-slow' } });
    expect([...firstRound, ...requeued.flatMap((s) => s.connectionIds)].sort()).toEqual(audience);

    services.connectionFaults = () => undefined;
    await d.drainQueue();
    expectExactlyOnce(d, audience, 'n-slow');
  });
});

describe('deliver handler: sharding', () => {
  test('an audience over the threshold is split into shard messages whose union is exactly the audience', async () => {
    const d = await deploy(services, { DELIVERY_SHARD_THRESHOLD: '5', DELIVERY_SHARD_SIZE: '4', DELIVERY_MAX_RATE_PER_SECOND: '200' });
    const audience = Array.from({ length: 13 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
    for (const id of audience) await d.connect(id, { topics: ['big'] });
    await d.connect('s-other', { topics: ['small'] });

    const response = await d.invoke(bridgeEvent({ topic: 'big', id: 'n-big', data: 'hello' }));

    expect(response.batchItemFailures).toEqual([]);
    expect(services.posts.size).toBe(0);
    const shards = shardBodies(d);
    expect(shards.map((s) => s.connectionIds.length).sort()).toEqual([1, 4, 4, 4]);
    expect(shards.flatMap((s) => s.connectionIds).sort()).toEqual(audience);
    for (const s of shards) expect(s).toMatchObject({ attempt: 1, notification: { id: 'n-big', target: { topic: 'big' } } });

    await d.drainQueue();

    expectExactlyOnce(d, audience, 'n-big');
    expect(parsedFrames(d, 's-00')[0]).toEqual({
      type: 'notification', id: 'n-big', topic: 'big', data: 'hello', time: '2026-11-22T10:00:00.000Z',
    });
  });

  test('an audience at the threshold is delivered inline', async () => {
    const d = await deploy(services, { DELIVERY_SHARD_THRESHOLD: '3' });
    for (const id of ['i-a', 'i-b', 'i-c']) await d.connect(id, { userId: 'carol' });
    await d.invoke(bridgeEvent({ userId: 'carol', data: 1 }));
    expect(d.queued()).toEqual([]);
    expectExactlyOnce(d, ['i-a', 'i-b', 'i-c']);
  });

  test('crossing the threshold mid-audience: the pages already posted to stay here, the rest is sharded, none in both', async () => {
    const d = await deploy(services, { DELIVERY_SHARD_THRESHOLD: '150', DELIVERY_SHARD_SIZE: '40' });
    const audience = Array.from({ length: 230 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    for (const id of audience) await d.connect(id, { topics: ['mid'] });

    const response = await d.invoke(bridgeEvent({ topic: 'mid', id: 'n-mid', data: 1 }));

    expect(response.batchItemFailures).toEqual([]);
    // The first page (AUDIENCE_FIRST_PAGE_SIZE ids) is within the threshold and posted here; the
    // second one takes the count past it and goes to shards whole.
    const postedHere = [...services.posts.keys()];
    expect(postedHere).toHaveLength(AUDIENCE_FIRST_PAGE_SIZE);
    const sharded = shardBodies(d).flatMap((s) => s.connectionIds);
    expect(sharded.filter((id) => postedHere.includes(id))).toEqual([]);
    expect([...postedHere, ...sharded].sort()).toEqual(audience);
    for (const s of shardBodies(d)) expect(s).toMatchObject({ attempt: 1, notification: { id: 'n-mid' } });

    await d.drainQueue();
    expectExactlyOnce(d, audience, 'n-mid');
  });

  test('an audience of exactly the threshold read over several pages is delivered inline', async () => {
    const audience = Array.from({ length: AUDIENCE_FIRST_PAGE_SIZE + 20 }, (_, i) => `x-${i}`);
    const d = await deploy(services, { DELIVERY_SHARD_THRESHOLD: String(audience.length) });
    for (const id of audience) await d.connect(id, { topics: ['exact'] });
    await d.invoke(bridgeEvent({ topic: 'exact', id: 'n-exact', data: 1 }));
    expect(d.queued()).toEqual([]);
    expectExactlyOnce(d, audience, 'n-exact');
  });

  test('SendMessageBatch entries that SQS fails are sent again', async () => {
    const d = await deploy(services, { DELIVERY_SHARD_THRESHOLD: '2', DELIVERY_SHARD_SIZE: '1' });
    const audience = ['f-a', 'f-b', 'f-c', 'f-d'];
    for (const id of audience) await d.connect(id, { topics: ['flaky'] });
    const failedOnce = new Set<string>();
    services.sqsFaults = ({ action, entryId }) => {
      if (action !== 'SendMessageBatch' || entryId === undefined || entryId === '0' || failedOnce.has(entryId)) return undefined;
      failedOnce.add(entryId);
      return { code: 'InternalError', senderFault: false };
    };
    const response = await d.invoke(bridgeEvent({ topic: 'flaky', data: 1 }));
    expect(response.batchItemFailures).toEqual([]);
    expect(failedOnce.size).toBe(3);
    expect(shardBodies(d).flatMap((s) => s.connectionIds).sort()).toEqual(audience);
    await d.drainQueue();
    expectExactlyOnce(d, audience);
  });
});

describe('deliver handler: configuration', () => {
  test('a missing or invalid variable fails init with a message naming it', () => {
    expect(() => loadHandler('deliver', { CALLBACK_URL: undefined })).toThrow(/CALLBACK_URL/);
    expect(() => loadHandler('deliver', { CALLBACK_URL: 'http://127.0.0.1:1/x', DELIVERY_POST_CONCURRENCY: 'lots' })).toThrow(/DELIVERY_POST_CONCURRENCY.*integer/);
    expect(() => loadHandler('deliver', { DELIVERY_POST_CONCURRENCY: '4', ALLOW_BROADCAST: 'yes' })).toThrow(/ALLOW_BROADCAST.*"true" or "false"/);
    expect(() => loadHandler('deliver', { ALLOW_BROADCAST: 'false', DELIVERY_MAX_RECEIVE_COUNT: '0' })).toThrow(/DELIVERY_MAX_RECEIVE_COUNT.*integer from 1 to 1000/);
  });
});
