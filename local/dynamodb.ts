/**
 * DynamoDB for local runs and tests: an embedded engine (dynalite, on a worker thread) by default, or any
 * endpoint given (DynamoDB Local, say). Tables are created from the same definitions the
 * construct deploys (lib/private/runtime-contract).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CONNECTIONS_TABLE, COUNTERS_TABLE, HISTORY_TABLE, SUBSCRIPTIONS_TABLE, TableDefinition } from '../lib/private/runtime-contract';

/** Credentials and region that local engines accept; nothing here reaches AWS. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Which engine serves it, so callers can be honest about its gaps (dynalite never expires TTL items and has no transactions). */
  readonly engine: 'embedded' | 'external';
  /** Where the embedded engine keeps its tables across restarts; in memory when absent. */
  readonly dataDir?: string;
  stop(): Promise<void>;
}

export interface StartDynamoOptions {
  /** Use this endpoint instead of starting the embedded engine. */
  readonly endpoint?: string;
  /** The embedded engine keeps its tables in this folder (LevelDB), to find them again on the next start. @default in memory */
  readonly dataDir?: string;
}

export async function startDynamo(options: StartDynamoOptions = {}): Promise<LocalDynamo> {
  if (options.endpoint) {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: options.endpoint });
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
    } catch (error) {
      client.destroy();
      throw new Error(`DynamoDB at ${options.endpoint} did not answer (${(error as Error).message}). `
        + 'Start it, or leave the endpoint unset to use the embedded engine.');
    }
    return { endpoint: options.endpoint, client, engine: 'external', stop: async () => client.destroy() };
  }
  // On a thread of its own: a busy engine then slows the gateway, the bus and the queue no more
  // than any other thread would.
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const worker = new Worker(join(__dirname, 'dynamodb-worker.cjs'), { workerData: { dataDir: options.dataDir } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port?: number; error?: string }) => (m.port !== undefined ? resolve(m.port) : reject(new Error(`dynalite did not start: ${m.error}`))));
    worker.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    engine: 'embedded',
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    stop: async () => {
      client.destroy();
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('stop');
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      await worker.terminate();
    },
  };
}

export interface TableNames {
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
  readonly countersTable: string;
  readonly historyTable: string;
}

/** The construct's tables: each name beside the definition it is created from. */
export function tableDefinitions(names: TableNames): Array<{ tableName: string; definition: TableDefinition }> {
  return [
    { tableName: names.connectionsTable, definition: CONNECTIONS_TABLE },
    { tableName: names.subscriptionsTable, definition: SUBSCRIPTIONS_TABLE },
    { tableName: names.countersTable, definition: COUNTERS_TABLE },
    { tableName: names.historyTable, definition: HISTORY_TABLE },
  ];
}

/** Creates every table (if missing) from the construct's definitions. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const { tableName, definition } of tableDefinitions(names)) await createTable(client, tableName, definition);
}

export function createTableInput(tableName: string, def: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>([[def.partitionKey, 'S']]);
  if (def.sortKey) attributes.set(def.sortKey, def.sortKeyType ?? 'S');
  for (const index of def.indexes) {
    attributes.set(index.partitionKey, 'S');
    if (index.sortKey) attributes.set(index.sortKey, 'S');
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    GlobalSecondaryIndexes: def.indexes.length === 0 ? undefined : def.indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: index.projection },
    })),
  };
}

async function createTable(client: DynamoDBClient, tableName: string, def: TableDefinition): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, def)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

function keySchema(partitionKey: string, sortKey?: string) {
  return [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
}
