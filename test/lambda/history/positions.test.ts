/**
 * Positions in streams with history, as deliver gives them: once per notification, whatever
 * SQS redelivers or how many instances run at once, and kept before anything is posted.
 */
import { topicStream, userStream } from '../../../lambda/stores';
import { HistoryStore } from '../../../lambda/history/history-store';
import { parseShardMessage } from '../../../lambda/fanout/shard-message';
import { DynamoFault, DynamoProxy, startDynamoProxy } from '../../faults/support/dynamodb-proxy';
import { bridgeEvent, deploy, Deployment, lambdaContext, parsedFrames, Services, sqsRecord, startServices } from '../fanout/harness';

let services: Services;
/** DynamoDB as deliver reaches it in the tests that make one write fail. */
let proxy: DynamoProxy;
/** The write DynamoDB fails, on every attempt, while set. */
let failing: ((operation: string, request: Record<string, unknown>) => boolean) | undefined;
const FAILING_TABLE: DynamoFault = { errorType: 'InternalServerError', status: 500 };

beforeAll(async () => {
  services = await startServices();
  proxy = await startDynamoProxy({
    target: services.dynamo.env.AWS_ENDPOINT_URL_DYNAMODB,
    faults: (operation, request) => (failing?.(operation, request) ? FAILING_TABLE : undefined),
  });
});
afterAll(async () => {
  await proxy?.close();
  await services?.stop();
});
beforeEach(() => {
  services.connectionFaults = () => undefined;
  failing = undefined;
});

const HISTORY = { HISTORY_RULES: '["orders/*"]' };

function historyOf(d: Deployment): HistoryStore {
  return new HistoryStore(services.dynamo.doc, d.tables.historyTable, d.tables.countersTable, 3600);
}

test('a topic with history: each notification gets the next seq, in the frame and in the kept history', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('a', { topics: ['orders/1', 'news/1'] });
  await d.invoke(bridgeEvent({ topic: 'orders/1', id: 'o-1', data: 1 }), bridgeEvent({ topic: 'news/1', id: 'x-1', data: 1 }));
  await d.invoke(bridgeEvent({ topic: 'orders/1', id: 'o-2', data: 2 }));
  const frames = parsedFrames(d, 'a');
  const byId = Object.fromEntries(frames.map((f) => [f.id, f]));
  expect(byId['o-1']).toMatchObject({ seq: 1, epoch: expect.any(String) });
  expect(byId['o-2']).toMatchObject({ seq: 2, epoch: byId['o-1'].epoch });
  // A topic the history rules do not name keeps no positions.
  expect(byId['x-1']).not.toHaveProperty('seq');
  const kept = await historyOf(d).after(topicStream('orders/1'), 0, 10);
  expect(kept.map((k) => JSON.parse(k.frame!).id)).toEqual(['o-1', 'o-2']);
  // What is kept is exactly what was posted.
  expect(kept.map((k) => k.frame)).toEqual(d.frames.get('a')!.filter((f) => f.includes('"o-')));
});

test('a notification SQS delivers again keeps its seq; nothing gets a second one', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('a', { topics: ['orders/2'] });
  const event = bridgeEvent({ topic: 'orders/2', id: 'again', data: 1 });
  await d.invoke(event);
  await d.invoke(bridgeEvent({ topic: 'orders/2', id: 'between', data: 2 }));
  // SQS's second receive of the same message.
  await d.handler({ Records: [sqsRecord(event, d.queueUrl, 2)] }, lambdaContext());
  const seqs = parsedFrames(d, 'a').map((f) => [f.id, f.seq]);
  expect(seqs).toEqual([['again', 1], ['between', 2], ['again', 1]]);
  expect((await historyOf(d).after(topicStream('orders/2'), 0, 10)).map((k) => k.seq)).toEqual([1, 2]);
});

test('the same event arriving twice as two messages (EventBridge delivers at least once) keeps one seq; the other position is void', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('a', { topics: ['orders/7'] });
  const event = bridgeEvent({ topic: 'orders/7', id: 'twice', data: 1 });
  await d.invoke(event);
  await d.invoke(event);
  expect(parsedFrames(d, 'a').map((f) => [f.id, f.seq])).toEqual([['twice', 1], ['twice', 1]]);
  const kept = await historyOf(d).after(topicStream('orders/7'), 0, 10);
  expect(kept.map((k) => [k.seq, k.frame === undefined ? 'void' : JSON.parse(k.frame).id])).toEqual([[1, 'twice'], [2, 'void']]);
});

test('instances racing on one stream give every notification its own seq, with no gap', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('a', { topics: ['orders/3'] });
  const events = Array.from({ length: 24 }, (_, i) => bridgeEvent({ topic: 'orders/3', id: `r-${i}`, data: i }));
  await Promise.all([0, 1, 2, 3].map((k) => d.invoke(...events.slice(k * 6, k * 6 + 6))));
  const seqs = parsedFrames(d, 'a').map((f) => f.seq as number).sort((x, y) => x - y);
  expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(await historyOf(d).after(topicStream('orders/3'), 0, 100)).toHaveLength(24);
});

test('the same notification delivered twice at once gets one seq; the position the loser took is marked void', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('a', { topics: ['orders/4'] });
  const event = bridgeEvent({ topic: 'orders/4', id: 'twin', data: 1 });
  await Promise.all([d.invoke(event), d.invoke(event)]);
  const frames = parsedFrames(d, 'a');
  expect(new Set(frames.map((f) => f.seq)).size).toBe(1);
  const kept = await historyOf(d).after(topicStream('orders/4'), 0, 10);
  // One kept frame; a second position, if one was taken, is void: the stream has no unexplained gap.
  expect(kept.filter((k) => k.frame !== undefined)).toHaveLength(1);
  expect(kept.map((k) => k.seq)).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
});

test('a retry keeps the seq the first attempt gave', async () => {
  const d = await deploy(services, HISTORY);
  await d.connect('ok', { topics: ['orders/5'] });
  await d.connect('flaky', { topics: ['orders/5'] });
  let failures = 3;
  services.connectionFaults = (method, id) => (method === 'POST' && id === 'flaky' && failures-- > 0 ? { status: 500 } : undefined);
  await d.invoke(bridgeEvent({ topic: 'orders/5', id: 'kept', data: 1 }));
  const [retry] = d.queued().map((m) => parseShardMessage(JSON.parse(m.body)));
  expect(retry).toMatchObject({ ok: true, shard: { notification: { id: 'kept', seq: 1 } } });
  await d.drainQueue();
  expect(parsedFrames(d, 'flaky')).toEqual([parsedFrames(d, 'ok')[0]]);
});

test('a user notification is kept in the user\'s own stream even with no connection open (the offline inbox)', async () => {
  const d = await deploy(services, HISTORY);
  await d.invoke(bridgeEvent({ userId: 'away', id: 'u-1', data: 'while you were out' }));
  const kept = await historyOf(d).after(userStream('away'), 0, 10);
  expect(kept).toHaveLength(1);
  expect(JSON.parse(kept[0].frame!)).toMatchObject({ id: 'u-1', seq: 1, userId: 'away', data: 'while you were out' });
});

test('with userHistory off and no history rules, nothing is kept and frames carry no position', async () => {
  const d = await deploy(services, { HISTORY_USER_STREAMS: 'false' });
  await d.connect('a', { userId: 'plain', topics: ['orders/6'] });
  await d.invoke(bridgeEvent({ userId: 'plain', id: 'p-1', data: 1 }), bridgeEvent({ topic: 'orders/6', id: 'p-2', data: 2 }));
  expect(parsedFrames(d, 'a').map((f) => f.seq)).toEqual([undefined, undefined]);
  expect(await services.dynamo.items(d.tables.historyTable)).toEqual([]);
});

describe('a write of the position failing after the seq was taken', () => {
  const putTo = (table: string, request: Record<string, unknown>, what: (item: Record<string, unknown>) => boolean) =>
    request.TableName === table && what(request.Item as Record<string, unknown>);

  test('the frame: the record is retried and keeps its seq, whose frame is then kept', async () => {
    const d = await deploy(services, { ...HISTORY, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
    await d.connect('a', { topics: ['orders/8'] });
    const event = bridgeEvent({ topic: 'orders/8', id: 'frame-lost', data: 1 });
    failing = (operation, request) => operation === 'PutItem' && putTo(d.tables.historyTable, request, (item) => 'frame' in item);
    // Its only record failed: the whole batch goes back to SQS.
    await expect(d.invoke(event)).rejects.toThrow('All records failed processing');
    // Nothing is posted before its frame is kept.
    expect(d.frames.get('a')).toEqual([]);
    expect(await historyOf(d).claimed(topicStream('orders/8'), 'frame-lost', true)).toMatchObject({ seq: 1 });

    failing = undefined;
    const again = await d.handler({ Records: [sqsRecord(event, d.queueUrl, 2)] }, lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(parsedFrames(d, 'a').map((f) => [f.id, f.seq])).toEqual([['frame-lost', 1]]);
    const kept = await historyOf(d).after(topicStream('orders/8'), 0, 10);
    expect(kept.map((k) => [k.seq, k.frame === undefined ? 'void' : JSON.parse(k.frame).id])).toEqual([[1, 'frame-lost']]);
  });

  test('the claim (not a lost race): the seq taken is marked void, and the retried record gets the next one', async () => {
    const d = await deploy(services, { ...HISTORY, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
    await d.connect('a', { topics: ['orders/9'] });
    const event = bridgeEvent({ topic: 'orders/9', id: 'claim-lost', data: 1 });
    failing = (operation, request) => operation === 'PutItem' && putTo(d.tables.countersTable, request, () => request.ConditionExpression !== undefined);
    // Its only record failed: the whole batch goes back to SQS.
    await expect(d.invoke(event)).rejects.toThrow('All records failed processing');
    expect(d.frames.get('a')).toEqual([]);
    const stream = topicStream('orders/9');
    expect(await historyOf(d).claimed(stream, 'claim-lost', true)).toBeUndefined();
    expect(await historyOf(d).after(stream, 0, 10, true)).toEqual([{ seq: 1 }]);

    failing = undefined;
    const again = await d.handler({ Records: [sqsRecord(event, d.queueUrl, 2)] }, lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(parsedFrames(d, 'a').map((f) => [f.id, f.seq])).toEqual([['claim-lost', 2]]);
    const kept = await historyOf(d).after(stream, 0, 10, true);
    expect(kept.map((k) => [k.seq, k.frame === undefined ? 'void' : JSON.parse(k.frame).id])).toEqual([[1, 'void'], [2, 'claim-lost']]);
  });
});
