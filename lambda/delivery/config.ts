/**
 * The deliver function's configuration, read from the environment the construct sets
 * (lib/private/runtime-contract handlerEnvironment('deliver')) once at init. A misconfigured
 * function fails its cold start with a message naming the variable and the fix.
 */
import { Env, SETTINGS } from '../../lib/private/runtime-contract';
import { booleanEnv, integerEnv, optionalEnv, requiredEnv, urlEnv } from '../core/env';

export interface DeliverConfig {
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
  /** Positions, presence counts and each user's open connections. */
  readonly countersTable: string;
  /** The @connections endpoint: https://{api}.execute-api.{region}.amazonaws.com/{stage}, or a local one. */
  readonly callbackUrl: string;
  /** The queue deliver reads from; shards and retries go back onto it. */
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly detailType: string;
  readonly allowBroadcast: boolean;
  /** Posts in flight at most, per Lambda instance. */
  readonly concurrency: number;
  /** Audiences larger than this are split: the pages read within it are posted here, the rest go to shard messages. */
  readonly shardThreshold: number;
  /** Connection ids per shard message at most. */
  readonly shardSize: number;
  /** Posts per second at most, per Lambda instance; 0 for no cap. */
  readonly maxRatePerSecond: number;
  /** Delivery attempts per connection (each a few in-invocation retries) before the DLQ. */
  readonly maxAttempts: number;
  /** The delivery queue's maxReceiveCount: a record still failing on this receive is dead-lettered here, with a reason. */
  readonly maxReceiveCount: number;
}

export function loadDeliverConfig(): DeliverConfig {
  return {
    connectionsTable: requiredEnv(Env.CONNECTIONS_TABLE),
    subscriptionsTable: requiredEnv(Env.SUBSCRIPTIONS_TABLE),
    countersTable: requiredEnv(Env.COUNTERS_TABLE),
    callbackUrl: urlEnv(Env.CALLBACK_URL),
    queueUrl: urlEnv(Env.QUEUE_URL),
    deadLetterQueueUrl: urlEnv(Env.DLQ_URL),
    detailType: optionalEnv(Env.DETAIL_TYPE) ?? SETTINGS.detailType.default,
    allowBroadcast: booleanEnv(Env.ALLOW_BROADCAST, SETTINGS.allowBroadcast.default),
    concurrency: integerEnv(SETTINGS.deliveryConcurrency),
    shardThreshold: integerEnv(SETTINGS.shardThreshold),
    shardSize: integerEnv(SETTINGS.shardSize),
    maxRatePerSecond: integerEnv(SETTINGS.maxDeliveryRatePerSecond),
    maxAttempts: integerEnv(SETTINGS.maxDeliveryAttempts),
    maxReceiveCount: integerEnv(SETTINGS.maxReceiveCount),
  };
}
