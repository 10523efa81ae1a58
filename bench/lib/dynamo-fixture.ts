/**
 * The DynamoDB side of a benchmark: the embedded engine (or DYNAMODB_ENDPOINT, e.g. DynamoDB
 * Local) with the construct's two tables, behind the recording proxy, and fast seeding with
 * BatchWriteItem (seeding is never measured).
 */
import { BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { TableDefinition, Tables } from '../../lib/private/runtime-contract';
import { createTables, LocalDynamo, startDynamo, tableDefinitions } from '../../local/dynamodb';
import { DynamoProxy, startDynamoProxy } from '../../test/faults/support/dynamodb-proxy';
import { BENCH_TABLES } from './settings';

export interface DynamoFixture {
  readonly dynamo: LocalDynamo;
  /** Where handlers are pointed: the recording proxy in front of the engine. */
  readonly proxy: DynamoProxy;
  readonly tables: Readonly<Record<string, TableDefinition>>;
  /** Whether index writes must be added to what the engine reports (dynalite leaves them out). */
  readonly addIndexWrites: boolean;
  stop(): Promise<void>;
}

/** `endpoint`: an engine already running (DynamoDB Local); the embedded one otherwise. */
export async function startDynamoFixture(endpoint = process.env.DYNAMODB_ENDPOINT): Promise<DynamoFixture> {
  const dynamo = await startDynamo({ endpoint });
  await createTables(dynamo.client, BENCH_TABLES);
  const proxy = await startDynamoProxy({ target: dynamo.endpoint, recordCapacity: true });
  return {
    dynamo,
    proxy,
    tables: Object.fromEntries(tableDefinitions(BENCH_TABLES).map((t) => [t.tableName, t.definition])),
    addIndexWrites: dynamo.engine === 'embedded',
    stop: async () => {
      await proxy.close();
      await dynamo.stop();
    },
  };
}

/** Writes items 25 at a time, several batches in flight, re-sending what DynamoDB leaves unprocessed. */
export async function batchPut(client: DynamoDBClient, table: string, items: ReadonlyArray<Record<string, unknown>>, parallel = 8): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < items.length; i += 25) {
    batches.push(items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshallFlat(item) } })));
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending: WriteRequest[] = batches[next++];
      while (pending.length > 0) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = out.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Strings and numbers only: all the benchmark items need. */
function marshallFlat(item: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: String(v) }]));
}

/** 16 characters, like API Gateway's connection ids (item sizes decide read units). */
export const connectionIdOf = (i: number) => `c${String(i).padStart(14, '0')}=`;

/** Subscribes connections 0..n-1 (or `idOf(i)`) to `topic`, as the subscribe route would have written them. */
export async function seedSubscribers(client: DynamoDBClient, topic: string, n: number, expiresAt: number, idOf = connectionIdOf): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => idOf(i));
  await batchPut(client, BENCH_TABLES.subscriptionsTable, ids.map((connectionId) => ({
    [Tables.subscriptions.partitionKey]: topic,
    [Tables.subscriptions.sortKey]: connectionId,
    [Tables.subscriptions.ttlAttribute]: expiresAt,
  })));
  return ids;
}
