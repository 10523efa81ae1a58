/**
 * The contract between the construct (which deploys and configures the Lambda functions) and the
 * Lambda code (which reads that configuration), and the local runtime (which must wire the same
 * bundles exactly as the construct does). Internal: not exported from the package index.
 *
 * Everything here is plain data and pure functions so that lib/, lambda/ and local/ can all
 * import it without pulling in aws-cdk-lib.
 */
import { CLIENT_ACTIONS } from './protocol/client-actions';
import { MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE, PUSH_DEVICE_DETAIL_TYPE } from './protocol/inbox-event-names';
import { CONNECTION_CONTROL_DETAIL_TYPE } from './protocol/connection-control-events';

/** The Lambda bundles built from lambda/handlers/<name>.ts into assets/<name>/index.js. */
export const HANDLER_NAMES = ['authorizer', 'connect', 'disconnect', 'message', 'deliver'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/**
 * Environment variables of the deployment facts (lib/private/handlers.ts FACT_ENV) and of the
 * authorizer's configuration. Settings are read from variables derived from their names
 * (lib/private/settings.ts envNameOf).
 */
export const Env = {
  CONNECTIONS_TABLE: 'CONNECTIONS_TABLE',
  SUBSCRIPTIONS_TABLE: 'SUBSCRIPTIONS_TABLE',
  COUNTERS_TABLE: 'COUNTERS_TABLE',
  HISTORY_TABLE: 'HISTORY_TABLE',
  /** https://{apiId}.execute-api.{region}.amazonaws.com/{stage}: the @connections endpoint. */
  CALLBACK_URL: 'CALLBACK_URL',
  QUEUE_URL: 'DELIVERY_QUEUE_URL',
  DLQ_URL: 'DEAD_LETTER_QUEUE_URL',
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  PAYLOAD_BUCKET: 'PAYLOAD_BUCKET',
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
  /** Pushes a push service accepted (count). */
  pushSent: 'PushSent',
  /** Pushes given up on and dead-lettered (count). */
  pushFailed: 'PushFailed',
  /** Push devices removed because the push service said they are gone (404/410) (count). */
  pushDevicesRemoved: 'PushDevicesRemoved',
} as const;
export const METRICS_SERVICE_DIMENSION = 'service';

/** How the $connect authorizer verifies tokens. `lambda` means the user's own function authorizes. */
export type AuthMode = 'cognito' | 'jwt' | 'lambda' | 'none';

/** The token claim that names the user unless ConnectionAuth.jwt() is given another. */
export const DEFAULT_USER_ID_CLAIM = 'sub';
/** The authorizer context key that carries the verified user id to every route. */
export const AUTHORIZER_USER_ID_KEY = 'userId';
/**
 * The `kind` of a connection's token expiry timer on the delivery queue
 * (lambda/connections/token-expiry.ts). Timers are written by JSON.stringify with `kind` first, so
 * their bodies start with TOKEN_EXPIRY_TIMER_PREFIX.
 */
export const TOKEN_EXPIRY_TIMER_KIND = 'tokenExpiry';
export const TOKEN_EXPIRY_TIMER_PREFIX = `{"kind":"${TOKEN_EXPIRY_TIMER_KIND}"`;
/** The authorizer context key holding the token's expiry (epoch seconds), which $connect keeps on the connection. */
export const AUTHORIZER_TOKEN_EXPIRES_KEY = 'tokenExpiresAt';
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
  /** Largest object one S3 PutObject stores. */
  maxPutObjectBytes: 5 * 1024 * 1024 * 1024,
  /** A presigned S3 URL is valid for at most 7 days (and never beyond the signing credentials' expiry). */
  maxPresignedUrlSeconds: 7 * 24 * 60 * 60,
} as const;

/**
 * Where payloads too large for a frame are kept in the payload bucket: delivery's own under
 * `payloads/n/`, backends' anywhere under `payloads/` (grantPutPayload). A published reference
 * must name a key under it, so no backend can make clients fetch any other object.
 */
export const PAYLOAD_PREFIX = 'payloads/';
/** Delivery's own payloads, under the payload prefix: backends may not write here (grantPutPayload denies it). */
export const DELIVERY_PAYLOAD_PREFIX = `${PAYLOAD_PREFIX}n/`;

/** Timeout of the route functions (authorizer, $connect, $disconnect, message): not configurable. */
export const ROUTE_FUNCTION_TIMEOUT_SECONDS = 10;

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

/**
 * The EventBridge pattern of the rule that feeds the delivery queue. The local runtime matches
 * PutEvents entries against this same pattern.
 */
export function notificationEventPattern(detailType: string, inbox = false, mobilePush = false): { 'detail-type': string[] } {
  // Backends' connection control events go to deliver too; with the inbox, their mark-reads; with
  // mobile push, their device registrations.
  return { 'detail-type': [detailType, CONNECTION_CONTROL_DETAIL_TYPE, ...(inbox ? [MARK_READ_DETAIL_TYPE] : []), ...(mobilePush ? [PUSH_DEVICE_DETAIL_TYPE] : [])] };
}

/**
 * The EventBridge pattern of the rule that, on the construct's own bus (for notifications and the
 * construct's own client-message events only), sends the events of any other detail type to the
 * delivery queue too, where deliver dead-letters them with reason WRONG_DETAIL_TYPE instead of
 * their being dropped unseen. Never on a bus passed in: there, other detail types belong to other
 * applications. The local runtime uses it as well.
 */
export function misaddressedEventPattern(
  detailType: string, clientMessageDetailType: string, inbox = false, mobilePush = false,
): { 'detail-type': Array<{ 'anything-but': string[] }> } {
  // The construct's own NotificationsRead events are for backends; a MarkRead is the inbox's, when there is one; a PushDevice, mobile push's.
  return {
    'detail-type': [{
      'anything-but': [
        detailType, clientMessageDetailType, CONNECTION_CONTROL_DETAIL_TYPE, ...(inbox ? [MARK_READ_DETAIL_TYPE] : []), ...(mobilePush ? [PUSH_DEVICE_DETAIL_TYPE] : []),
        NOTIFICATIONS_READ_DETAIL_TYPE,
      ],
    }],
  };
}
