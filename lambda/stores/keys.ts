/**
 * The one place table keys are built. Handlers and stores never spell a key out themselves.
 *
 * A hot topic (hot-topics.ts) is spread over `HOT_TOPIC_PARTITIONS` partition keys, each
 * suffixed `#<n>` (`#` is never in a topic, which escapes it): a subscription under the shard
 * its connection id hashes to, a kept notification under the shard of its position, a claim
 * under the shard of its notification id. Readers of a whole topic or stream read every shard,
 * and the unsuffixed key too, where rows written before the topic was made hot still are.
 */
import { createHash } from 'node:crypto';
import { Tables } from '../../lib/private/runtime-contract';

/**
 * Partition keys a hot topic is spread over: eight times DynamoDB's 1,000 writes/s for one key,
 * for a read of the whole topic costing eight Queries (plus the unsuffixed key's) instead of one.
 */
export const HOT_TOPIC_PARTITIONS = 8;
/** Between a hot topic (or stream) and its shard number; never in a topic. */
const SHARD_SEPARATOR = '#';

/** Which of `partitions` shards a string belongs to: stable across processes and deploys. */
function shardOf(value: string, partitions: number): number {
  return createHash('sha1').update(value).digest().readUInt32BE(0) % partitions;
}

/** `base` on its own (one partition), or with the shard's suffix. */
function sharded(base: string, shard: number, partitions: number): string {
  return partitions > 1 ? `${base}${SHARD_SEPARATOR}${shard}` : base;
}

/** Every partition key a topic's or stream's rows may be under: with shards, the unsuffixed one too (rows from before). */
function allPartitionKeys(base: string, partitions: number): string[] {
  return partitions > 1 ? [base, ...Array.from({ length: partitions }, (_, shard) => sharded(base, shard, partitions))] : [base];
}

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
 * Every partition key the subscribers of `topic` may live under; fan-out queries each one. One
 * key per topic takes about 1,000 subscribes/s and 3,000 reads/s; a hot topic's `partitions`
 * keys take that many times more.
 */
export function topicPartitionKeys(topic: string, partitions = 1): string[] {
  return allPartitionKeys(topic, partitions);
}

/** The topic a subscription's partition key belongs to. */
export function topicOfPartitionKey(partitionKey: string): string {
  const at = partitionKey.lastIndexOf(SHARD_SEPARATOR);
  return at < 0 ? partitionKey : partitionKey.slice(0, at);
}

/** A connection's subscription to `topic`, under the shard its connection id hashes to (on a hot topic). */
export function subscriptionKey(topic: string, connectionId: string, partitions = 1): SubscriptionKey {
  return { [S.partitionKey]: sharded(topic, shardOf(connectionId, partitions), partitions), [S.sortKey]: connectionId };
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

/** The topic whose stream this is; undefined for a user's stream. */
export function topicOfStream(stream: string): string | undefined {
  return stream.startsWith('t#') ? stream.slice(2) : undefined;
}

/** The user whose own stream this is; undefined for a topic's stream. */
export function userOfStream(stream: string): string | undefined {
  return stream.startsWith('u#') ? stream.slice(2) : undefined;
}

export interface HistoryKey {
  readonly [H.partitionKey]: string;
  readonly [H.sortKey]: number;
}

/** A kept notification, on a hot topic's stream under the shard of its position (consecutive ones on different keys). */
export function historyKey(stream: string, seq: number, partitions = 1): HistoryKey {
  return { [H.partitionKey]: sharded(stream, seq % partitions, partitions), [H.sortKey]: seq };
}

/** Every partition key a stream's kept notifications may be under; a read of the stream merges them. */
export function historyPartitionKeys(stream: string, partitions = 1): string[] {
  return allPartitionKeys(stream, partitions);
}

/**
 * A stream's head: its epoch and last position (and, on a user's stream, the inbox's read state:
 * lambda/inbox/read-store.ts). One item, never spread: positions are taken from it one write at a
 * time, so a stream takes about 1,000 such writes per second, DynamoDB's rate for one key; deliver
 * takes positions for a batch's notifications in one write (history-store.ts).
 */
export function streamHeadKey(stream: string): CounterKey {
  return { [K.partitionKey]: `head#${stream}`, [K.sortKey]: 'head' };
}

/** Which position a notification was given in a stream, so a redelivery keeps it. */
export function positionClaimKey(stream: string, notificationId: string, partitions = 1): CounterKey {
  return { [K.partitionKey]: sharded(`claim#${stream}`, shardOf(notificationId, partitions), partitions), [K.sortKey]: notificationId };
}
