/**
 * The subscriptions table: one row per (topic, connection). Fan-out reads it with
 * paginated Queries on the topic; disconnect cleans up through the byConnection index.
 *
 * A hot topic's rows are spread over several partition keys (keys.ts). A row written before the
 * topic was made hot stays under the topic's own key, and counts as the connection's
 * subscription: it is read, found and removed like the spread ones, and never doubled.
 */
import {
  BatchWriteCommand,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { LIMITS, Tables } from '../../lib/private/runtime-contract';
import { forEachConcurrently } from '../runtime/concurrent';
import { fullJitterDelayMs } from '../runtime/retry';
import { PageOptions, pagesOf, TOKEN_EXPIRES_AT, tokenValidFilter } from './pages';
import { isConditionalCheckFailed } from './errors';
import { HotTopics } from './hot-topics';
import { subscriptionKey, SubscriptionKey, topicOfPartitionKey, topicPartitionKeys } from './keys';

const S = Tables.subscriptions;

/** Topics whose subscriptions are removed one by one, with word of each removal. */
export interface TrackedTopics {
  isTracked(topic: string): boolean;
  /** `userId` is the user the subscription was written for, when it was signed in. */
  removed(topic: string, userId: string | undefined): Promise<void>;
}

const BATCH_WRITE_MAX_ITEMS = LIMITS.maxBatchWriteItems;
/** Rounds of retrying UnprocessedItems before giving up; the SDK already retries throttling per call. */
const UNPROCESSED_MAX_ROUNDS = 8;
/** Full jitter between those rounds: up to 100 ms before the second, doubling to 6.4 s before the last. */
const UNPROCESSED_BACKOFF = { baseMs: 100, capMs: 100 * 2 ** (UNPROCESSED_MAX_ROUNDS - 2) };
/** Tracked subscriptions removed at once. */
const TRACKED_CONCURRENCY = 8;

export class SubscriptionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    /** Waits between rounds of UnprocessedItems; replaceable so tests need not sleep. */
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly hot: HotTopics = HotTopics.NONE,
  ) {}

  /** Where the connection's subscription to `topic` is written, then where it may be from before the topic was hot. */
  private keysOf(topic: string, connectionId: string): SubscriptionKey[] {
    const partitions = this.hot.subscriptionPartitionsOf(topic);
    const key = subscriptionKey(topic, connectionId, partitions);
    return partitions > 1 ? [key, subscriptionKey(topic, connectionId)] : [key];
  }

  /**
   * Writes the subscription unless it already exists. Returns true when it was created, false
   * when the connection was already subscribed (re-subscribing is idempotent). The user is kept
   * on the row, so whoever removes it knows whose presence it counted.
   */
  async subscribe(topic: string, connectionId: string, expiresAt: number, userId?: string, tokenExpiresAt?: number): Promise<boolean> {
    const [key, earlier] = this.keysOf(topic, connectionId);
    const [created, heldBefore] = await Promise.all([
      this.put(key, expiresAt, userId, tokenExpiresAt),
      // Consistent: an unsubscribe may have removed that row a moment ago.
      earlier !== undefined ? this.exists(earlier) : Promise.resolve(false),
    ]);
    // Subscribed from before the topic was hot: that row stays the one, and this one goes.
    if (created && heldBefore) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
    return created && !heldBefore;
  }

  private async put(key: SubscriptionKey, expiresAt: number, userId?: string, tokenExpiresAt?: number): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          ...key,
          [S.ttlAttribute]: expiresAt,
          ...(userId !== undefined ? { userId } : {}),
          // Copied from the connection, so fan-out can leave out an expired token without reading it.
          ...(tokenExpiresAt !== undefined ? { [TOKEN_EXPIRES_AT]: tokenExpiresAt } : {}),
        },
        ConditionExpression: 'attribute_not_exists(#conn)',
        ExpressionAttributeNames: { '#conn': S.sortKey },
      }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Removes the subscription; returns whether it existed. */
  async unsubscribe(topic: string, connectionId: string): Promise<boolean> {
    return (await this.remove(topic, connectionId)) !== undefined;
  }

  /** Removes the subscription; returns the row it was (with its user), or undefined if there was none. */
  private async remove(topic: string, connectionId: string): Promise<{ userId?: string } | undefined> {
    const rows = await Promise.all(this.keysOf(topic, connectionId).map((key) => this.removeKey(key)));
    return rows.find((row) => row !== undefined);
  }

  private async removeKey(key: SubscriptionKey): Promise<{ userId?: string } | undefined> {
    const { Attributes } = await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key, ReturnValues: 'ALL_OLD' }));
    return Attributes as { userId?: string } | undefined;
  }

  async isSubscribed(topic: string, connectionId: string): Promise<boolean> {
    return (await Promise.all(this.keysOf(topic, connectionId).map((key) => this.exists(key)))).some(Boolean);
  }

  private async exists(key: SubscriptionKey): Promise<boolean> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item !== undefined;
  }

  /** The ids of every connection subscribed to `topic`, a page at a time (Queries, never a Scan). */
  async *queryConnectionIdsByTopic(topic: string, options: PageOptions = {}): AsyncGenerator<string[]> {
    let firstPageSize = options.firstPageSize;
    const valid = tokenValidFilter(options.tokenValidAt);
    const [unsharded, ...shards] = topicPartitionKeys(topic, this.hot.subscriptionPartitionsOf(topic));
    // On a hot topic, the rows from before it was hot come first, and are never doubled by a spread one.
    const before = shards.length > 0 ? new Set<string>() : undefined;
    for (const partitionKey of [unsharded, ...shards]) {
      const pages = pagesOf(paginateQuery, { client: this.doc }, {
        TableName: this.tableName,
        KeyConditionExpression: '#topic = :topic',
        FilterExpression: valid.FilterExpression,
        ProjectionExpression: '#conn',
        ExpressionAttributeNames: { '#topic': S.partitionKey, '#conn': S.sortKey, ...valid.names },
        ExpressionAttributeValues: { ':topic': partitionKey, ...valid.values },
        ConsistentRead: options.consistent,
      }, { pageSize: options.pageSize, firstPageSize });
      for await (const page of pages) {
        let ids = (page.Items ?? []).map((item) => item[S.sortKey] as string);
        if (before !== undefined && partitionKey === unsharded) ids.forEach((id) => before.add(id));
        else if (before !== undefined && before.size > 0) ids = ids.filter((id) => !before.has(id));
        if (ids.length === 0) continue;
        // Only the audience's first page is small (the first with anyone in it), not each partition's.
        firstPageSize = undefined;
        yield ids;
      }
    }
  }

  /**
   * Moves the token expiry of every subscription the connection holds (after a `reauth`). Rows
   * already gone are left gone. Returns how many were moved.
   */
  async renewToken(connectionId: string, tokenExpiresAt: number): Promise<number> {
    let renewed = 0;
    for await (const keys of this.queryKeysByConnection(connectionId)) {
      await forEachConcurrently(keys, TRACKED_CONCURRENCY, async (key) => {
        try {
          await this.doc.send(new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #tokenExp = :exp',
            ConditionExpression: 'attribute_exists(#conn)',
            ExpressionAttributeNames: { '#tokenExp': TOKEN_EXPIRES_AT, '#conn': S.sortKey },
            ExpressionAttributeValues: { ':exp': tokenExpiresAt },
          }));
          renewed++;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      });
    }
    return renewed;
  }

  /** The keys of every subscription a connection holds (a Query on the byConnection index). */
  async *queryKeysByConnection(connectionId: string): AsyncGenerator<SubscriptionKey[]> {
    const pages = paginateQuery({ client: this.doc }, {
      TableName: this.tableName,
      IndexName: S.byConnectionIndex,
      KeyConditionExpression: '#conn = :conn',
      ExpressionAttributeNames: { '#conn': S.byConnectionPartitionKey },
      ExpressionAttributeValues: { ':conn': connectionId },
    });
    for await (const page of pages) {
      const keys = (page.Items ?? []).map((item) => ({
        [S.partitionKey]: item[S.partitionKey] as string,
        [S.sortKey]: item[S.sortKey] as string,
      }) as SubscriptionKey);
      if (keys.length > 0) yield keys;
    }
  }

  /**
   * Deletes every subscription of a connection and returns how many there were. The index is
   * eventually consistent, so a subscription written a moment before may survive; its TTL and
   * the 410 cleanup in delivery remove it later.
   *
   * Subscriptions to `tracked` topics are deleted one by one, and `tracked.removed` is told of
   * each one that still existed: so removals that race (say $disconnect and a 410) report each
   * subscription once, whichever deletes it.
   */
  async removeAllForConnection(connectionId: string, tracked?: TrackedTopics): Promise<number> {
    let removed = 0;
    for await (const keys of this.queryKeysByConnection(connectionId)) {
      const batched: SubscriptionKey[] = [];
      const oneByOne: SubscriptionKey[] = [];
      for (const key of keys) (tracked?.isTracked(topicOfPartitionKey(key[S.partitionKey])) ? oneByOne : batched).push(key);
      // Tracked ones a few at a time: each may be announced, and a connection may hold many.
      await forEachConcurrently(oneByOne, TRACKED_CONCURRENCY, async (key) => {
        const topic = topicOfPartitionKey(key[S.partitionKey]);
        const row = await this.removeKey(key);
        if (row !== undefined) {
          removed++;
          await tracked!.removed(topic, row.userId);
        }
      });
      for (let i = 0; i < batched.length; i += BATCH_WRITE_MAX_ITEMS) {
        const chunk = batched.slice(i, i + BATCH_WRITE_MAX_ITEMS);
        await this.batchDelete(chunk);
        removed += chunk.length;
      }
    }
    return removed;
  }

  /** One BatchWriteItem of deletes, re-sending UnprocessedItems with jittered backoff. */
  private async batchDelete(keys: SubscriptionKey[]): Promise<void> {
    let requestItems: BatchWriteCommandInput['RequestItems'] = {
      [this.tableName]: keys.map((key) => ({ DeleteRequest: { Key: key } })),
    };
    for (let round = 0; round < UNPROCESSED_MAX_ROUNDS; round++) {
      if (round > 0) await this.sleep(fullJitterDelayMs(round, UNPROCESSED_BACKOFF));
      const result: BatchWriteCommandOutput = await this.doc.send(new BatchWriteCommand({ RequestItems: requestItems }));
      const left = result.UnprocessedItems?.[this.tableName];
      if (!left || left.length === 0) return;
      requestItems = { [this.tableName]: left };
    }
    throw new Error(`DynamoDB left subscriptions in ${this.tableName} unprocessed after `
      + `${UNPROCESSED_MAX_ROUNDS} rounds of BatchWriteItem; they expire with their TTL.`);
  }
}
