/**
 * A real DynamoDB engine for handler and store tests: the embedded engine from local/dynamodb.ts
 * (or DYNAMODB_ENDPOINT, e.g. DynamoDB Local), both tables created from the construct's
 * definitions, and the SDK DocumentClient the stores use.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTables, LOCAL_AWS, LocalDynamo, startDynamo, TableNames } from '../../local/dynamodb';
import { createDocumentClient, createDynamoDbClient } from '../../lambda/stores/clients';

export interface TestDynamo {
  readonly dynamo: LocalDynamo;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  /**
   * The environment that points the handlers' own SDK clients at this engine and names its
   * tables: the SDK's standard endpoint variable, local credentials and a region.
   */
  readonly env: Record<string, string>;
  /** Every item of a table (test assertions only; the product never scans these tables for this). */
  items(table: string): Promise<Record<string, unknown>[]>;
  get(table: string, key: Record<string, string>): Promise<Record<string, unknown> | undefined>;
  /** Creates a fresh pair of tables, for tests that need empty ones. */
  freshTables(): Promise<TableNames>;
  stop(): Promise<void>;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  // Lambda runs Node 22; the SDK's notice about older Nodes is noise in tests on this machine.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamo = await startDynamo({ endpoint: process.env.DYNAMODB_ENDPOINT });
  const doc = createDocumentClient(createDynamoDbClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint }));
  const freshTables = async (): Promise<TableNames> => {
    const suffix = randomUUID().slice(0, 8);
    const names = { connectionsTable: `connections-${suffix}`, subscriptionsTable: `subscriptions-${suffix}`, countersTable: `counters-${suffix}`, historyTable: `history-${suffix}` };
    await createTables(dynamo.client, names);
    return names;
  };
  const tables = await freshTables();
  return {
    dynamo,
    doc,
    tables,
    env: {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      CONNECTIONS_TABLE: tables.connectionsTable,
      SUBSCRIPTIONS_TABLE: tables.subscriptionsTable,
      COUNTERS_TABLE: tables.countersTable,
      HISTORY_TABLE: tables.historyTable,
    },
    async items(table) {
      const out: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
        out.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
    async get(table, key) {
      return (await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
    },
    freshTables,
    async stop() {
      doc.destroy();
      await dynamo.stop();
    },
  };
}
