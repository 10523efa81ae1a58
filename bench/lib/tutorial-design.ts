/**
 * What the common API Gateway WebSocket chat tutorials build, reproduced for baselines: one connections table whose items
 * carry a room, a `roomId-index` GSI (projection ALL, the console default), and a broadcast that
 * Queries the room and posts to every connection.
 */
import { CreateTableCommand, DynamoDBClient, QueryCommand, QueryCommandInput, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { TableDefinition } from '../../lib/private/runtime-contract';

export const TUTORIAL_TABLE = 'tutorial-WebSocketConnections';
export const TUTORIAL_INDEX = 'roomId-index';

/** The tutorial table, described like ours so the capacity rule treats it alike. */
export const TUTORIAL_TABLE_DEFINITION: TableDefinition = {
  partitionKey: 'connectionId',
  ttlAttribute: 'ttl',
  // The tutorials' index projects ALL; only its key matters to the index-write rule.
  indexes: [{ indexName: TUTORIAL_INDEX, partitionKey: 'roomId', projection: 'KEYS_ONLY' }],
};

export async function createTutorialTable(client: DynamoDBClient): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: TUTORIAL_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'connectionId', AttributeType: 'S' }, { AttributeName: 'roomId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{
        IndexName: TUTORIAL_INDEX,
        KeySchema: [{ AttributeName: 'roomId', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** The tutorials' connection item (tutorials: connectionId, userId, roomId, connectedAt, ttl). */
export function tutorialConnectionItem(connectionId: string, i: number, roomId: string): Record<string, unknown> {
  return {
    connectionId,
    userId: `user_${i}`,
    roomId,
    connectedAt: 1697654400000 + i,
    ttl: 1697740800 + i,
  };
}

/** Every connection id a Query returns, page after page. */
export async function queryAllConnectionIds(client: DynamoDBClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, any> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) ids.push(item.connectionId.S!);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return ids;
}

/** The tutorials' room query, paginated (the tutorials' single Query would stop at the first 1 MB page). */
export function queryRoom(client: DynamoDBClient, roomId: string): Promise<string[]> {
  return queryAllConnectionIds(client, {
    TableName: TUTORIAL_TABLE,
    IndexName: TUTORIAL_INDEX,
    KeyConditionExpression: 'roomId = :roomId',
    ExpressionAttributeValues: { ':roomId': { S: roomId } },
  });
}

export interface TutorialBroadcastResult {
  readonly posted: number;
  readonly gone: number;
  readonly failed: number;
}

/**
 * The tutorial design's broadcast: `mode: 'all'` is its `Promise.all(connections.map(post))`
 * (unbounded: every post is started at once and waits on the HTTP agent's sockets);
 * `mode: 'sequential'` is the other common form, one `await` after another.
 * Errors other than 410 are swallowed, as in the tutorials.
 */
export async function tutorialBroadcast(
  api: ApiGatewayManagementApiClient,
  connectionIds: readonly string[],
  data: unknown,
  mode: 'all' | 'sequential',
): Promise<TutorialBroadcastResult> {
  const result = { posted: 0, gone: 0, failed: 0 };
  const post = async (connectionId: string) => {
    try {
      // The tutorials serialise the frame once per connection, inside the loop.
      await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ message: data, timestamp: Date.now() }) }));
      result.posted++;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) result.gone++;
      else result.failed++;
    }
  };
  if (mode === 'all') {
    await Promise.all(connectionIds.map(post));
  } else {
    for (const id of connectionIds) await post(id);
  }
  return result;
}
