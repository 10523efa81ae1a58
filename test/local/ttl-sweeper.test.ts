/** The TTL sweeper against the embedded engine, which never expires items by itself. */
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE, SUBSCRIPTIONS_TABLE } from '../../lib/private/runtime-contract';
import { createTables, LocalDynamo, startDynamo } from '../../local/dynamodb';
import { TtlSweeper } from '../../local/ttl-sweeper';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('TTL sweeper', () => {
  let dynamo: LocalDynamo;
  const names = { connectionsTable: 'ttl-connections', subscriptionsTable: 'ttl-subscriptions', countersTable: 'ttl-counters', historyTable: 'ttl-history' };

  beforeAll(async () => {
    dynamo = await startDynamo();
    await createTables(dynamo.client, names);
  });
  afterAll(() => dynamo.stop());

  it('deletes the rows whose TTL has passed, in both tables, and keeps the rest', async () => {
    const doc = DynamoDBDocumentClient.from(dynamo.client);
    const now = Math.floor(Date.now() / 1000);
    const rows = [
      [names.connectionsTable, { connectionId: 'old', userId: 'a', expiresAt: now - 10 }],
      [names.connectionsTable, { connectionId: 'fresh', userId: 'a', expiresAt: now + 3600 }],
      [names.subscriptionsTable, { topic: 't', connectionId: 'old', expiresAt: now - 1 }],
      [names.subscriptionsTable, { topic: 't', connectionId: 'fresh', expiresAt: now + 3600 }],
      [names.subscriptionsTable, { topic: 'u', connectionId: 'no-ttl' }],
    ] as const;
    for (const [TableName, Item] of rows) await doc.send(new PutCommand({ TableName, Item }));

    const sweeper = new TtlSweeper(dynamo.client, [
      { tableName: names.connectionsTable, definition: CONNECTIONS_TABLE },
      { tableName: names.subscriptionsTable, definition: SUBSCRIPTIONS_TABLE },
    ]);
    expect(await sweeper.sweep(now)).toBe(2);

    const left = async (TableName: string) => ((await doc.send(new ScanCommand({ TableName }))).Items ?? []).map((i) => i.connectionId).sort();
    expect(await left(names.connectionsTable)).toEqual(['fresh']);
    expect(await left(names.subscriptionsTable)).toEqual(['fresh', 'no-ttl']);
    expect(await sweeper.sweep(now)).toBe(0);
  });
});
