/**
 * Open connections as one string set per owner (a user, a source IP) in the counters table: what
 * the per-user and per-IP connection limits are kept on. Admitting is one conditional UpdateItem on the set's
 * size, so however many connects of one user race, at most `max` are admitted. Adding and
 * removing an id are idempotent (set semantics), so a repeated cleanup never frees a place twice;
 * ids of connections that vanished without cleanup are found and released at the limit
 * (lambda/connections/connection-limit.ts).
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from './errors';
import { CounterKey, topicAccessKey, userBanKey, userConnectionsKey } from './keys';

const K = Tables.counters;

/** A backend's decision about one user and topic (ConnectionControl subscribe / unsubscribe). */
export type TopicAccess = 'granted' | 'revoked';

/** One set of open connections per owner, the owner's item found by `keyOf`. */
export class ConnectionSetStore {
  constructor(protected readonly doc: DynamoDBDocumentClient, readonly tableName: string, private readonly keyOf: (owner: string) => CounterKey) {}

  /**
   * Adds the connection to the user's set unless the set already holds `max` others. The item
   * lives as long as the newest connection (`expiresAt`, epoch seconds). Resolves false when full.
   */
  async admit(owner: string, connectionId: string, max: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: this.keyOf(owner),
        UpdateExpression: 'ADD #ids :id SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :idString)',
        ExpressionAttributeNames: { '#ids': 'connectionIds', '#ttl': K.ttlAttribute },
        ExpressionAttributeValues: { ':id': new Set([connectionId]), ':idString': connectionId, ':max': max, ':ttl': expiresAt },
      }));
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  /** The ids in the owner's set (a consistent read). */
  async list(owner: string): Promise<string[]> {
    const { Item } = await this.doc.send(new GetCommand({
      TableName: this.tableName,
      Key: this.keyOf(owner),
      ConsistentRead: true,
    }));
    const ids = Item?.connectionIds as Set<string> | undefined;
    return ids ? [...ids] : [];
  }

  /** Takes the connection out of the owner's set; an id not in it is not an error. */
  async release(owner: string, connectionId: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: this.keyOf(owner),
        UpdateExpression: 'DELETE #ids :id',
        // Without it, an UpdateItem on a missing item would write one holding only its key, and no TTL.
        ConditionExpression: 'attribute_exists(#ids)',
        ExpressionAttributeNames: { '#ids': 'connectionIds' },
        ExpressionAttributeValues: { ':id': new Set([connectionId]) },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

/** Each user's open connections (the per-user limit), and the user's ban. */
export class UserConnectionsStore extends ConnectionSetStore {
  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    super(doc, tableName, userConnectionsKey);
  }

  /**
   * Refuses the user's new connections until `untilSeconds` (epoch seconds); a later ban already
   * in place stays. The item expires with the ban.
   */
  async ban(userId: string, untilSeconds: number): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: userBanKey(userId),
        UpdateExpression: 'SET #until = :until, #ttl = :until',
        ConditionExpression: 'attribute_not_exists(#until) OR #until < :until',
        ExpressionAttributeNames: { '#until': 'until', '#ttl': K.ttlAttribute },
        ExpressionAttributeValues: { ':until': untilSeconds },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Until when (epoch seconds) the user's new connections are refused; undefined when never banned (a consistent read). */
  async bannedUntil(userId: string): Promise<number | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: userBanKey(userId), ConsistentRead: true }));
    return typeof Item?.until === 'number' ? Item.until : undefined;
  }

  /** Records what a backend decided about the user and `topic` (the latest decision wins). */
  async setTopicAccess(userId: string, topic: string, access: TopicAccess): Promise<void> {
    await this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: topicAccessKey(userId, topic),
      UpdateExpression: 'SET #access = :access, #at = :at',
      ExpressionAttributeNames: { '#access': 'access', '#at': 'decidedAt' },
      ExpressionAttributeValues: { ':access': access, ':at': Date.now() },
    }));
  }

  /** What a backend decided about the user and `topic`, if anything (a consistent read). */
  async topicAccess(userId: string, topic: string): Promise<TopicAccess | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: topicAccessKey(userId, topic), ConsistentRead: true }));
    return Item?.access === 'granted' || Item?.access === 'revoked' ? Item.access : undefined;
  }
}
