import { LOCAL_AWS } from '../../../local/dynamodb';
import { createDocumentClient, createDynamoDbClient, DYNAMODB_MAX_ATTEMPTS, dynamoDbRetryDelayMs } from '../../../lambda/stores/clients';
import { ConnectionStore } from '../../../lambda/stores/connection-store';
import { HOT_TOPIC_PARTITIONS, subscriptionKey, topicOfPartitionKey, topicPartitionKeys } from '../../../lambda/stores/keys';
import { removeConnection } from '../../../lambda/stores/remove-connection';
import { SubscriptionStore } from '../../../lambda/stores/subscription-store';
import { createStores, HotTopics, removeGoneConnection, Stores } from '../../../lambda/stores';
import { FaultyDynamoHandler } from '../../support/dynamo-faults';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';

let db: TestDynamo;
let connections: ConnectionStore;
let subscriptions: SubscriptionStore;
let stores: Stores;

beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(async () => {
  const tables = await db.freshTables();
  stores = createStores(tables, db.doc);
  ({ connections, subscriptions } = stores);
});

async function collect(pages: AsyncIterable<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const HOUR = 3600;
const expiresAt = () => Math.floor(Date.now() / 1000) + HOUR;

describe('keys', () => {
  test('subscription keys put the topic in the partition key and the connection in the sort key', () => {
    expect(subscriptionKey('orders/42', 'c1=')).toEqual({ topic: 'orders/42', connectionId: 'c1=' });
    expect(topicPartitionKeys('orders/42')).toEqual(['orders/42']);
  });
});

describe('ConnectionStore', () => {
  test('puts, gets and deletes a connection with its TTL', async () => {
    await connections.putConnection({ connectionId: 'a=', userId: 'alice', connectedAt: 1_700_000_000_000, expiresAt: 1_700_010_000 });
    expect(await connections.getConnection('a=')).toEqual({
      connectionId: 'a=', userId: 'alice', connectedAt: 1_700_000_000_000, expiresAt: 1_700_010_000,
    });
    await connections.deleteConnection('a=');
    expect(await connections.getConnection('a=')).toBeUndefined();
    await expect(connections.deleteConnection('a=')).resolves.toBeUndefined();
  });

  test('a connection without a user has no userId attribute and is in no user query', async () => {
    await connections.putConnection({ connectionId: 'anon=', connectedAt: 1, expiresAt: expiresAt() });
    const [row] = await db.items(connections.tableName);
    expect(row).not.toHaveProperty('userId');
  });

  test('queries a user\'s connections page by page through the byUser index', async () => {
    const alice = Array.from({ length: 7 }, (_, i) => `alice-${i}=`);
    for (const id of alice) await connections.putConnection({ connectionId: id, userId: 'alice', connectedAt: 1, expiresAt: expiresAt() });
    await connections.putConnection({ connectionId: 'bob-0=', userId: 'bob', connectedAt: 1, expiresAt: expiresAt() });

    const pages = await collect(connections.queryConnectionIdsByUser('alice', { pageSize: 3 }));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((p) => p.length <= 3)).toBe(true);
    expect(pages.flat().sort()).toEqual([...alice].sort());
    expect(await collect(connections.queryConnectionIdsByUser('nobody'))).toEqual([]);
  });

  test('with tokenValidAt, a user\'s connections and all connections leave out those whose token expired by then', async () => {
    await connections.putConnection({ connectionId: 'valid=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt(), tokenExpiresAt: 2_000 });
    await connections.putConnection({ connectionId: 'expired=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt(), tokenExpiresAt: 1_000 });
    await connections.putConnection({ connectionId: 'unchecked=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt() });
    expect((await collect(connections.queryConnectionIdsByUser('alice', { tokenValidAt: 1_000 }))).flat().sort()).toEqual(['unchecked=', 'valid=']);
    expect((await collect(connections.queryConnectionIdsByUser('alice'))).flat().sort()).toEqual(['expired=', 'unchecked=', 'valid=']);
    expect((await collect(connections.scanAllConnectionIds({ tokenValidAt: 1_000 }))).flat().sort()).toEqual(['unchecked=', 'valid=']);
  });

  test('renewToken moves the expiry only later and only on a row that exists; deleteExpiredConnection only at the expiry it was set for', async () => {
    await connections.putConnection({ connectionId: 'r=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt(), tokenExpiresAt: 1_000 });
    expect(await connections.renewToken('r=', 900)).toEqual({ outcome: 'not-later', tokenExpiresAt: 1_000 });
    expect(await connections.renewToken('r=', 2_000)).toEqual({ outcome: 'renewed' });
    expect(await connections.renewToken('gone=', 2_000)).toEqual({ outcome: 'no-connection' });
    expect(await connections.deleteExpiredConnection('r=', 1_000)).toBeUndefined();
    expect(await connections.deleteExpiredConnection('r=', 2_000)).toMatchObject({ connectionId: 'r=', tokenExpiresAt: 2_000 });
    expect(await connections.getConnection('r=')).toBeUndefined();
  });

  test('scans every connection id, page by page and in segments', async () => {
    const ids = Array.from({ length: 9 }, (_, i) => `c${i}=`);
    for (const id of ids) await connections.putConnection({ connectionId: id, connectedAt: 1, expiresAt: expiresAt() });
    expect((await collect(connections.scanAllConnectionIds({ pageSize: 4 }))).flat().sort()).toEqual(ids);
    const segmented = [
      ...(await collect(connections.scanAllConnectionIds({ segment: 0, totalSegments: 2 }))).flat(),
      ...(await collect(connections.scanAllConnectionIds({ segment: 1, totalSegments: 2 }))).flat(),
    ];
    expect(segmented.sort()).toEqual(ids);
  });

  test('reserves subscription slots up to the cap and tells a full connection from a missing one', async () => {
    const exp = expiresAt();
    await connections.putConnection({ connectionId: 'a=', connectedAt: 1, expiresAt: exp });
    expect(await connections.reserveSubscription('a=', 2)).toEqual({ outcome: 'reserved', expiresAt: exp });
    expect(await connections.reserveSubscription('a=', 2)).toEqual({ outcome: 'reserved', expiresAt: exp });
    expect(await connections.reserveSubscription('a=', 2)).toEqual({ outcome: 'limit-reached' });
    expect((await connections.getConnection('a='))?.subscriptionCount).toBe(2);

    expect(await connections.reserveSubscription('missing=', 2)).toEqual({ outcome: 'no-connection' });
    expect(await db.get(connections.tableName, { connectionId: 'missing=' })).toBeUndefined();
  });

  test('concurrent reservations never exceed the cap', async () => {
    await connections.putConnection({ connectionId: 'a=', connectedAt: 1, expiresAt: expiresAt() });
    const results = await Promise.all(Array.from({ length: 20 }, () => connections.reserveSubscription('a=', 5)));
    expect(results.filter((r) => r.outcome === 'reserved')).toHaveLength(5);
    expect((await connections.getConnection('a='))?.subscriptionCount).toBe(5);
  });

  test('releasing never goes below zero and ignores a gone connection', async () => {
    await connections.putConnection({ connectionId: 'a=', connectedAt: 1, expiresAt: expiresAt() });
    await connections.reserveSubscription('a=', 5);
    await connections.releaseSubscription('a=');
    await connections.releaseSubscription('a=');
    expect((await connections.getConnection('a='))?.subscriptionCount).toBe(0);
    await expect(connections.releaseSubscription('gone=')).resolves.toBeUndefined();
    expect(await db.get(connections.tableName, { connectionId: 'gone=' })).toBeUndefined();
  });
});

describe('SubscriptionStore', () => {
  test('subscribe is idempotent and unsubscribe reports whether the subscription existed', async () => {
    const exp = expiresAt();
    expect(await subscriptions.subscribe('orders/42', 'a=', exp)).toBe(true);
    expect(await subscriptions.subscribe('orders/42', 'a=', exp + 10)).toBe(false);
    expect(await db.items(subscriptions.tableName)).toEqual([{ topic: 'orders/42', connectionId: 'a=', expiresAt: exp }]);
    expect(await subscriptions.isSubscribed('orders/42', 'a=')).toBe(true);
    expect(await subscriptions.unsubscribe('orders/42', 'a=')).toBe(true);
    expect(await subscriptions.unsubscribe('orders/42', 'a=')).toBe(false);
    expect(await subscriptions.isSubscribed('orders/42', 'a=')).toBe(false);
  });

  test('queries a topic\'s subscribers page by page, and only that topic\'s', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `c${String(i).padStart(2, '0')}=`);
    for (const id of ids) await subscriptions.subscribe('news', id, expiresAt());
    await subscriptions.subscribe('news/sport', 'other=', expiresAt());
    const pages = await collect(subscriptions.queryConnectionIdsByTopic('news', { pageSize: 4 }));
    expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
    expect(pages.flat()).toEqual(ids);
  });

  test('removes every subscription of one connection, over several batches', async () => {
    const topics = Array.from({ length: 60 }, (_, i) => `t/${i}`);
    for (const topic of topics) await subscriptions.subscribe(topic, 'a=', expiresAt());
    await subscriptions.subscribe('t/0', 'b=', expiresAt());
    expect(await subscriptions.removeAllForConnection('a=')).toBe(60);
    expect(await db.items(subscriptions.tableName)).toEqual([expect.objectContaining({ topic: 't/0', connectionId: 'b=' })]);
    expect(await subscriptions.removeAllForConnection('a=')).toBe(0);
  });

  test('re-sends the items DynamoDB leaves unprocessed in a batch', async () => {
    const tables = await db.freshTables();
    let partialBatches = 0;
    // The engine processes the whole batch; the answer then claims all but the first item
    // unprocessed, twice, as DynamoDB does under load.
    const handler = new FaultyDynamoHandler(() => undefined, (operation, request, response) => {
      if (operation !== 'BatchWriteItem' || partialBatches >= 2) return response;
      partialBatches++;
      const requests = (request.RequestItems as Record<string, unknown[]>)[tables.subscriptionsTable];
      return { ...response, UnprocessedItems: { [tables.subscriptionsTable]: requests.slice(1) } };
    });
    const doc = createDocumentClient(createDynamoDbClient({ ...LOCAL_AWS, endpoint: db.dynamo.endpoint, requestHandler: handler.asRequestHandler }));
    const store = new SubscriptionStore(doc, tables.subscriptionsTable, async () => undefined);
    for (let i = 0; i < 5; i++) await store.subscribe(`t/${i}`, 'a=', expiresAt());
    expect(await store.removeAllForConnection('a=')).toBe(5);
    expect(handler.calls.filter((c) => c === 'BatchWriteItem')).toHaveLength(3);
    expect(await db.items(tables.subscriptionsTable)).toEqual([]);
    doc.destroy();
  });

  test('gives up with a clear error when items stay unprocessed', async () => {
    const tables = await db.freshTables();
    const handler = new FaultyDynamoHandler(() => undefined, (operation, request, response) =>
      operation === 'BatchWriteItem' ? { ...response, UnprocessedItems: request.RequestItems } : response);
    const doc = createDocumentClient(createDynamoDbClient({ ...LOCAL_AWS, endpoint: db.dynamo.endpoint, requestHandler: handler.asRequestHandler }));
    const waits: number[] = [];
    const store = new SubscriptionStore(doc, tables.subscriptionsTable, async (ms) => void waits.push(ms));
    await store.subscribe('t/1', 'a=', expiresAt());
    await expect(store.removeAllForConnection('a=')).rejects.toThrow(/unprocessed after 8 rounds/);
    // A jittered wait before each round after the first, within a ceiling that doubles from 100 ms.
    expect(waits).toHaveLength(7);
    waits.forEach((ms, i) => expect([i, ms >= 0 && ms < 100 * 2 ** i]).toEqual([i, true]));
    doc.destroy();
  });
});

describe('SubscriptionStore on a hot topic', () => {
  const hot = HotTopics.of({ 'hotTopics.subscriptionRules': ['live/*'] });
  const spread = () => new SubscriptionStore(db.doc, subscriptions.tableName, undefined, hot);

  test('spreads the subscriptions over the topic\'s keys by connection id; reads each once and removes each', async () => {
    const store = spread();
    const ids = Array.from({ length: 120 }, (_, i) => `c${i}=`);
    for (const id of ids) expect(await store.subscribe('live/1', id, expiresAt(), 'u1')).toBe(true);
    expect(await store.subscribe('live/1', 'c0=', expiresAt())).toBe(false);
    const keys = new Set(ids.map((id) => subscriptionKey('live/1', id, HOT_TOPIC_PARTITIONS).topic));
    expect(keys.size).toBe(HOT_TOPIC_PARTITIONS);
    expect([...keys].map(topicOfPartitionKey)).toEqual(Array(HOT_TOPIC_PARTITIONS).fill('live/1'));
    expect((await collect(store.queryConnectionIdsByTopic('live/1', { pageSize: 7 }))).flat().sort()).toEqual([...ids].sort());
    // The first page is small (posting starts at once), though the topic's own key is empty.
    const [first, ...rest] = await collect(store.queryConnectionIdsByTopic('live/1', { firstPageSize: 3 }));
    expect(first).toHaveLength(3);
    expect([first, ...rest].flat()).toHaveLength(ids.length);
    // A topic the rules do not name stays under one key.
    await store.subscribe('news/1', 'c0=', expiresAt());
    expect(topicPartitionKeys('news/1', hot.subscriptionPartitionsOf('news/1'))).toEqual(['news/1']);
    expect(await store.isSubscribed('live/1', 'c5=')).toBe(true);
    expect(await store.unsubscribe('live/1', 'c5=')).toBe(true);
    expect(await store.unsubscribe('live/1', 'c5=')).toBe(false);
    expect(await store.isSubscribed('live/1', 'c5=')).toBe(false);
    // A disconnect finds them through the index, and names the topic, not the key.
    const removedTopics: string[] = [];
    expect(await store.removeAllForConnection('c7=', { isTracked: () => true, removed: async (topic) => void removedTopics.push(topic) })).toBe(1);
    expect(removedTopics).toEqual(['live/1']);
  });

  test('a subscription from before the topic was hot is read once, kept on subscribing again, and removed', async () => {
    await subscriptions.subscribe('live/2', 'old=', expiresAt());
    const store = spread();
    await store.subscribe('live/2', 'new=', expiresAt());
    expect(await store.subscribe('live/2', 'old=', expiresAt())).toBe(false);
    expect((await collect(store.queryConnectionIdsByTopic('live/2'))).flat().sort()).toEqual(['new=', 'old=']);
    expect(await store.isSubscribed('live/2', 'old=')).toBe(true);
    expect(await store.unsubscribe('live/2', 'old=')).toBe(true);
    expect((await collect(store.queryConnectionIdsByTopic('live/2'))).flat()).toEqual(['new=']);
  });
});

describe('removeConnection', () => {
  test('removes the connection row and all of its subscriptions, and nothing else', async () => {
    await connections.putConnection({ connectionId: 'a=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt() });
    await connections.putConnection({ connectionId: 'b=', userId: 'bob', connectedAt: 1, expiresAt: expiresAt() });
    for (const topic of ['x', 'y', 'users/alice/inbox']) await subscriptions.subscribe(topic, 'a=', expiresAt());
    await subscriptions.subscribe('x', 'b=', expiresAt());

    expect(await removeConnection(stores, 'a=')).toBe(3);
    expect((await db.items(connections.tableName)).map((r) => r.connectionId)).toEqual(['b=']);
    expect(await db.items(subscriptions.tableName)).toEqual([expect.objectContaining({ topic: 'x', connectionId: 'b=' })]);
    // Already gone: not an error.
    expect(await removeConnection(stores, 'a=')).toBe(0);
  });

  test("frees the connection's place among its user's connections, with the user from the row or from the caller", async () => {
    for (const id of ['a=', 'b=', 'c=']) expect(await stores.userConnections.admit('alice', id, 3, expiresAt())).toBe(true);
    await connections.putConnection({ connectionId: 'a=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt() });
    await removeConnection(stores, 'a=');
    // b='s row is already gone: only the caller can say whose it was.
    await removeConnection(stores, 'b=', undefined, 'alice');
    expect(await stores.userConnections.list('alice')).toEqual(['c=']);
  });
});

describe('removeGoneConnection', () => {
  test("keeps a connection whose $connect may still be running (a 410 then proves nothing), and removes it after", async () => {
    const openBy = Date.now() + 5_000;
    await connections.putConnection({ connectionId: 'a=', userId: 'alice', connectedAt: 1, expiresAt: expiresAt(), openBy });
    await stores.userConnections.admit('alice', 'a=', 5, expiresAt());
    expect(await removeGoneConnection(stores, 'a=', openBy - 1)).toBe(false);
    expect(await connections.getConnection('a=')).toBeDefined();
    expect(await stores.userConnections.list('alice')).toEqual(['a=']);
    expect(await removeGoneConnection(stores, 'a=', openBy)).toBe(true);
    expect(await connections.getConnection('a=')).toBeUndefined();
    expect(await stores.userConnections.list('alice')).toEqual([]);
  });

  test('removes rows written without openBy, and a row already gone is not an error', async () => {
    await connections.putConnection({ connectionId: 'a=', connectedAt: 1, expiresAt: expiresAt() });
    expect(await removeGoneConnection(stores, 'a=', Date.now())).toBe(true);
    expect(await removeGoneConnection(stores, 'a=', Date.now())).toBe(true);
    expect(await db.items(connections.tableName)).toEqual([]);
  });
});

describe('user connections', () => {
  test(`admits at most max connections of a user however many race, and admitting one twice takes one place`, async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}=`);
    const admitted = await Promise.all(ids.map((id) => stores.userConnections.admit('alice', id, 7, expiresAt())));
    expect(admitted.filter(Boolean)).toHaveLength(7);
    const inSet = await stores.userConnections.list('alice');
    expect(inSet.sort()).toEqual(ids.filter((_, i) => admitted[i]).sort());
    expect(await stores.userConnections.admit('alice', inSet[0], 7, expiresAt())).toBe(true);
    expect(await stores.userConnections.list('alice')).toHaveLength(7);
  });

  test('release is idempotent and never writes an item for a user with no set', async () => {
    await stores.userConnections.admit('alice', 'a=', 2, expiresAt());
    await stores.userConnections.release('alice', 'a=');
    await stores.userConnections.release('alice', 'a=');
    await stores.userConnections.release('nobody', 'x=');
    expect(await stores.userConnections.list('alice')).toEqual([]);
    expect(await stores.userConnections.admit('alice', 'b=', 1, expiresAt())).toBe(true);
    expect(await stores.userConnections.admit('alice', 'c=', 1, expiresAt())).toBe(false);
    expect((await db.items(stores.userConnections.tableName)).map((item) => item.pk)).toEqual(['connections#alice']);
  });
});

describe('throttling', () => {
  test.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])(
    'the shared client retries %s and the store call succeeds', async (type) => {
      let faults = 0;
      const handler = new FaultyDynamoHandler(() => (faults < 2 ? (faults++, { statusCode: 400, type, message: 'slow down' }) : undefined));
      const doc = createDocumentClient(createDynamoDbClient({ ...LOCAL_AWS, endpoint: db.dynamo.endpoint, requestHandler: handler.asRequestHandler }));
      const store = new ConnectionStore(doc, connections.tableName);
      await store.putConnection({ connectionId: 'a=', connectedAt: 1, expiresAt: expiresAt() });
      expect(handler.calls).toEqual(['PutItem', 'PutItem', 'PutItem']);
      expect(await connections.getConnection('a=')).toBeDefined();
      doc.destroy();
    });

  test('every retry of a call fits in well under a route function\'s timeout', () => {
    const worst = Array.from({ length: DYNAMODB_MAX_ATTEMPTS - 1 }, (_, i) => dynamoDbRetryDelayMs(i + 1, () => 0.999999));
    expect(Math.max(...worst)).toBeLessThanOrEqual(1_000);
    expect(worst.reduce((a, b) => a + b, 0)).toBeLessThan(2_000);
    expect(dynamoDbRetryDelayMs(1, () => 0)).toBe(0);
  });

  test('gives up after the configured number of attempts with the last error', async () => {
    // A 500 rather than throttling: the same attempt budget, with shorter back-off.
    const handler = new FaultyDynamoHandler(() => ({ statusCode: 500, type: 'InternalServerError', message: 'try again' }));
    const doc = createDocumentClient(createDynamoDbClient({ ...LOCAL_AWS, endpoint: db.dynamo.endpoint, requestHandler: handler.asRequestHandler }));
    const store = new ConnectionStore(doc, connections.tableName);
    await expect(store.getConnection('a=')).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(handler.calls).toHaveLength(DYNAMODB_MAX_ATTEMPTS);
    doc.destroy();
  });
});
