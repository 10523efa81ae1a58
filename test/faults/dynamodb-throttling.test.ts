/**
 * DynamoDB throttling is an error only the real service produces. A proxy in front of the
 * embedded engine answers chosen calls with ProvisionedThroughputExceededException, so the
 * stores' real SDK clients run their real retry path, and the engine shows what was written.
 */
import { DynamoDBClient, DynamoDBClientConfig, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { createDocumentClient, createDynamoDbClient, createStores, DYNAMODB_MAX_ATTEMPTS, removeConnection, Stores } from '../../lambda/stores';
import { createTables, LOCAL_AWS, LocalDynamo, startDynamo } from '../../local/dynamodb';
import { DynamoFault, DynamoProxy, startDynamoProxy, THROTTLED } from './support/dynamodb-proxy';

const tables = { connectionsTable: 'fault-connections', subscriptionsTable: 'fault-subscriptions' };

/** Throttles the first `times` calls of each operation, then lets them through. */
function throttleFirst(times: number): (operation: string) => DynamoFault | undefined {
  const seen = new Map<string, number>();
  return (operation) => {
    const n = (seen.get(operation) ?? 0) + 1;
    seen.set(operation, n);
    return n <= times ? THROTTLED : undefined;
  };
}

describe('stores under DynamoDB throttling', () => {
  let dynamo: LocalDynamo;
  let proxy: DynamoProxy | undefined;
  let client: DynamoDBClient | undefined;

  beforeAll(async () => {
    dynamo = await startDynamo();
    await createTables(dynamo.client, tables);
  });
  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  async function storesBehind(
    faults: (operation: string) => DynamoFault | undefined,
    overrides: DynamoDBClientConfig = {},
  ): Promise<Stores> {
    proxy = await startDynamoProxy({ target: dynamo.endpoint, faults });
    client = createDynamoDbClient({ ...LOCAL_AWS, endpoint: proxy.endpoint, ...overrides });
    return createStores(tables, createDocumentClient(client));
  }

  async function rows(table: string): Promise<Record<string, unknown>[]> {
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: table }));
    return (Items ?? []).map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, Object.values(v)[0]])));
  }

  test('every store operation succeeds after being throttled, and writes exactly once', async () => {
    const stores = await storesBehind(throttleFirst(1));
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;

    await stores.connections.putConnection({ connectionId: 'c1', userId: 'alice', connectedAt: Date.now(), expiresAt });
    await stores.connections.putConnection({ connectionId: 'c2', userId: 'bob', connectedAt: Date.now(), expiresAt });
    expect(await stores.connections.reserveSubscription('c1', 5)).toEqual({ outcome: 'reserved', expiresAt });
    expect(await stores.subscriptions.subscribe('orders/42', 'c1', expiresAt)).toBe(true);
    expect(await stores.subscriptions.subscribe('orders/42', 'c2', expiresAt)).toBe(true);

    const audience: string[] = [];
    for await (const page of stores.subscriptions.queryConnectionIdsByTopic('orders/42')) audience.push(...page);
    expect(audience.sort()).toEqual(['c1', 'c2']);

    const byUser: string[] = [];
    for await (const page of stores.connections.queryConnectionIdsByUser('alice')) byUser.push(...page);
    expect(byUser).toEqual(['c1']);

    expect(await removeConnection(stores, 'c2')).toBe(1);

    // Each operation really was refused before it went through.
    for (const operation of ['PutItem', 'UpdateItem', 'Query', 'DeleteItem', 'BatchWriteItem']) {
      expect(proxy!.faultsInjected.get(operation)).toBe(1);
    }
    // The retries left no duplicates and no partial state behind.
    const connections = await rows(tables.connectionsTable);
    expect(connections.map((r) => r.connectionId)).toEqual(['c1']);
    expect(connections[0].subscriptionCount).toBe('1');
    const subscriptions = await rows(tables.subscriptionsTable);
    expect(subscriptions.map((r) => `${r.topic}|${r.connectionId}`)).toEqual(['orders/42|c1']);
  });

  test('throttling that outlasts the retry budget surfaces as an error and writes nothing', async () => {
    // The stores' own attempt budget, with the SDK's throttling backoff (0.5 s doubling) shortened
    // so that exhausting it takes milliseconds; what is tested is that the store lets it surface.
    const stores = await storesBehind(
      (operation) => (operation === 'PutItem' ? THROTTLED : undefined),
      { retryStrategy: new ConfiguredRetryStrategy(DYNAMODB_MAX_ATTEMPTS, () => 5) },
    );
    await expect(stores.subscriptions.subscribe('orders/7', 'c9', 1))
      .rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(proxy!.faultsInjected.get('PutItem')).toBe(DYNAMODB_MAX_ATTEMPTS);
    const subscriptions = await rows(tables.subscriptionsTable);
    expect(subscriptions.find((r) => r.topic === 'orders/7')).toBeUndefined();
  });
});
