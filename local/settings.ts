/**
 * The settings the local runtime gives the handler bundles: the same RuntimeSettings type the
 * construct fills with CloudFormation tokens, filled here with local endpoints and names.
 */
import { DEFAULT_USER_ID_CLAIM, HANDLER_RANGED_SETTINGS, RuntimeSettings, SETTINGS } from '../lib/private/runtime-contract';

export const LOCAL_STAGE = 'local';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_API_ID = 'localapi01';
export const LOCAL_EVENT_BUS = 'notifications-local';
export const LOCAL_AUDIENCE = 'realtime-notifications-local';

/** The queue URLs the deliver handler is given; the runtime's own SQS endpoint serves them. */
export function queueUrls(baseUrl: string): { deliveries: string; deadLetters: string } {
  return {
    deliveries: `${baseUrl}/${LOCAL_ACCOUNT}/notifications-deliveries`,
    deadLetters: `${baseUrl}/${LOCAL_ACCOUNT}/notifications-dead-letters`,
  };
}

export function queueArn(queueUrl: string): string {
  return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queueUrl.slice(queueUrl.lastIndexOf('/') + 1)}`;
}

/**
 * Local values for everything the construct decides. `baseUrl` is `http://127.0.0.1:PORT`;
 * overrides win, so tests can switch broadcast on, shrink shards, and so on.
 */
export function localSettings(baseUrl: string, overrides: Partial<RuntimeSettings> = {}): RuntimeSettings {
  const queues = queueUrls(baseUrl);
  return {
    serviceName: 'realtime-notifications-local',
    connectionsTable: 'notifications-local-connections',
    subscriptionsTable: 'notifications-local-subscriptions',
    countersTable: 'notifications-local-counters',
    historyTable: 'notifications-local-history',
    callbackUrl: `${baseUrl}/${LOCAL_STAGE}`,
    queueUrl: queues.deliveries,
    deadLetterQueueUrl: queues.deadLetters,
    detailType: SETTINGS.detailType.default,
    connectionTtlSeconds: SETTINGS.connectionTtlSeconds.default,
    maxSubscriptionsPerConnection: SETTINGS.maxSubscriptionsPerConnection.default,
    topicRules: SETTINGS.topicRules.default,
    publishRules: SETTINGS.publishRules.default,
    presenceRules: SETTINGS.presenceRules.default,
    maxClientMessagesPerSecond: SETTINGS.maxClientMessagesPerSecond.default,
    maxClientMessageDataBytes: SETTINGS.maxClientMessageDataBytes.default,
    maxConnectionsPerUser: SETTINGS.maxConnectionsPerUser.default,
    maxPresenceMembers: SETTINGS.maxPresenceMembers.default,
    eventBusName: LOCAL_EVENT_BUS,
    clientMessageDetailType: SETTINGS.clientMessageDetailType.default,
    historyRules: SETTINGS.historyRules.default,
    userHistory: SETTINGS.userHistory.default,
    historyRetentionSeconds: SETTINGS.historyRetentionSeconds.default,
    userStreamRetentionSeconds: SETTINGS.userStreamRetentionSeconds.default,
    maxReplay: SETTINGS.maxReplay.default,
    allowBroadcast: SETTINGS.allowBroadcast.default,
    deliveryConcurrency: SETTINGS.deliveryConcurrency.default,
    shardThreshold: SETTINGS.shardThreshold.default,
    shardSize: SETTINGS.shardSize.default,
    maxDeliveryRatePerSecond: SETTINGS.maxDeliveryRatePerSecond.default,
    maxDeliveryAttempts: SETTINGS.maxDeliveryAttempts.default,
    maxReceiveCount: SETTINGS.maxReceiveCount.default,
    auth: {
      mode: 'jwt',
      issuer: `${baseUrl}/dev`,
      audience: [LOCAL_AUDIENCE],
      jwksUri: `${baseUrl}/dev/.well-known/jwks.json`,
      userIdClaim: DEFAULT_USER_ID_CLAIM,
    },
    ...overrides,
  };
}

/**
 * Holds every ranged setting the handlers read to the construct's range, at start: the handlers
 * would refuse it too, but only at their cold start, on the first request that reaches them.
 * `names` says how the caller spelled a setting, where not as `settings.<name>`.
 */
export function checkSettingRanges(settings: RuntimeSettings, names: Partial<Record<keyof RuntimeSettings, string>> = {}): void {
  for (const name of HANDLER_RANGED_SETTINGS) {
    const { min, max, prop, unit }: { min: number; max: number; prop: string; unit?: string } = SETTINGS[name];
    const value: unknown = settings[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${names[name] ?? `settings.${name}`} is ${JSON.stringify(value)}; it must be a whole number from ${min} to ${max}`
        + ` (the construct's \`${prop}\`${unit === undefined ? '' : `, in ${unit}`}).`);
    }
  }
}
