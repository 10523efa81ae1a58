/**
 * The connections table: one row per open WebSocket connection, with its user (the byUser index
 * finds a user's connections).
 */
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from './errors';
import { connectionKey } from './keys';
import { PageOptions, pagesOf } from './pages';

export type { PageOptions } from './pages';

const C = Tables.connections;

export interface ConnectionRecord {
  readonly connectionId: string;
  /** Absent when the API runs without authentication. */
  readonly userId?: string;
  /** Epoch milliseconds, as API Gateway reports `connectedAt`. */
  readonly connectedAt: number;
  /** Epoch seconds; the table's TTL attribute. */
  readonly expiresAt: number;
  /**
   * Epoch milliseconds: the latest moment the connection's $connect can still be running. Until
   * the handshake is done, @connections answers 410 for the connection as for a closed one, so a
   * 410 before this moment does not prove the connection is gone. Removed once the connection is
   * heard from (its first subscribe or ping): its handshake is done.
   */
  readonly openBy?: number;
  /** Subscriptions this connection holds, kept for the per-connection cap. */
  readonly subscriptionCount?: number;
}

export type ReserveResult =
  /** A slot is reserved; the subscription should expire with the connection, at `expiresAt`. */
  | { readonly outcome: 'reserved'; readonly expiresAt: number }
  | { readonly outcome: 'limit-reached' }
  /** No such connection (it closed, or never reached $connect). */
  | { readonly outcome: 'no-connection' };

export interface ScanOptions extends PageOptions {
  /** For a parallel scan: this worker's segment and the total number of segments. */
  readonly segment?: number;
  readonly totalSegments?: number;
}

export class ConnectionStore {
  constructor(private readonly doc: DynamoDBDocumentClient, readonly tableName: string) {}

  async putConnection(record: Omit<ConnectionRecord, 'subscriptionCount'>): Promise<void> {
    await this.doc.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        ...connectionKey(record.connectionId),
        // The byUser index is sparse: connections without a user are simply not in it.
        ...(record.userId !== undefined ? { [C.byUserPartitionKey]: record.userId } : {}),
        connectedAt: record.connectedAt,
        ...(record.openBy !== undefined ? { openBy: record.openBy } : {}),
        [C.ttlAttribute]: record.expiresAt,
      },
    }));
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.doc.send(new GetCommand({
      TableName: this.tableName,
      Key: connectionKey(connectionId),
      ConsistentRead: true,
    }));
    return Item as ConnectionRecord | undefined;
  }

  /** Deletes the row and returns what it held; a row that is already gone is not an error. */
  async deleteConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Attributes } = await this.doc.send(new DeleteCommand({
      TableName: this.tableName,
      Key: connectionKey(connectionId),
      ReturnValues: 'ALL_OLD',
    }));
    return Attributes as ConnectionRecord | undefined;
  }

  /**
   * Deletes the row of a connection @connections answered 410 for, unless its $connect may still
   * be running at `nowMs` (see `openBy`): then the row stays and `opening` is answered.
   */
  async deleteGoneConnection(connectionId: string, nowMs: number): Promise<{ readonly opening: true } | { readonly opening: false; readonly row?: ConnectionRecord }> {
    try {
      const { Attributes } = await this.doc.send(new DeleteCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        ConditionExpression: 'attribute_not_exists(#openBy) OR #openBy <= :now',
        ExpressionAttributeNames: { '#openBy': 'openBy' },
        ExpressionAttributeValues: { ':now': nowMs },
        ReturnValues: 'ALL_OLD',
      }));
      return { opening: false, row: Attributes as ConnectionRecord | undefined };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { opening: true };
    }
  }

  /**
   * Records that the connection finished its handshake (it was heard from), so that a 410 for it
   * means gone from now on. Never writes a row that is not there.
   */
  async markOpen(connectionId: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        UpdateExpression: 'REMOVE #openBy',
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: { '#id': C.partitionKey, '#openBy': 'openBy' },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** The ids of every open connection of one user, a page at a time (a Query on the byUser index). */
  async *queryConnectionIdsByUser(userId: string, options: PageOptions = {}): AsyncGenerator<string[]> {
    const pages = pagesOf(paginateQuery, { client: this.doc }, {
      TableName: this.tableName,
      IndexName: C.byUserIndex,
      KeyConditionExpression: '#user = :user',
      ExpressionAttributeNames: { '#user': C.byUserPartitionKey },
      ExpressionAttributeValues: { ':user': userId },
    }, options);
    for await (const page of pages) {
      const ids = (page.Items ?? []).map((item) => item[C.partitionKey] as string);
      if (ids.length > 0) yield ids;
    }
  }

  /**
   * The ids of every open connection, a page at a time. This is the one Scan in the system, used
   * only for broadcast (which the construct leaves off unless allowed): its cost grows with the
   * whole table, not with an audience. Pass `segment`/`totalSegments` to split it between workers.
   */
  async *scanAllConnectionIds(options: ScanOptions = {}): AsyncGenerator<string[]> {
    const pages = pagesOf(paginateScan, { client: this.doc }, {
      TableName: this.tableName,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#id': C.partitionKey },
      Segment: options.segment,
      TotalSegments: options.totalSegments,
    }, options);
    for await (const page of pages) {
      const ids = (page.Items ?? []).map((item) => item[C.partitionKey] as string);
      if (ids.length > 0) yield ids;
    }
  }

  /**
   * Takes one of the connection's `max` subscription slots. A single conditional UpdateItem, so
   * concurrent subscribes on one connection can never exceed the cap, and no transaction is needed.
   */
  async reserveSubscription(connectionId: string, max: number): Promise<ReserveResult> {
    try {
      const { Attributes } = await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        // A connection that subscribes has finished its handshake: a 410 for it now means gone.
        UpdateExpression: 'ADD #count :one REMOVE #openBy',
        ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(#count) OR #count < :max)',
        ExpressionAttributeNames: { '#id': C.partitionKey, '#count': 'subscriptionCount', '#openBy': 'openBy' },
        ExpressionAttributeValues: { ':one': 1, ':max': max },
        ReturnValues: 'ALL_NEW',
      }));
      return { outcome: 'reserved', expiresAt: Number(Attributes?.[C.ttlAttribute]) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Tell the two failed conditions apart with one read, on this rare path only.
      const row = await this.getConnection(connectionId);
      return row ? { outcome: 'limit-reached' } : { outcome: 'no-connection' };
    }
  }

  /** Gives back a slot taken by reserveSubscription. Never goes below zero; a gone row is fine. */
  async releaseSubscription(connectionId: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        UpdateExpression: 'ADD #count :minusOne',
        ConditionExpression: 'attribute_exists(#id) AND #count > :zero',
        ExpressionAttributeNames: { '#id': C.partitionKey, '#count': 'subscriptionCount' },
        ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
