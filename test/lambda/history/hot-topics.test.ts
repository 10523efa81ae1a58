/**
 * Hot topics (`hotTopics`) through the deliver bundle: subscriptions, kept notifications and
 * claims spread over several partition keys, positions taken in blocks, and nothing lost,
 * doubled or out of order while instances race on one stream.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../../lib/private/runtime-contract';
import { HistoryStore } from '../../../lambda/history/history-store';
import { HOT_TOPIC_PARTITIONS, historyPartitionKeys, HotTopics, topicStream } from '../../../lambda/stores';
import { DynamoProxy, startDynamoProxy } from '../../faults/support/dynamodb-proxy';
import { bridgeEvent, deploy, Deployment, parsedFrames, Services, startServices } from '../fanout/harness';

let services: Services;
/** Counts what deliver sends DynamoDB. */
let proxy: DynamoProxy;

beforeAll(async () => {
  services = await startServices();
  proxy = await startDynamoProxy({ target: services.dynamo.env.AWS_ENDPOINT_URL_DYNAMODB });
});
afterAll(async () => {
  await proxy?.close();
  await services?.stop();
});

const HOT = { HISTORY_RULES: '["live/*"]', HOT_TOPICS_SUBSCRIPTION_RULES: '["live/*"]', HOT_TOPICS_HISTORY_RULES: '["live/*"]' };
const hot = HotTopics.of({ 'hotTopics.subscriptionRules': ['live/*'], 'hotTopics.historyRules': ['live/*'] });

function historyOf(d: Deployment): HistoryStore {
  return new HistoryStore(services.dynamo.doc, d.tables.historyTable, d.tables.countersTable, 3600, { partitionsOf: (s) => hot.historyPartitionsOf(s) });
}

/** Kept rows under each partition key of the stream. */
async function rowsPerKey(d: Deployment, stream: string): Promise<number[]> {
  return Promise.all(historyPartitionKeys(stream, HOT_TOPIC_PARTITIONS).map(async (key) => (await services.dynamo.doc.send(new QueryCommand({
    TableName: d.tables.historyTable, KeyConditionExpression: '#s = :s',
    ExpressionAttributeNames: { '#s': Tables.history.partitionKey }, ExpressionAttributeValues: { ':s': key },
  }))).Count ?? 0));
}

test('instances racing in batches on a hot stream: every notification once, positions 1..N, rows over every key, few head writes', async () => {
  const ROUNDS = 8;
  for (let round = 0; round < ROUNDS; round++) {
    const d = await deploy(services, { ...HOT, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
    const topic = `live/race-${round}`;
    for (const id of ['a', 'b', 'c']) await d.connect(id, { topics: [topic] });
    const events = Array.from({ length: 80 }, (_, i) => bridgeEvent({ topic, id: `n-${round}-${i}`, data: i }));
    const headWritesBefore = proxy.forwarded.get('UpdateItem') ?? 0;
    // Four instances at once, each taking batches of ten.
    await Promise.all([0, 1, 2, 3].map(async (k) => {
      for (let b = 0; b < 2; b++) await d.invoke(...events.slice(k * 20 + b * 10, k * 20 + b * 10 + 10));
    }));
    for (const id of ['a', 'b', 'c']) {
      const frames = parsedFrames(d, id);
      expect(new Set(frames.map((f) => f.id)).size).toBe(80);
      expect(frames).toHaveLength(80);
      expect(frames.map((f) => f.seq as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    }
    const kept = await historyOf(d).after(topicStream(topic), 0, 200, true);
    expect(kept.map((k) => k.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(new Set(kept.map((k) => JSON.parse(k.frame!).id)).size).toBe(80);
    const perKey = await rowsPerKey(d, topicStream(topic));
    // Nothing under the topic's own key; 10 under each of the eight.
    expect(perKey).toEqual([0, ...Array(HOT_TOPIC_PARTITIONS).fill(80 / HOT_TOPIC_PARTITIONS)]);
    // Eight batches of ten: a block per batch at best, a position each at worst.
    const headWrites = (proxy.forwarded.get('UpdateItem') ?? 0) - headWritesBefore;
    expect(headWrites).toBeLessThan(80);
  }
});

test('a topic made hot while in use: earlier subscribers get each notification once, and replays merge the earlier rows with the spread ones', async () => {
  const topic = 'live/switch';
  const stream = topicStream(topic);
  const plain = await deploy(services, { HISTORY_RULES: '["live/*"]' });
  await plain.connect('early', { topics: [topic] });
  await plain.invoke(...[1, 2, 3].map((i) => bridgeEvent({ topic, id: `before-${i}`, data: i })));
  // The functions deployed again with the topic hot, on the same tables.
  const d = await deploy(services, HOT, plain.tables);
  await d.connect('late', { topics: [topic] });
  // Subscribing again is idempotent across the change: no second row.
  expect(await d.stores.subscriptions.subscribe(topic, 'early', Math.floor(Date.now() / 1000) + 3600)).toBe(false);
  await d.invoke(...Array.from({ length: 9 }, (_, i) => bridgeEvent({ topic, id: `after-${i}`, data: i })));
  expect(parsedFrames(plain, 'early').map((f) => f.seq as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(parsedFrames(d, 'late').map((f) => f.seq as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 9 }, (_, i) => i + 4));
  const perKey = await rowsPerKey(d, stream);
  expect(perKey[0]).toBe(3);
  expect(perKey.reduce((x, y) => x + y)).toBe(12);

  const history = historyOf(d);
  await history.keep(stream, 7, undefined, Date.now());
  expect((await history.after(stream, 0, 100)).map((k) => k.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect((await history.after(stream, 2, 5)).map((k) => k.seq)).toEqual([3, 4, 5, 6, 7]);
  expect(await history.after(stream, 6, 1)).toEqual([{ seq: 7 }]);
  expect((await history.before(stream, 11, 4)).map((k) => k.seq)).toEqual([10, 9, 8, 7]);
  expect((await history.before(stream, 13, 100)).map((k) => k.seq)).toEqual(Array.from({ length: 12 }, (_, i) => 12 - i));
  // A byte budget stops the read at the notification that passes it.
  expect((await history.before(stream, 13, 100, 1)).map((k) => k.seq)).toEqual([12]);

  // Unsubscribing finds the earlier row too.
  expect(await d.stores.subscriptions.unsubscribe(topic, 'early')).toBe(true);
  expect(await d.stores.subscriptions.isSubscribed(topic, 'early')).toBe(false);
  expect(await d.stores.subscriptions.isSubscribed(topic, 'late')).toBe(true);
});

test('a notification positioned before its topic was made hot keeps its position when delivered again after', async () => {
  const d = await deploy(services, {});
  const stream = topicStream('live/claims');
  const before = new HistoryStore(services.dynamo.doc, d.tables.historyTable, d.tables.countersTable, 3600);
  const frameAt = ({ seq }: { seq: number }) => `{"seq":${seq}}`;
  const first = await before.positionAndKeep(stream, 'redelivered', frameAt, Date.now(), false);
  // The functions deployed again with the topic hot; SQS delivers the same notification again.
  const after = historyOf(d);
  expect((await after.positionAndKeep(stream, 'redelivered', frameAt, Date.now())).position).toEqual(first.position);
  // The next notification takes the next position: the redelivery took none.
  expect((await after.positionAndKeep(stream, 'next', frameAt, Date.now())).position.seq).toBe(first.position.seq + 1);
});
