/**
 * Every setting once, under its one name: the path of its prop in RealtimeNotificationsProps
 * (`clientMessages.maxPerSecond`). The construct resolves props into these names
 * (resolve-settings.ts), the local runtime takes its options by them, the handlers read them from
 * the environment variable derived from them (envNameOf), and validation errors and docs quote
 * them. Plain data and pure functions: lib/, lambda/ and local/ all import it.
 */
import { LIMITS } from './runtime-contract';

/** What the table says of one setting. */
export interface SettingSpec {
  /** The value when none is given; absent when unset means "not configured" (no limit, no window). */
  readonly default?: unknown;
  /** Smallest and largest value the construct accepts, and the handlers accept from their environment. */
  readonly min?: number;
  readonly max?: number;
  /** The prop is a Duration (in seconds here) or a Size (in bytes here). */
  readonly unit?: 'seconds' | 'bytes';
}

export const SETTINGS = {
  'stageName': { default: 'prod' },
  'detailType': { default: 'Notification' },
  'allowBroadcast': { default: false },
  /** Any authenticated connection may subscribe to any topic; users/{userId}/… stays private. */
  'topicRules': { default: ['**'] as string[] },
  /** Client publishing is off until a team names the topics. */
  'publishRules': { default: [] as string[] },
  /** Presence is off until a team names the topics. */
  'presenceRules': { default: [] as string[] },
  /** Topics keep no history unless named: each kept notification costs about three more writes. */
  'historyRules': { default: [] as string[] },

  'throttle.rateLimit': { default: 1000, max: 1_000_000 },
  'throttle.burstLimit': { default: 500, min: 1, max: 1_000_000 },

  /** Rows must outlive the connection, which API Gateway keeps open for up to 2 hours; then TTL removes them. */
  'connections.ttl': { default: 3 * 60 * 60, min: LIMITS.maxConnectionSeconds, max: 365 * 24 * 60 * 60, unit: 'seconds' },
  /** A disconnect removes every subscription of the connection within a route function's timeout. */
  'connections.maxSubscriptions': { default: 50, min: 1, max: 1000 },
  /**
   * Open connections per user; the next $connect is refused. A user's connection ids are one set
   * in one item (about 16 bytes each, against DynamoDB's 400 KB item and the probes one
   * $connect can make at the limit): a thousand keeps both small.
   */
  'connections.maxPerUser': { default: 20, min: 1, max: 1000 },
  /**
   * Open connections per source IP (offices behind one NAT share one). Kept like the per-user
   * limit, one set per IP; at the limit each id is probed, so a few thousand at most.
   */
  'connections.maxPerIp': { default: 1000, min: 1, max: 2000 },
  /** 'close' (TokenExpiry.CLOSE) or 'ignore' (TokenExpiry.IGNORE). */
  'connections.tokenExpiry': { default: 'close' as 'close' | 'ignore' },
  /** Time for a late `reauth`; at most a few minutes, as nothing is delivered to the connection then. */
  'connections.tokenExpiryGrace': { default: 30, min: 1, max: 5 * 60, unit: 'seconds' },

  /** Client messages per second per user, across all of the user's connections. */
  'clientMessages.maxPerSecond': { default: 10, min: 1, max: 10_000 },
  /** Largest `data` of a client message (UTF-8 bytes of its JSON): room is left in the 128 KB frame for the envelope. */
  'clientMessages.maxSize': { default: 32 * 1024, min: 1, max: 100 * 1024, unit: 'bytes' },
  /** Members a presence answer lists at most. */
  'clientMessages.maxPresenceMembers': { default: 100, min: 1, max: 1000 },
  /** Detail type of the event every accepted client message puts on the bus. */
  'clientMessages.detailType': { default: 'ClientMessage' },

  /** Each user's own stream is kept: the offline inbox. */
  'history.userStreams': { default: true },
  'history.retention': { default: 24 * 60 * 60, min: 60, max: 14 * 24 * 60 * 60, unit: 'seconds' },
  /** The user's own stream (the inbox) outlives a reconnect window: its notifications and read state are kept this long. */
  'history.userStreamRetention': { default: 30 * 24 * 60 * 60, min: 60, max: 365 * 24 * 60 * 60, unit: 'seconds' },
  /** No topic's subscriptions are spread over several partition keys unless named: a notification to a spread topic reads each key. */
  'hotTopics.subscriptionRules': { default: [] as string[] },
  /** No topic's kept notifications are spread unless named: a replay of a spread topic reads each key. */
  'hotTopics.historyRules': { default: [] as string[] },
  /** Notifications one subscribe, resume or history request replays at most. */
  'history.maxReplay': { default: 100, min: 1, max: 1000 },

  /** Posts to connections one deliver invocation keeps in flight. */
  'delivery.postConcurrency': { default: 50, min: 1, max: 1000 },
  'delivery.shardThreshold': { default: 1000, min: 1, max: 10_000_000 },
  /**
   * A shard carries its connection ids and the notification in one SQS message: 5,000 ids
   * (about 95 KB of JSON) beside the largest notification (a 128 KB frame) still fit its 256 KB.
   */
  'delivery.shardSize': { default: 1000, min: 1, max: 5000 },
  /** 0 means no cap. The construct gives each deliver instance its share (see resolve-settings.ts). */
  'delivery.maxRatePerSecond': { default: 0, min: 0, max: 100_000 },
  /**
   * Attempts, the first included, each re-queued with a delay of up to SQS's 15 minutes: ten
   * already keep an unreachable connection's notification in circulation for over an hour.
   */
  'delivery.maxAttempts': { default: 3, min: 1, max: 10 },
  'delivery.maxReceiveCount': { default: 5, min: 1, max: 1000 },
  'delivery.batchSize': { default: 10, min: 1, max: 10_000 },
  /** Unset: no batching window. */
  'delivery.maxBatchingWindow': { min: 0, max: LIMITS.maxBatchingWindowSeconds, unit: 'seconds' },
  /** Unset: no limit other than the account's Lambda concurrency. */
  'delivery.maxConcurrency': { min: 2, max: 1000 },
  'delivery.timeout': { default: 60, min: 1, max: LIMITS.maxFunctionTimeoutSeconds, unit: 'seconds' },

  /**
   * Secrets Manager secret holding the VAPID keys as JSON ({"publicKey","privateKey","subject"}):
   * its ARN. Empty: Web Push is off.
   */
  'push.vapidKeys': { default: '' },
  /**
   * The hosts a Web Push subscription's endpoint may name (https only; `*.` matches any
   * subdomain): the push services of Chrome/Android (FCM), Firefox, Safari and Edge. A client
   * gives the endpoint, so nothing else is ever posted to.
   */
  'push.allowedEndpoints': { default: ['fcm.googleapis.com', '*.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'] as string[] },
  /** The SNS platform application (APNs) iOS apps' device tokens become endpoints of: its ARN. Empty: none. */
  'push.apns': { default: '' },
  /** The SNS platform application (FCM) Android apps' device tokens become endpoints of: its ARN. Empty: none. */
  'push.fcm': { default: '' },
  /** Topic notifications are pushed only on a user's own topics (`users/<id>/…`), to that user, and only when switched on. */
  'push.userTopics': { default: false },
  /** Devices one user may register; the next registration is refused until one is removed. */
  'push.maxDevicesPerUser': { default: 10, min: 1, max: 100 },
  /** A device neither registered again nor pushed to for this long is forgotten. */
  'push.deviceTtl': { default: 60 * 24 * 60 * 60, min: 24 * 60 * 60, max: 365 * 24 * 60 * 60, unit: 'seconds' },

  /**
   * Largest payload sent by reference (its JSON): delivery stores what it takes off the bus (at most
   * EventBridge's 256 KB); backends put larger ones themselves. Clients download it in full.
   */
  'payloads.maxObjectSize': { default: 10 * 1024 * 1024, min: 1024, max: LIMITS.maxPutObjectBytes, unit: 'bytes' },
  /**
   * How long a presigned payload URL is valid: clients fetch it as the frame arrives; a replay
   * presigns a new one. A URL also ends with the function's role session that signed it.
   */
  'payloads.urlExpiry': { default: 5 * 60, min: 10, max: 60 * 60, unit: 'seconds' },

  'functions.memorySize': { default: 512, min: 128, max: 10_240 },

  'monitoring.alarms': { default: true },
  'monitoring.queueAgeAlarmThreshold': { default: 5 * 60, min: 60, max: 14 * 24 * 60 * 60, unit: 'seconds' },
  'monitoring.dashboard': { default: false },
  /** CloudWatch Logs retention in days (RetentionDays.ONE_MONTH). */
  'monitoring.logRetention': { default: 30 },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** A setting's value: its default's type, or a number that may be unset. */
export type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends { readonly default: infer D } ? D : number | undefined;

/** Every setting, resolved: the construct's props or the local runtime's options, defaults filled in. */
export type ResolvedSettings = { readonly [K in SettingName]: SettingValue<K> };

/** The settings with a range. */
export type RangedSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { readonly min: number; readonly max: number } ? K : never
}[SettingName];

/** The settings with a range, in table order. */
export const RANGED_SETTINGS = (Object.keys(SETTINGS) as SettingName[])
  .filter((name): name is RangedSettingName => 'min' in SETTINGS[name] && 'max' in SETTINGS[name]);

/** Every setting's default (undefined where unset means "not configured"). */
export function defaultSettings(): ResolvedSettings {
  const spec: Record<string, SettingSpec> = SETTINGS;
  return Object.fromEntries(Object.keys(spec).map((name) => [name, copy(spec[name].default)])) as unknown as ResolvedSettings;
}

function copy(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

/**
 * The environment variable a handler reads a setting from, derived from its name:
 * `clientMessages.maxPerSecond` → `CLIENT_MESSAGES_MAX_PER_SECOND`; a Duration or Size says its
 * unit (`history.retention` → `HISTORY_RETENTION_SECONDS`).
 */
export function envNameOf(name: SettingName): string {
  const spec: SettingSpec = SETTINGS[name];
  const words = name.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return spec.unit === undefined ? words : `${words}_${spec.unit.toUpperCase()}`;
}

/**
 * What is wrong with a value of a ranged setting, to follow "<its name> is": undefined when it is
 * a whole number within the range.
 */
export function rangeProblem(name: RangedSettingName, value: unknown): string | undefined {
  const { min, max, unit }: { min: number; max: number; unit?: string } = SETTINGS[name];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  return `${JSON.stringify(value)}; it must be a whole number from ${min} to ${max}${unit === undefined ? '' : `, in ${unit}`}`;
}
