/**
 * The one place table keys are built. Handlers and stores never spell a key out themselves, so
 * a hot topic can later be spread over several partition keys (write to one shard chosen from
 * the connection id, read from all of them) by changing this file alone.
 */
import { Tables } from '../../lib/private/runtime-contract';

const C = Tables.connections;
const S = Tables.subscriptions;
const K = Tables.counters;

export interface ConnectionKey {
  readonly [C.partitionKey]: string;
}

export interface SubscriptionKey {
  readonly [S.partitionKey]: string;
  readonly [S.sortKey]: string;
}

export function connectionKey(connectionId: string): ConnectionKey {
  return { [C.partitionKey]: connectionId };
}

/**
 * The partition key a connection's subscription to `topic` is written under. Today one key per
 * topic (about 1,000 writes/s and 3,000 reads/s per topic); sharding would derive a suffix from
 * `connectionId` here.
 */
function topicPartitionKey(topic: string, _connectionId?: string): string {
  return topic;
}

/** Every partition key the subscribers of `topic` may live under; fan-out queries each one. */
export function topicPartitionKeys(topic: string): string[] {
  return [topicPartitionKey(topic)];
}

export function subscriptionKey(topic: string, connectionId: string): SubscriptionKey {
  return { [S.partitionKey]: topicPartitionKey(topic, connectionId), [S.sortKey]: connectionId };
}

export interface CounterKey {
  readonly [K.partitionKey]: string;
  readonly [K.sortKey]: string;
}

/**
 * One second's count of client messages from one sender (a user, or a connection without one).
 * One key per sender and second: a sender's limit is far below a key's write rate.
 */
export function rateWindowKey(sender: string, epochSecond: number): CounterKey {
  return { [K.partitionKey]: `rate#${sender}`, [K.sortKey]: String(epochSecond) };
}

/**
 * The set of one user's open connections, which the per-user connection limit is kept on. One
 * item per user: a user connects far less often than a key's write rate.
 */
export function userConnectionsKey(userId: string): CounterKey {
  return { [K.partitionKey]: `connections#${userId}`, [K.sortKey]: 'open' };
}

/** One user's push devices, as one map: a user registers devices far less often than a key's write rate. */
export function pushDevicesKey(userId: string): CounterKey {
  return { [K.partitionKey]: `push#${userId}`, [K.sortKey]: 'devices' };
}

/**
 * The set of the open connections from one source IP, which the per-IP connection limit is kept
 * on (IPv6 addresses included: the key is any string).
 */
export function ipConnectionsKey(sourceIp: string): CounterKey {
  return { [K.partitionKey]: `ip#${sourceIp}`, [K.sortKey]: 'open' };
}

/** Until when a user's new connections are refused (a backend's ban). */
export function userBanKey(userId: string): CounterKey {
  return { [K.partitionKey]: `connections#${userId}`, [K.sortKey]: 'banned' };
}

/**
 * What a backend decided about one user and topic: `granted` (their `subscribe` passes whatever
 * the topic rules say) or `revoked` (it is refused). One item, so the latest decision wins.
 */
export function topicAccessKey(userId: string, topic: string): CounterKey {
  return { [K.partitionKey]: `access#${userId}`, [K.sortKey]: topic };
}

/** The partition holding one topic's presence: one item per present user. */
export function presencePartitionKey(topic: string): string {
  return `presence#${topic}`;
}

/** How many of a user's connections are subscribed to a presence topic. */
export function presenceKey(topic: string, userId: string): CounterKey {
  return { [K.partitionKey]: presencePartitionKey(topic), [K.sortKey]: userId };
}

const H = Tables.history;

/** The stream a topic's kept notifications are in. */
export function topicStream(topic: string): string {
  return `t#${topic}`;
}

/** The stream of one user's own (user-targeted) notifications. */
export function userStream(userId: string): string {
  return `u#${userId}`;
}

/** The user whose own stream this is; undefined for a topic's stream. */
export function userOfStream(stream: string): string | undefined {
  return stream.startsWith('u#') ? stream.slice(2) : undefined;
}

export interface HistoryKey {
  readonly [H.partitionKey]: string;
  readonly [H.sortKey]: number;
}

export function historyKey(stream: string, seq: number): HistoryKey {
  return { [H.partitionKey]: stream, [H.sortKey]: seq };
}

/**
 * A stream's head: its epoch and last position (and, on a user's stream, the inbox's read state:
 * lambda/inbox/read-store.ts). One item, one write per kept notification: a stream takes about
 * 1,000 notifications per second, DynamoDB's rate for one key.
 */
export function streamHeadKey(stream: string): CounterKey {
  return { [K.partitionKey]: `head#${stream}`, [K.sortKey]: 'head' };
}

/** Which position a notification was given in a stream, so a redelivery keeps it. */
export function positionClaimKey(stream: string, notificationId: string): CounterKey {
  return { [K.partitionKey]: `claim#${stream}`, [K.sortKey]: notificationId };
}
