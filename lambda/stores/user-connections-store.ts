/**
 * Each user's open connections, as one string set per user in the counters table: what the
 * per-user connection limit is kept on. Admitting is one conditional UpdateItem on the set's
 * size, so however many connects of one user race, at most `max` are admitted. Adding and
 * removing an id are idempotent (set semantics), so a repeated cleanup never frees a place twice;
 * ids of connections that vanished without cleanup are found and released at the limit
 * (lambda/connections/connection-limit.ts).
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from './errors';
import { userBanKey, userConnectionsKey } from './keys';

const K = Tables.counters;

export class UserConnectionsStore {
  constructor(private readonly doc: DynamoDBDocumentClient, readonly tableName: string) {}

  /**
   * Adds the connection to the user's set unless the set already holds `max` others. The item
   * lives as long as the newest connection (`expiresAt`, epoch seconds). Resolves false when full.
   */
  async admit(userId: string, connectionId: string, max: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: userConnectionsKey(userId),
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

  /** The ids in the user's set (a consistent read). */
  async list(userId: string): Promise<string[]> {
    const { Item } = await this.doc.send(new GetCommand({
      TableName: this.tableName,
      Key: userConnectionsKey(userId),
      ConsistentRead: true,
    }));
    const ids = Item?.connectionIds as Set<string> | undefined;
    return ids ? [...ids] : [];
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

  /** Takes the connection out of the user's set; an id not in it is not an error. */
  async release(userId: string, connectionId: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: userConnectionsKey(userId),
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
