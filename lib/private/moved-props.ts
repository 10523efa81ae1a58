/**
 * The 0.x props that 1.0 moved into groups, and where each went. JavaScript code (or TypeScript
 * through a spread or `any`) that still sets one is refused at synth instead of silently getting
 * the default. README.md's "Upgrading from 0.x" table lists the same moves; a test holds it to this.
 */
import type { RealtimeNotificationsProps } from '../options';

type Props = RealtimeNotificationsProps;
type OptionGroup = 'throttle' | 'connections' | 'clientMessages' | 'history' | 'delivery' | 'functions' | 'monitoring';
/** `group.option`, for every option of every group. */
type GroupedProp = { [G in OptionGroup]: `${G}.${keyof NonNullable<Props[G]> & string}` }[OptionGroup];

/** Old name → new path. A key that is still a prop, or a path that is not one, does not compile. */
export const MOVED_PROPS = {
  throttlingRateLimit: 'throttle.rateLimit',
  throttlingBurstLimit: 'throttle.burstLimit',
  connectionTtl: 'connections.ttl',
  maxSubscriptionsPerConnection: 'connections.maxSubscriptions',
  maxConnectionsPerUser: 'connections.maxPerUser',
  maxClientMessagesPerSecond: 'clientMessages.maxPerSecond',
  maxClientMessageSize: 'clientMessages.maxSize',
  maxPresenceMembers: 'clientMessages.maxPresenceMembers',
  clientMessageDetailType: 'clientMessages.detailType',
  userHistory: 'history.userStreams',
  historyRetention: 'history.retention',
  maxReplay: 'history.maxReplay',
  deliveryConcurrency: 'delivery.postConcurrency',
  fanoutShardThreshold: 'delivery.shardThreshold',
  fanoutShardSize: 'delivery.shardSize',
  maxDeliveryRatePerSecond: 'delivery.maxRatePerSecond',
  maxDeliveryAttempts: 'delivery.maxAttempts',
  batchSize: 'delivery.batchSize',
  maxBatchingWindow: 'delivery.maxBatchingWindow',
  deliverMaxConcurrency: 'delivery.maxConcurrency',
  deliverTimeout: 'delivery.timeout',
  maxReceiveCount: 'delivery.maxReceiveCount',
  memorySize: 'functions.memorySize',
  architecture: 'functions.architecture',
  alarms: 'monitoring.alarms',
  alarmTopic: 'monitoring.alarmTopic',
  queueAgeAlarmThreshold: 'monitoring.queueAgeAlarmThreshold',
  dashboard: 'monitoring.dashboard',
  logRetention: 'monitoring.logRetention',
} as const satisfies Record<string, GroupedProp> & { [K in keyof Props]?: never };

/** Every 0.x prop set in `p`, with its new path: an upgrade hears of all of them at once. */
export function movedPropsIn(p: object): Array<{ readonly prop: string; readonly path: GroupedProp }> {
  return (Object.keys(MOVED_PROPS) as Array<keyof typeof MOVED_PROPS>)
    .filter((name) => (p as Record<string, unknown>)[name] !== undefined)
    .map((prop) => ({ prop, path: MOVED_PROPS[prop] }));
}
