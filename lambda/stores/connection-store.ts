/**
 * The connections table: one row per open WebSocket connection, with its user (the byUser index
 * finds a user's connections).
 */
import {
  BatchGetCommand,
  BatchGetCommandOutput,
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
import { PageOptions, pagesOf, TOKEN_EXPIRES_AT, tokenValidFilter } from './pages';

export type { PageOptions } from './pages';

const C = Tables.connections;
/** Keys per BatchGetItem (DynamoDB's limit), and rounds of UnprocessedKeys re-sent. */
const BATCH_GET_MAX_KEYS = 100;
const BATCH_GET_MAX_ROUNDS = 8;

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
  /** Epoch seconds: when the connection's token expires; absent when expiry is not enforced. */
  readonly tokenExpiresAt?: number;
  /** The address API Gateway saw the connection come from: its place in that IP's set (the per-IP limit). */
  readonly sourceIp?: string;
}

export type RenewResult =
  | { readonly outcome: 'renewed' }
  /** The row already holds this expiry or a later one. */
  | { readonly outcome: 'not-later'; readonly tokenExpiresAt?: number }
  | { readonly outcome: 'no-connection' };

export type ReserveResult =
  /** A slot is reserved; the subscription should expire with the connection, at `expiresAt`, and carry its token's expiry. */
  | { readonly outcome: 'reserved'; readonly expiresAt: number; readonly tokenExpiresAt?: number }
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
        ...(record.tokenExpiresAt !== undefined ? { [TOKEN_EXPIRES_AT]: record.tokenExpiresAt } : {}),
        ...(record.sourceIp !== undefined ? { sourceIp: record.sourceIp } : {}),
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
   * Moves the connection's token expiry to a later one (a `reauth`). A conditional UpdateItem: it
   * never writes a row that is gone (the connection was closed) nor moves the expiry back. The
   * same expiry again is renewed again: a `reauth` cut off after this write is retried whole.
   */
  async renewToken(connectionId: string, tokenExpiresAt: number): Promise<RenewResult> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        UpdateExpression: 'SET #tokenExp = :exp REMOVE #openBy',
        ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(#tokenExp) OR #tokenExp <= :exp)',
        ExpressionAttributeNames: { '#id': C.partitionKey, '#tokenExp': TOKEN_EXPIRES_AT, '#openBy': 'openBy' },
        ExpressionAttributeValues: { ':exp': tokenExpiresAt },
      }));
      return { outcome: 'renewed' };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const row = await this.getConnection(connectionId);
      return row ? { outcome: 'not-later', tokenExpiresAt: row.tokenExpiresAt } : { outcome: 'no-connection' };
    }
  }

  /**
   * Deletes the row of a connection whose token expired at `tokenExpiresAt`, unless a `reauth`
   * moved the expiry meanwhile: the one write that settles a renewal racing the close. Returns
   * the row deleted, or undefined when it was renewed or is already gone.
   */
  async deleteExpiredConnection(connectionId: string, tokenExpiresAt: number): Promise<ConnectionRecord | undefined> {
    try {
      const { Attributes } = await this.doc.send(new DeleteCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        ConditionExpression: '#tokenExp = :exp',
        ExpressionAttributeNames: { '#tokenExp': TOKEN_EXPIRES_AT },
        ExpressionAttributeValues: { ':exp': tokenExpiresAt },
        ReturnValues: 'ALL_OLD',
      }));
      return Attributes as ConnectionRecord | undefined;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return undefined;
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

  /**
   * The ids of every open connection of one user, a page at a time (a Query on the byUser index).
   * With `tokenValidAt`, the index holding keys only, the rows are read (a BatchGetItem: a user
   * has few connections) and those whose token expired are left out.
   */
  async *queryConnectionIdsByUser(userId: string, options: PageOptions = {}): AsyncGenerator<string[]> {
    if (options.tokenValidAt !== undefined) {
      for await (const ids of this.queryConnectionIdsByUser(userId, { ...options, tokenValidAt: undefined })) {
        const valid = await this.withValidToken(ids, options.tokenValidAt);
        if (valid.length > 0) yield valid;
      }
      return;
    }
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

  /** Those of `ids` whose rows exist and whose token is still valid at `validAt` (epoch seconds). */
  private async withValidToken(ids: string[], validAt: number): Promise<string[]> {
    const valid: string[] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX_KEYS) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + BATCH_GET_MAX_KEYS).map((id) => ({ ...connectionKey(id) }));
      for (let round = 0; keys !== undefined && keys.length > 0 && round < BATCH_GET_MAX_ROUNDS; round++) {
        const { Responses, UnprocessedKeys }: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({
          // Consistent: a `reauth` that just moved the expiry counts.
          RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: '#id, #tokenExp', ExpressionAttributeNames: { '#id': C.partitionKey, '#tokenExp': TOKEN_EXPIRES_AT } } },
        }));
        for (const item of Responses?.[this.tableName] ?? []) {
          const exp = item[TOKEN_EXPIRES_AT] as number | undefined;
          if (exp === undefined || exp > validAt) valid.push(item[C.partitionKey] as string);
        }
        keys = UnprocessedKeys?.[this.tableName]?.Keys;
      }
      if (keys !== undefined && keys.length > 0) throw new Error(`DynamoDB left connection rows of ${this.tableName} unread after ${BATCH_GET_MAX_ROUNDS} rounds of BatchGetItem.`);
    }
    return valid;
  }

  /**
   * The ids of every open connection, a page at a time. This is the one Scan in the system, used
   * only for broadcast (which the construct leaves off unless allowed): its cost grows with the
   * whole table, not with an audience. Pass `segment`/`totalSegments` to split it between workers.
   */
  async *scanAllConnectionIds(options: ScanOptions = {}): AsyncGenerator<string[]> {
    const valid = tokenValidFilter(options.tokenValidAt);
    const pages = pagesOf(paginateScan, { client: this.doc }, {
      TableName: this.tableName,
      FilterExpression: valid.FilterExpression,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#id': C.partitionKey, ...valid.names },
      ...(valid.FilterExpression !== undefined ? { ExpressionAttributeValues: valid.values } : {}),
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
      const tokenExpiresAt = Attributes?.[TOKEN_EXPIRES_AT] as number | undefined;
      return { outcome: 'reserved', expiresAt: Number(Attributes?.[C.ttlAttribute]), ...(tokenExpiresAt !== undefined ? { tokenExpiresAt } : {}) };
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
