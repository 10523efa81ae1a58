/**
 * The settings the local runtime gives the handler bundles: the same RuntimeSettings type the
 * construct fills with CloudFormation tokens, filled here with local endpoints and names.
 */
import { HANDLERS, RuntimeSettings } from '../lib/private/handlers';
import { DEFAULT_USER_ID_CLAIM } from '../lib/private/runtime-contract';
import { defaultSettings, RANGED_SETTINGS, RangedSettingName, rangeProblem } from '../lib/private/settings';

export const LOCAL_STAGE = 'local';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_API_ID = 'localapi01';
export const LOCAL_EVENT_BUS = 'notifications-local';
export const LOCAL_AUDIENCE = 'realtime-notifications-local';
export const LOCAL_PAYLOAD_BUCKET = 'notifications-local-payloads';

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
 * Local values for everything the construct decides: local endpoints and names, and every
 * setting's default. `baseUrl` is `http://127.0.0.1:PORT`; overrides win, by the settings' own
 * names, so tests can switch broadcast on (`allowBroadcast`), shrink shards (`delivery.shardSize`),
 * and so on.
 */
export function localSettings(baseUrl: string, overrides: Partial<RuntimeSettings> = {}): RuntimeSettings {
  const queues = queueUrls(baseUrl);
  return {
    ...defaultSettings(),
    serviceName: 'realtime-notifications-local',
    connectionsTable: 'notifications-local-connections',
    subscriptionsTable: 'notifications-local-subscriptions',
    countersTable: 'notifications-local-counters',
    historyTable: 'notifications-local-history',
    callbackUrl: `${baseUrl}/${LOCAL_STAGE}`,
    queueUrl: queues.deliveries,
    deadLetterQueueUrl: queues.deadLetters,
    eventBusName: LOCAL_EVENT_BUS,
    payloadBucket: LOCAL_PAYLOAD_BUCKET,
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
 * `names` says how the caller spelled a setting, where not as `settings['<name>']`.
 */
export function checkSettingRanges(settings: RuntimeSettings, names: Partial<Record<RangedSettingName, string>> = {}): void {
  const read = new Set(Object.values(HANDLERS).flatMap((handler) => handler.settings));
  for (const name of RANGED_SETTINGS.filter((setting) => read.has(setting))) {
    const problem = rangeProblem(name, settings[name]);
    if (problem === undefined) continue;
    throw new Error(names[name] === undefined
      ? `settings['${name}'] is ${problem}.`
      : `${names[name]} is ${problem} (the construct's \`${name}\`).`);
  }
}
