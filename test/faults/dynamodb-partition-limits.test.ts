/**
 * The DynamoDB proxy's per-partition limits: what the real service does to a hot partition key
 * (and local engines do not), so benchmarks and tests can see it. Real SDK clients against the
 * embedded engine, without retries, so every refusal shows.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { LocalDynamo, startDynamo } from '../../local/dynamodb';
import { DynamoProxy, partitionKeysOf, startDynamoProxy } from './support/dynamodb-proxy';

let dynamo: LocalDynamo;
let proxy: DynamoProxy;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamo();
  await dynamo.client.send(new CreateTableCommand({
    TableName: 'hot', BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  proxy = await startDynamoProxy({ target: dynamo.endpoint, partitionLimits: { writeUnitsPerSecond: 20, readUnitsPerSecond: 20, partitionKeys: { hot: 'pk' } } });
  client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await dynamo?.stop();
});

async function puts(keyOf: (i: number) => string, n: number): Promise<{ ok: number; throttled: number }> {
  const outcomes = await Promise.allSettled(Array.from({ length: n }, (_, i) => client.send(new PutItemCommand({
    TableName: 'hot', Item: { pk: { S: keyOf(i) }, sk: { S: `s${i}` } },
  }))));
  const throttled = outcomes.filter((o) => o.status === 'rejected' && (o.reason as Error).name === 'ProvisionedThroughputExceededException').length;
  return { ok: outcomes.filter((o) => o.status === 'fulfilled').length, throttled };
}

test('writes beyond a partition key\'s units are refused with ProvisionedThroughputExceededException; other keys are not', async () => {
  const spread = await puts((i) => `spread-${i}`, 100);
  expect(spread).toEqual({ ok: 100, throttled: 0 });
  const hot = await puts(() => 'one-key', 100);
  expect(hot.throttled).toBeGreaterThan(0);
  expect(hot.ok + hot.throttled).toBe(100);
  expect(proxy.partitionThrottles.get('PutItem hot')).toBe(hot.throttled);
  // A second later the key has its units again.
  await new Promise((r) => setTimeout(r, 1_100));
  expect((await puts(() => 'one-key', 5)).ok).toBe(5);
});

test('reads of a partition key are limited apart from its writes', async () => {
  const query = () => client.send(new QueryCommand({ TableName: 'hot', KeyConditionExpression: '#p = :v', ExpressionAttributeNames: { '#p': 'pk' }, ExpressionAttributeValues: { ':v': { S: 'read-key' } } }));
  const outcomes = await Promise.allSettled(Array.from({ length: 200 }, query));
  expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
  expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
});

test('finds the partition keys of each kind of request', () => {
  const keys = { t: 'pk', 't/byUser': 'userId' };
  const s = (v: string) => ({ S: v });
  expect(partitionKeysOf('PutItem', { TableName: 't', Item: { pk: s('a') } }, keys)).toEqual(['t\u0000{"S":"a"}']);
  expect(partitionKeysOf('UpdateItem', { TableName: 'other', Key: { pk: s('a') } }, keys)).toEqual([]);
  expect(partitionKeysOf('Query', { TableName: 't', IndexName: 'byUser', KeyConditionExpression: 'userId = :u AND #s > :x', ExpressionAttributeValues: { ':u': s('u1'), ':x': s('0') } }, keys))
    .toEqual(['t/byUser\u0000{"S":"u1"}']);
  expect(partitionKeysOf('BatchWriteItem', { RequestItems: { t: [{ PutRequest: { Item: { pk: s('a') } } }, { DeleteRequest: { Key: { pk: s('b') } } }, { PutRequest: { Item: { pk: s('a') } } }] } }, keys))
    .toEqual(['t\u0000{"S":"a"}', 't\u0000{"S":"b"}']);
  expect(partitionKeysOf('TransactWriteItems', { TransactItems: [{ Put: { TableName: 't', Item: { pk: s('c') } } }, { Update: { TableName: 't', Key: { pk: s('d') } } }] }, keys))
    .toEqual(['t\u0000{"S":"c"}', 't\u0000{"S":"d"}']);
});
