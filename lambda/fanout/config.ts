/**
 * The delivery configuration of the deliver and message functions, from their settings
 * (lambda/runtime/settings.ts readSettings).
 */
import type { RuntimeSettings } from '../../lib/private/handlers';
import { SETTINGS } from '../../lib/private/settings';

/** What delivering reads; the message function, which never takes events off the queue, has no detail type, broadcast or receive count. */
export type DeliverySettings = Pick<RuntimeSettings,
'connectionsTable' | 'subscriptionsTable' | 'countersTable' | 'historyTable' | 'callbackUrl' | 'queueUrl' | 'deadLetterQueueUrl'
| 'presenceRules' | 'historyRules' | 'hotTopics.subscriptionRules' | 'hotTopics.historyRules' | 'history.userStreams' | 'history.retention' | 'history.userStreamRetention'
| 'delivery.postConcurrency' | 'delivery.shardThreshold' | 'delivery.shardSize' | 'delivery.maxRatePerSecond' | 'delivery.maxAttempts'>
& Partial<Pick<RuntimeSettings, 'detailType' | 'allowBroadcast' | 'delivery.maxReceiveCount' | 'eventBusName'
| 'payloadBucket' | 'payloads.maxObjectSize' | 'payloads.urlExpiry' | 'connections.tokenExpiry'>>;

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
  /** The largest payload sent by reference; undefined without a payload bucket (frames over 128 KB are refused). */
  readonly maxPayloadBytes?: number;
  /** Connections whose token expired are left out of audiences (`connections.tokenExpiry` is `close`). */
  readonly tokenExpiry: boolean;
}

export function deliverConfig(s: DeliverySettings): DeliverConfig {
  return {
    connectionsTable: s.connectionsTable,
    subscriptionsTable: s.subscriptionsTable,
    countersTable: s.countersTable,
    callbackUrl: s.callbackUrl,
    queueUrl: s.queueUrl,
    deadLetterQueueUrl: s.deadLetterQueueUrl,
    detailType: s.detailType ?? SETTINGS.detailType.default,
    allowBroadcast: s.allowBroadcast ?? SETTINGS.allowBroadcast.default,
    concurrency: s['delivery.postConcurrency'],
    shardThreshold: s['delivery.shardThreshold'],
    shardSize: s['delivery.shardSize'],
    maxRatePerSecond: s['delivery.maxRatePerSecond'],
    maxAttempts: s['delivery.maxAttempts'],
    maxReceiveCount: s['delivery.maxReceiveCount'] ?? SETTINGS['delivery.maxReceiveCount'].default,
    maxPayloadBytes: s.payloadBucket !== undefined ? s['payloads.maxObjectSize'] ?? SETTINGS['payloads.maxObjectSize'].default : undefined,
    tokenExpiry: (s['connections.tokenExpiry'] ?? SETTINGS['connections.tokenExpiry'].default) === 'close',
  };
}
