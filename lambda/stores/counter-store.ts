/**
 * The counters table: counts that must stay exact under concurrent updates, each kept by one
 * conditional UpdateItem (no transactions, no read-modify-write):
 *
 * - client messages per sender per second, for the rate limit;
 * - connections per user on each presence topic, so a user joins once and leaves once however
 *   many connections they have.
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from './errors';
import { presenceKey, presencePartitionKey, rateWindowKey } from './keys';

const K = Tables.counters;
/** Rate windows are read only within their second; TTL removes them after this long. */
const RATE_WINDOW_TTL_SECONDS = 120;

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface PresenceCount {
  readonly userId: string;
  readonly connections: number;
}

export class CounterStore {
  constructor(private readonly doc: DynamoDBDocumentClient, readonly tableName: string) {}

  /**
   * Counts one message against `sender`'s limit for the current second. Exactly `limit` calls
   * per second are allowed, however many run at once: the increment is conditional.
   */
  async takeMessageToken(sender: string, limit: number, nowMs: number): Promise<RateDecision> {
    const second = Math.floor(nowMs / 1000);
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: rateWindowKey(sender, second),
        UpdateExpression: 'ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
        ExpressionAttributeNames: { '#n': 'messages', '#ttl': K.ttlAttribute },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': second + RATE_WINDOW_TTL_SECONDS },
      }));
      return { allowed: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { allowed: false, retryAfterMs: (second + 1) * 1000 - nowMs };
    }
  }

  /** Adds a connection of `userId` to the topic's presence; returns the user's connections there now. */
  async addPresence(topic: string, userId: string, expiresAt: number): Promise<number> {
    const add = (ttl: boolean) => this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: presenceKey(topic, userId),
      // The item lives as long as the newest of the user's subscriptions to the topic: its expiry
      // only ever moves later (an older connection subscribing again must not shorten it, or the
      // user would read as gone while a newer connection is still there).
      UpdateExpression: ttl ? 'ADD #n :one SET #ttl = :ttl' : 'ADD #n :one',
      ...(ttl ? { ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :ttl' } : {}),
      ExpressionAttributeNames: { '#n': 'connections', ...(ttl ? { '#ttl': K.ttlAttribute } : {}) },
      ExpressionAttributeValues: { ':one': 1, ...(ttl ? { ':ttl': expiresAt } : {}) },
      ReturnValues: 'UPDATED_NEW',
    }));
    let output;
    try {
      output = await add(true);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      output = await add(false); // a later expiry is there already: counted, expiry kept
    }
    return Number(output.Attributes?.connections ?? 0);
  }

  /**
   * Takes a connection of `userId` off the topic's presence; returns the user's connections
   * left there, or undefined when the user was not counted there (already taken off, or
   * expired). At zero the item is deleted, unless a new connection joined in between.
   */
  async removePresence(topic: string, userId: string): Promise<number | undefined> {
    let left: number;
    try {
      const { Attributes } = await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: presenceKey(topic, userId),
        UpdateExpression: 'ADD #n :minusOne',
        ConditionExpression: 'attribute_exists(#n) AND #n > :zero',
        ExpressionAttributeNames: { '#n': 'connections' },
        ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        ReturnValues: 'UPDATED_NEW',
      }));
      left = Number(Attributes?.connections ?? 0);
    } catch (error) {
      // Already gone (expired, or counted down by another cleanup): the user is not present.
      if (!isConditionalCheckFailed(error)) throw error;
      return undefined;
    }
    if (left <= 0) {
      try {
        await this.doc.send(new DeleteCommand({
          TableName: this.tableName,
          Key: presenceKey(topic, userId),
          ConditionExpression: '#n <= :zero',
          ExpressionAttributeNames: { '#n': 'connections' },
          ExpressionAttributeValues: { ':zero': 0 },
        }));
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    return left;
  }

  /** How many of the user's connections are on the topic's presence now (a consistent read). */
  async presenceOf(topic: string, userId: string, nowMs = Date.now()): Promise<number> {
    const { Item } = await this.doc.send(new GetCommand({
      TableName: this.tableName,
      Key: presenceKey(topic, userId),
      ConsistentRead: true,
    }));
    // An expired count is a user whose connections are gone, as in `presence`.
    if (Item === undefined || Number(Item[K.ttlAttribute]) <= Math.floor(nowMs / 1000)) return 0;
    return Math.max(0, Number(Item.connections ?? 0));
  }

  /**
   * Up to `limit` present users (in user id order) and how many there are in all. One Query
   * when everyone fits; a second, counting Query only when the list is cut.
   */
  async presence(topic: string, limit: number, nowMs = Date.now()): Promise<{ members: PresenceCount[]; count: number }> {
    // DynamoDB deletes expired items late: an expired count is a user whose connections are gone.
    const query = {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#n > :zero AND #ttl > :now',
      ExpressionAttributeNames: { '#pk': K.partitionKey, '#n': 'connections', '#ttl': K.ttlAttribute },
      ExpressionAttributeValues: { ':pk': presencePartitionKey(topic), ':zero': 0, ':now': Math.floor(nowMs / 1000) },
    };
    const members: PresenceCount[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.doc.send(new QueryCommand({ ...query, Limit: limit - members.length, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const connections = Number(item.connections ?? 0);
        if (connections > 0) members.push({ userId: String(item[K.sortKey]), connections });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined && members.length < limit);
    if (start === undefined) return { members, count: members.length };

    let count = members.length;
    do {
      const page: QueryCommandOutput = await this.doc.send(new QueryCommand({
        ...query,
        ExclusiveStartKey: start,
        Select: 'COUNT',
      }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return { members, count };
  }
}
