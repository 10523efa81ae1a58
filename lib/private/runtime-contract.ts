/**
 * The contract between the construct (which deploys and configures the Lambda functions) and the
 * Lambda code (which reads that configuration), and the local runtime (which must wire the same
 * bundles exactly as the construct does). Internal: not exported from the package index.
 *
 * Everything here is plain data and pure functions so that lib/, lambda/ and local/ can all
 * import it without pulling in aws-cdk-lib.
 */
import { CLIENT_ACTIONS } from './protocol/client-actions';
import { MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE } from './protocol/inbox-event-names';

/** The Lambda bundles built from lambda/handlers/<name>.ts into assets/<name>/index.js. */
export const HANDLER_NAMES = ['authorizer', 'connect', 'disconnect', 'message', 'deliver'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** Environment variable names the construct sets and the handlers read. */
export const Env = {
  CONNECTIONS_TABLE: 'CONNECTIONS_TABLE',
  SUBSCRIPTIONS_TABLE: 'SUBSCRIPTIONS_TABLE',
  COUNTERS_TABLE: 'COUNTERS_TABLE',
  HISTORY_TABLE: 'HISTORY_TABLE',
  /** JSON array of topic patterns whose notifications are kept, with positions. */
  HISTORY_RULES: 'HISTORY_RULES',
  /** "true" when each user's own stream (user-targeted notifications) is kept: the offline inbox. */
  USER_HISTORY: 'USER_HISTORY',
  HISTORY_RETENTION_SECONDS: 'HISTORY_RETENTION_SECONDS',
  /** How long each user's own stream keeps its notifications (and their read state): the inbox. */
  USER_STREAM_RETENTION_SECONDS: 'USER_STREAM_RETENTION_SECONDS',
  MAX_REPLAY: 'MAX_REPLAY',
  /** https://{apiId}.execute-api.{region}.amazonaws.com/{stage}: the @connections endpoint. */
  CALLBACK_URL: 'CALLBACK_URL',
  CONNECTION_TTL_SECONDS: 'CONNECTION_TTL_SECONDS',
  MAX_SUBSCRIPTIONS: 'MAX_SUBSCRIPTIONS_PER_CONNECTION',
  /** JSON array of topic patterns (lib/private/topic-patterns.ts): who may subscribe to what. */
  TOPIC_RULES: 'TOPIC_RULES',
  /** JSON array of topic patterns clients may publish to. */
  PUBLISH_RULES: 'PUBLISH_RULES',
  /** JSON array of topic patterns that track presence. */
  PRESENCE_RULES: 'PRESENCE_RULES',
  MAX_MESSAGES_PER_SECOND: 'MAX_CLIENT_MESSAGES_PER_SECOND_PER_USER',
  MAX_MESSAGE_DATA_BYTES: 'MAX_CLIENT_MESSAGE_DATA_BYTES',
  MAX_CONNECTIONS_PER_USER: 'MAX_CONNECTIONS_PER_USER',
  MAX_PRESENCE_MEMBERS: 'MAX_PRESENCE_MEMBERS',
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  CLIENT_MESSAGE_DETAIL_TYPE: 'CLIENT_MESSAGE_DETAIL_TYPE',
  ALLOW_BROADCAST: 'ALLOW_BROADCAST',
  DETAIL_TYPE: 'NOTIFICATION_DETAIL_TYPE',
  DELIVERY_CONCURRENCY: 'DELIVERY_CONCURRENCY',
  /** Audience size above which deliver splits the work into shard messages. */
  SHARD_THRESHOLD: 'FANOUT_SHARD_THRESHOLD',
  SHARD_SIZE: 'FANOUT_SHARD_SIZE',
  /** Per deliver-instance cap on @connections calls per second; 0 means no cap. */
  MAX_DELIVERY_RATE: 'MAX_DELIVERY_RATE_PER_SECOND',
  /** Delivery attempts per connection, the first included, before giving up to the DLQ. */
  MAX_DELIVERY_ATTEMPTS: 'MAX_DELIVERY_ATTEMPTS',
  /** The delivery queue's redrive maxReceiveCount: on a record's last receive, deliver dead-letters it itself, with a reason. */
  MAX_RECEIVE_COUNT: 'MAX_RECEIVE_COUNT',
  QUEUE_URL: 'DELIVERY_QUEUE_URL',
  DLQ_URL: 'DEAD_LETTER_QUEUE_URL',
  AUTH_MODE: 'AUTH_MODE',
  AUTH_ISSUER: 'AUTH_ISSUER',
  AUTH_AUDIENCE: 'AUTH_AUDIENCE',
  AUTH_JWKS_URI: 'AUTH_JWKS_URI',
  AUTH_USER_POOL_ID: 'AUTH_USER_POOL_ID',
  AUTH_CLIENT_IDS: 'AUTH_CLIENT_IDS',
  AUTH_TOKEN_USE: 'AUTH_TOKEN_USE',
  AUTH_USER_ID_CLAIM: 'AUTH_USER_ID_CLAIM',
} as const;

/**
 * CloudWatch metrics the handlers emit (Powertools EMF) and the construct's metric*() methods read.
 * Dimension: `service` = RuntimeSettings.serviceName.
 */
export const METRICS_NAMESPACE = 'RealtimeNotifications';
export const MetricNames = {
  /** Frames accepted by @connections (count). */
  delivered: 'Delivered',
  /** Connections found gone (410) and cleaned up (count). */
  gone: 'GoneConnections',
  /** 429 answers from @connections (count). */
  throttled: 'Throttled',
  /** Connections given up on after the retry budget; their notification went to the DLQ (count). */
  failed: 'FailedDeliveries',
  /** Notifications refused because their frame exceeds 128 KB (count). */
  tooLarge: 'PayloadTooLarge',
  /** Published details that break the publish contract, sent to the DLQ (count). */
  rejected: 'RejectedNotifications',
  /** Time to deliver one notification or shard to its audience (milliseconds). */
  fanoutDuration: 'FanoutDuration',
  /** Notifications taken off the queue (count). */
  notifications: 'Notifications',
  /** Client messages accepted and delivered by the message function (count). */
  clientMessages: 'ClientMessages',
  /** Client messages refused for exceeding the per-user rate (count). */
  rateLimited: 'RateLimited',
} as const;
export const METRICS_SERVICE_DIMENSION = 'service';

/** How the $connect authorizer verifies tokens. `lambda` means the user's own function authorizes. */
export type AuthMode = 'cognito' | 'jwt' | 'lambda' | 'none';

/** The token claim that names the user unless ConnectionAuth.jwt() is given another. */
export const DEFAULT_USER_ID_CLAIM = 'sub';
/** The authorizer context key that carries the verified user id to every route. */
export const AUTHORIZER_USER_ID_KEY = 'userId';
/** The query-string parameter that may carry the token on $connect. */
export const TOKEN_QUERY_PARAMETER = 'token';
/** The WebSocket subprotocol of this API; $connect answers with it when the client offers it. */
export const API_SUBPROTOCOL = 'realtime.v1';
/**
 * A subprotocol entry starting with this carries the token instead of the query string
 * (`token.<JWT>`, offered beside API_SUBPROTOCOL); $connect never answers with it.
 */
export const TOKEN_SUBPROTOCOL_PREFIX = 'token.';
/**
 * The $connect authorizer's identity sources: none. API Gateway answers 401 without calling the
 * authorizer unless every listed source is present, and the token may come in either of two
 * places, so the authorizer looks for it itself (WebSocket APIs never cache authorizer results).
 */
export const AUTHORIZER_IDENTITY_SOURCES: readonly string[] = [];

/**
 * Limits of API Gateway, SQS, EventBridge and Lambda that the construct, the handlers and the
 * local runtime design against: named here once.
 */
export const LIMITS = {
  /** Largest frame API Gateway accepts or posts. */
  maxFrameBytes: 128 * 1024,
  /** Topics are ASCII; the byConnection index's sort key (the topic) holds at most 1,024 bytes. */
  maxTopicLength: 1024,
  /** API Gateway closes every WebSocket connection after 2 hours. */
  maxConnectionSeconds: 2 * 60 * 60,
  /** API Gateway closes a WebSocket connection idle for 10 minutes. */
  idleTimeoutSeconds: 10 * 60,
  /** Largest SQS message (body and attributes), and largest SendMessageBatch request in total. */
  maxSqsMessageBytes: 256 * 1024,
  /** SQS refuses a DelaySeconds above 15 minutes. */
  maxSqsDelaySeconds: 900,
  /** Message attributes per SQS message. */
  maxSqsMessageAttributes: 10,
  /** Entries per SQS SendMessageBatch and per EventBridge PutEvents request. */
  maxBatchEntries: 10,
  /** Items per DynamoDB BatchWriteItem request. */
  maxBatchWriteItems: 25,
  /** Largest EventBridge PutEvents request, its entries added up. */
  maxPutEventsBytes: 256 * 1024,
  /** An SQS event source takes more than this many messages per batch only with a batching window. */
  maxBatchSizeWithoutWindow: 10,
  /** Longest batching window of an SQS event source. */
  maxBatchingWindowSeconds: 5 * 60,
  /** Longest Lambda function timeout. */
  maxFunctionTimeoutSeconds: 15 * 60,
} as const;

/** The name of a variable in a handler's environment. */
export type EnvName = (typeof Env)[keyof typeof Env];

/** What the table says of one setting; see SETTINGS. */
interface SettingSpec {
  /** The value when none is given; absent when unset means "not configured" (no limit, no window). */
  readonly default?: unknown;
  /** Smallest and largest value the construct accepts, and the handlers accept from their environment. */
  readonly min?: number;
  readonly max?: number;
  /** Where the construct takes it, as a path in RealtimeNotificationsProps; validation errors name it. */
  readonly prop?: string;
  /** The prop is a Duration (in seconds here) or a Size (in bytes here). */
  readonly unit?: 'seconds' | 'bytes';
  /** The environment variable the handlers read it from: the one place a setting is paired with its variable. */
  readonly env?: EnvName;
}

/**
 * Every setting's default and range, once: the construct's validation and defaults, the
 * handlers' environment parsing and the local runtime all read this table.
 */
export const SETTINGS = {
  stageName: { default: 'prod', prop: 'stageName' },
  detailType: { default: 'Notification', prop: 'detailType' },
  allowBroadcast: { default: false, prop: 'allowBroadcast' },
  /** Any authenticated connection may subscribe to any topic; users/{userId}/… stays private. */
  topicRules: { default: ['**'] as string[], prop: 'topicRules' },
  /** Client publishing is off until a team names the topics. */
  publishRules: { default: [] as string[], prop: 'publishRules' },
  /** Presence is off until a team names the topics. */
  presenceRules: { default: [] as string[], prop: 'presenceRules' },
  /** Topics keep no history unless named: each kept notification costs about three more writes. */
  historyRules: { default: [] as string[], prop: 'historyRules' },

  throttleRateLimit: { default: 1000, max: 1_000_000, prop: 'throttle.rateLimit' },
  throttleBurstLimit: { default: 500, min: 1, max: 1_000_000, prop: 'throttle.burstLimit' },

  /** Rows must outlive the connection, which API Gateway keeps open for up to 2 hours; then TTL removes them. */
  connectionTtlSeconds: {
    default: 3 * 60 * 60, min: LIMITS.maxConnectionSeconds, max: 365 * 24 * 60 * 60,
    prop: 'connections.ttl', unit: 'seconds', env: Env.CONNECTION_TTL_SECONDS,
  },
  /** A disconnect removes every subscription of the connection within a route function's timeout. */
  maxSubscriptionsPerConnection: { default: 50, min: 1, max: 1000, prop: 'connections.maxSubscriptions', env: Env.MAX_SUBSCRIPTIONS },
  /** Open connections per user; the next $connect is refused. */
  maxConnectionsPerUser: { default: 20, min: 1, max: 100_000, prop: 'connections.maxPerUser', env: Env.MAX_CONNECTIONS_PER_USER },

  /** Client messages per second per user, across all of the user's connections. */
  maxClientMessagesPerSecond: { default: 10, min: 1, max: 10_000, prop: 'clientMessages.maxPerSecond', env: Env.MAX_MESSAGES_PER_SECOND },
  /** Largest `data` of a client message (UTF-8 bytes of its JSON): room is left in the 128 KB frame for the envelope. */
  maxClientMessageDataBytes: {
    default: 32 * 1024, min: 1, max: 100 * 1024, prop: 'clientMessages.maxSize', unit: 'bytes', env: Env.MAX_MESSAGE_DATA_BYTES,
  },
  /** Members a presence answer lists at most. */
  maxPresenceMembers: { default: 100, min: 1, max: 1000, prop: 'clientMessages.maxPresenceMembers', env: Env.MAX_PRESENCE_MEMBERS },
  /** Detail type of the event every accepted client message puts on the bus. */
  clientMessageDetailType: { default: 'ClientMessage', prop: 'clientMessages.detailType' },

  /** Each user's own stream is kept: the offline inbox. */
  userHistory: { default: true, prop: 'history.userStreams' },
  historyRetentionSeconds: {
    default: 24 * 60 * 60, min: 60, max: 14 * 24 * 60 * 60, prop: 'history.retention', unit: 'seconds', env: Env.HISTORY_RETENTION_SECONDS,
  },
  /** The user's own stream (the inbox) outlives a reconnect window: its notifications and read state are kept this long. */
  userStreamRetentionSeconds: {
    default: 30 * 24 * 60 * 60, min: 60, max: 365 * 24 * 60 * 60, prop: 'history.userStreamRetention', unit: 'seconds', env: Env.USER_STREAM_RETENTION_SECONDS,
  },
  /** Notifications one subscribe, resume or history request replays at most. */
  maxReplay: { default: 100, min: 1, max: 1000, prop: 'history.maxReplay', env: Env.MAX_REPLAY },

  /** Posts to connections one deliver invocation keeps in flight. */
  deliveryConcurrency: { default: 50, min: 1, max: 1000, prop: 'delivery.postConcurrency', env: Env.DELIVERY_CONCURRENCY },
  shardThreshold: { default: 1000, min: 1, max: 10_000_000, prop: 'delivery.shardThreshold', env: Env.SHARD_THRESHOLD },
  /**
   * A shard carries its connection ids and the notification in one SQS message: 5,000 ids
   * (about 95 KB of JSON) beside the largest notification (a 128 KB frame) still fit its 256 KB.
   */
  shardSize: { default: 1000, min: 1, max: 5000, prop: 'delivery.shardSize', env: Env.SHARD_SIZE },
  /** 0 means no cap. */
  maxDeliveryRatePerSecond: { default: 0, min: 0, max: 100_000, prop: 'delivery.maxRatePerSecond', env: Env.MAX_DELIVERY_RATE },
  /**
   * Attempts, the first included, each re-queued with a delay of up to SQS's 15 minutes: ten
   * already keep an unreachable connection's notification in circulation for over an hour.
   */
  maxDeliveryAttempts: { default: 3, min: 1, max: 10, prop: 'delivery.maxAttempts', env: Env.MAX_DELIVERY_ATTEMPTS },
  maxReceiveCount: { default: 5, min: 1, max: 1000, prop: 'delivery.maxReceiveCount', env: Env.MAX_RECEIVE_COUNT },
  batchSize: { default: 10, min: 1, max: 10_000, prop: 'delivery.batchSize' },
  /** Unset: no batching window. */
  maxBatchingWindowSeconds: { min: 0, max: LIMITS.maxBatchingWindowSeconds, prop: 'delivery.maxBatchingWindow', unit: 'seconds' },
  /** Unset: no limit other than the account's Lambda concurrency. */
  deliverMaxConcurrency: { min: 2, max: 1000, prop: 'delivery.maxConcurrency' },
  deliverTimeoutSeconds: { default: 60, min: 1, max: LIMITS.maxFunctionTimeoutSeconds, prop: 'delivery.timeout', unit: 'seconds' },
  /** Timeout of the route functions (authorizer, $connect, $disconnect, message): not configurable. */
  routeFunctionTimeoutSeconds: { default: 10 },

  memorySize: { default: 512, min: 128, max: 10_240, prop: 'functions.memorySize' },

  alarms: { default: true, prop: 'monitoring.alarms' },
  queueAgeAlarmThresholdSeconds: {
    default: 5 * 60, min: 60, max: 14 * 24 * 60 * 60, prop: 'monitoring.queueAgeAlarmThreshold', unit: 'seconds',
  },
  dashboard: { default: false, prop: 'monitoring.dashboard' },
  /** CloudWatch Logs retention in days (RetentionDays.ONE_MONTH). */
  logRetentionDays: { default: 30, prop: 'monitoring.logRetention' },
} satisfies Record<string, SettingSpec>;

/** The settings with a range. */
export type RangedSettingName = {
  [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends { readonly min: number; readonly max: number } ? K : never
}[keyof typeof SETTINGS];

/** The settings with a range, in table order. */
export const RANGED_SETTINGS = (Object.keys(SETTINGS) as Array<keyof typeof SETTINGS>)
  .filter((name): name is RangedSettingName => 'min' in SETTINGS[name] && 'max' in SETTINGS[name]);

/** The ranged settings the handlers read from their environment: each is a RuntimeSettings field of the same name. */
type HandlerRangedSettingName = {
  [K in RangedSettingName]: (typeof SETTINGS)[K] extends { readonly env: string } ? K : never
}[RangedSettingName];

export const HANDLER_RANGED_SETTINGS = RANGED_SETTINGS
  .filter((name): name is HandlerRangedSettingName => 'env' in SETTINGS[name]);

/** AWS recommends a queue visibility timeout of at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The `Source` of client-message events on the bus. */
export const CLIENT_MESSAGE_SOURCE = 'realtime-notifications.clients';

/**
 * The routes the message function answers (two-way: its return value is the route response): one
 * per client action, and `$default` for frames without a known one.
 */
export const MESSAGE_ROUTES = [...CLIENT_ACTIONS, '$default'] as const;

/** Attribute and index names of the tables; their definitions below are built from these. */
export const Tables = {
  connections: {
    partitionKey: 'connectionId',
    ttlAttribute: 'expiresAt',
    byUserIndex: 'byUser',
    byUserPartitionKey: 'userId',
    byUserSortKey: 'connectionId',
  },
  subscriptions: {
    partitionKey: 'topic',
    sortKey: 'connectionId',
    ttlAttribute: 'expiresAt',
    byConnectionIndex: 'byConnection',
    byConnectionPartitionKey: 'connectionId',
    byConnectionSortKey: 'topic',
  },
  counters: {
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
  },
  history: {
    partitionKey: 'stream',
    /** A number: the notification's position in its stream. */
    sortKey: 'seq',
    ttlAttribute: 'expiresAt',
  },
} as const;

/** A table described the way both CloudFormation and CreateTable can be derived from it. */
export interface TableDefinition {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** @default 'S' */
  readonly sortKeyType?: 'S' | 'N';
  readonly ttlAttribute: string;
  readonly indexes: ReadonlyArray<{
    readonly indexName: string;
    readonly partitionKey: string;
    readonly sortKey?: string;
    /** Index projection: only the keys, since fan-out needs nothing else. */
    readonly projection: 'KEYS_ONLY';
  }>;
}

/**
 * A table's definition from its names in Tables: each `by<X>Index` is a keys-only index keyed by
 * `by<X>PartitionKey` and `by<X>SortKey`.
 */
function definitionOf(names: { readonly [name: string]: string }, sortKeyType?: 'N'): TableDefinition {
  const indexes = Object.keys(names).filter((name) => name.endsWith('Index')).map((name) => {
    const by = name.slice(0, -'Index'.length);
    return { indexName: names[name], partitionKey: names[`${by}PartitionKey`], sortKey: names[`${by}SortKey`], projection: 'KEYS_ONLY' as const };
  });
  const { partitionKey, sortKey, ttlAttribute } = names;
  return { partitionKey, sortKey, ...(sortKeyType && { sortKeyType }), ttlAttribute, indexes };
}

export const CONNECTIONS_TABLE = definitionOf(Tables.connections);
export const SUBSCRIPTIONS_TABLE = definitionOf(Tables.subscriptions);
/**
 * Counters kept exact under concurrency by atomic updates: client messages per user per second,
 * and connections per user on each presence topic. Keys are built in lambda/stores/keys.ts.
 */
export const COUNTERS_TABLE = definitionOf(Tables.counters);
/**
 * Kept notifications: one row per stream (a topic with history, or a user's own stream) and
 * position, holding the frame exactly as it was posted, until the retention ends.
 */
export const HISTORY_TABLE = definitionOf(Tables.history, 'N');

/** Everything the handlers need to know; the construct fills it with tokens, local/ with local values. */
export interface RuntimeSettings {
  /** Names this deployment in logs and in the `service` dimension of every metric. */
  readonly serviceName: string;
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
  readonly countersTable: string;
  readonly historyTable: string;
  readonly callbackUrl: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly detailType: string;
  readonly connectionTtlSeconds: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly topicRules: string[];
  readonly publishRules: string[];
  readonly presenceRules: string[];
  readonly maxClientMessagesPerSecond: number;
  readonly maxClientMessageDataBytes: number;
  readonly maxConnectionsPerUser: number;
  readonly maxPresenceMembers: number;
  /** The bus accepted client messages are put on. */
  readonly eventBusName: string;
  readonly clientMessageDetailType: string;
  readonly historyRules: string[];
  readonly userHistory: boolean;
  readonly historyRetentionSeconds: number;
  readonly userStreamRetentionSeconds: number;
  readonly maxReplay: number;
  readonly allowBroadcast: boolean;
  readonly deliveryConcurrency: number;
  readonly shardThreshold: number;
  readonly shardSize: number;
  readonly maxDeliveryRatePerSecond: number;
  readonly maxDeliveryAttempts: number;
  /** Receives of a delivery-queue message before SQS moves it to the DLQ (the queue's redrive policy). */
  readonly maxReceiveCount: number;
  readonly auth: AuthSettings;
}

export interface AuthSettings {
  readonly mode: AuthMode;
  readonly issuer?: string;
  readonly audience?: string[];
  readonly jwksUri?: string;
  readonly userPoolId?: string;
  readonly clientIds?: string[];
  readonly tokenUse?: 'id' | 'access';
  /** The claim that names the user; the authorizer reads DEFAULT_USER_ID_CLAIM when it is unset. */
  readonly userIdClaim?: string;
}

/** The environment each handler gets: only what it reads, so a change to one does not redeploy all. */
export function handlerEnvironment(handler: HandlerName, s: RuntimeSettings): Record<string, string> {
  const powertools = {
    POWERTOOLS_SERVICE_NAME: s.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
  const tables = {
    [Env.CONNECTIONS_TABLE]: s.connectionsTable,
    [Env.SUBSCRIPTIONS_TABLE]: s.subscriptionsTable,
    [Env.COUNTERS_TABLE]: s.countersTable,
  };
  // Forgetting a connection ($disconnect, a 410, a stale connection found on $connect) may end a
  // user's presence on a topic, which is announced to the topic's other subscribers.
  const presence = {
    ...tables,
    [Env.CALLBACK_URL]: s.callbackUrl,
    [Env.PRESENCE_RULES]: JSON.stringify(s.presenceRules),
  };
  // Where positions are given and kept; read to replay.
  const history = {
    [Env.HISTORY_TABLE]: s.historyTable,
    [Env.HISTORY_RULES]: JSON.stringify(s.historyRules),
    [Env.USER_HISTORY]: String(s.userHistory),
    ...settingsEnv(s, 'historyRetentionSeconds', 'userStreamRetentionSeconds'),
  };
  // What posting a notification to an audience needs: the message function fans out client messages itself.
  const delivery = {
    ...presence,
    ...history,
    [Env.QUEUE_URL]: s.queueUrl,
    [Env.DLQ_URL]: s.deadLetterQueueUrl,
    ...settingsEnv(s, 'deliveryConcurrency', 'shardThreshold', 'shardSize', 'maxDeliveryRatePerSecond', 'maxDeliveryAttempts'),
  };
  switch (handler) {
    case 'authorizer':
      return { ...powertools, ...authEnvironment(s.auth) };
    case 'connect':
      return {
        ...powertools,
        ...presence,
        ...settingsEnv(s, 'connectionTtlSeconds', 'maxConnectionsPerUser'),
      };
    case 'disconnect':
      return { ...powertools, ...presence };
    case 'message':
      return {
        ...powertools,
        ...delivery,
        [Env.TOPIC_RULES]: JSON.stringify(s.topicRules),
        [Env.PUBLISH_RULES]: JSON.stringify(s.publishRules),
        ...settingsEnv(s, 'maxSubscriptionsPerConnection', 'maxClientMessagesPerSecond', 'maxClientMessageDataBytes', 'maxPresenceMembers', 'maxReplay'),
        [Env.EVENT_BUS_NAME]: s.eventBusName,
        [Env.CLIENT_MESSAGE_DETAIL_TYPE]: s.clientMessageDetailType,
      };
    case 'deliver':
      return {
        ...powertools,
        ...delivery,
        [Env.DETAIL_TYPE]: s.detailType,
        [Env.ALLOW_BROADCAST]: String(s.allowBroadcast),
        // Mark-reads from backends are announced on the bus, as clients' are.
        ...(s.userHistory ? { [Env.EVENT_BUS_NAME]: s.eventBusName } : {}),
        ...settingsEnv(s, 'maxReceiveCount'),
      };
  }
}

/** Ranged settings, each under the variable SETTINGS names for it. */
function settingsEnv(s: RuntimeSettings, ...names: HandlerRangedSettingName[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [SETTINGS[name].env, String(s[name])]));
}

function authEnvironment(a: AuthSettings): Record<string, string> {
  const env: Record<string, string> = { [Env.AUTH_MODE]: a.mode };
  if (a.issuer !== undefined) env[Env.AUTH_ISSUER] = a.issuer;
  if (a.audience !== undefined) env[Env.AUTH_AUDIENCE] = a.audience.join(',');
  if (a.jwksUri !== undefined) env[Env.AUTH_JWKS_URI] = a.jwksUri;
  if (a.userPoolId !== undefined) env[Env.AUTH_USER_POOL_ID] = a.userPoolId;
  if (a.clientIds !== undefined) env[Env.AUTH_CLIENT_IDS] = a.clientIds.join(',');
  if (a.tokenUse !== undefined) env[Env.AUTH_TOKEN_USE] = a.tokenUse;
  if (a.userIdClaim !== undefined) env[Env.AUTH_USER_ID_CLAIM] = a.userIdClaim;
  return env;
}

/**
 * The EventBridge pattern of the rule that feeds the delivery queue. The local runtime matches
 * PutEvents entries against this same pattern.
 */
export function notificationEventPattern(detailType: string, inbox = false): { 'detail-type': string[] } {
  // With the inbox, backends' mark-reads go to deliver too.
  return { 'detail-type': inbox ? [detailType, MARK_READ_DETAIL_TYPE] : [detailType] };
}

/**
 * The EventBridge pattern of the rule that, on the construct's own bus (for notifications and the
 * construct's own client-message events only), sends the events of any other detail type to the
 * delivery queue too, where deliver dead-letters them with reason WRONG_DETAIL_TYPE instead of
 * their being dropped unseen. Never on a bus passed in: there, other detail types belong to other
 * applications. The local runtime uses it as well.
 */
export function misaddressedEventPattern(detailType: string, clientMessageDetailType: string, inbox = false): { 'detail-type': Array<{ 'anything-but': string[] }> } {
  // The construct's own NotificationsRead events are for backends; a MarkRead is the inbox's, when there is one.
  return { 'detail-type': [{ 'anything-but': [detailType, clientMessageDetailType, ...(inbox ? [MARK_READ_DETAIL_TYPE] : []), NOTIFICATIONS_READ_DETAIL_TYPE] }] };
}
