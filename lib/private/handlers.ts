/**
 * Each handler described once: what it reads from its environment (deployment facts and
 * settings), what it may do (its permissions, as data) and which routes invoke it. The construct
 * applies these in a loop, the local runtime wires the bundles from them, and lambda/ reads its
 * part back with readSettings (lambda/runtime/settings.ts). Plain data and pure functions.
 */
import { AuthSettings, Env, HandlerName, MESSAGE_ROUTES, METRICS_NAMESPACE, Tables } from './runtime-contract';
import { envNameOf, ResolvedSettings, SettingName } from './settings';

/** Where this deployment's resources are: the construct fills these with tokens, local/ with local values. */
export interface DeploymentFacts {
  /** Names this deployment in logs and in the `service` dimension of every metric. */
  readonly serviceName: string;
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
  readonly countersTable: string;
  readonly historyTable: string;
  /** https://{apiId}.execute-api.{region}.amazonaws.com/{stage}: the @connections endpoint. */
  readonly callbackUrl: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The bus accepted client messages are put on. */
  readonly eventBusName: string;
  /** The bucket payloads too large for a frame are kept in (under PAYLOAD_PREFIX). */
  readonly payloadBucket: string;
  readonly auth: AuthSettings;
}

/** Everything the handlers are configured with: where things are, and every setting by its name. */
export type RuntimeSettings = DeploymentFacts & ResolvedSettings;

/** The facts a handler may read from its environment, each under its own variable. */
export const FACT_ENV = {
  connectionsTable: Env.CONNECTIONS_TABLE,
  subscriptionsTable: Env.SUBSCRIPTIONS_TABLE,
  countersTable: Env.COUNTERS_TABLE,
  historyTable: Env.HISTORY_TABLE,
  callbackUrl: Env.CALLBACK_URL,
  queueUrl: Env.QUEUE_URL,
  deadLetterQueueUrl: Env.DLQ_URL,
  eventBusName: Env.EVENT_BUS_NAME,
  payloadBucket: Env.PAYLOAD_BUCKET,
} as const;

export type FactName = keyof typeof FACT_ENV;

/** A table a handler may act on, by its role. */
export type TableRole = 'connections' | 'subscriptions' | 'counters' | 'history';

/** DynamoDB actions on a table, and on its indexes by name. */
export interface TableGrant {
  readonly actions: readonly string[];
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
}

/** What one handler may do, in the deployment `s` describes. */
export interface HandlerPermissions {
  readonly tables: Partial<Record<TableRole, TableGrant>>;
  /** Methods of `@connections/*` on this API's stage. */
  readonly connections: readonly ('GET' | 'POST' | 'DELETE')[];
  /** sqs:SendMessage to these queues: the delivery queue, and the DLQ. */
  readonly queueSends?: readonly ('delivery' | 'deadLetters')[];
  /** events:PutEvents on the construct's bus. */
  readonly putEvents?: boolean;
  /** Reads the VAPID keys' secret (`push.vapidKeys`). */
  readonly readsVapidKeys?: boolean;
  /**
   * On the payload bucket's objects under PAYLOAD_PREFIX: GetObject to presign the URLs clients
   * fetch payloads with (a presigned URL acts with its signer's permissions), PutObject to store them.
   */
  readonly payloads?: readonly ('GetObject' | 'PutObject')[];
  /** SNS mobile push: endpoints of the platform applications `push.apns` and `push.fcm` (and those applications only). */
  readonly mobilePush?: { readonly createEndpoints?: boolean; readonly publish?: boolean; readonly deleteEndpoints?: boolean };
}

export interface HandlerDescription {
  /** Deployment facts read from the environment. */
  readonly facts: readonly FactName[];
  /** Settings read from the environment, each under envNameOf(name). */
  readonly settings: readonly SettingName[];
  /** The API Gateway route keys it integrates (the authorizer guards $connect; the queue invokes deliver). */
  readonly routes: readonly string[];
  /** Its result is the route response, sent back to the client (two-way routes). */
  readonly answers?: boolean;
  permissions(s: RuntimeSettings): HandlerPermissions;
}

const BY_USER = Tables.connections.byUserIndex;
const BY_CONNECTION = Tables.subscriptions.byConnectionIndex;
const TABLE_FACTS: FactName[] = ['connectionsTable', 'subscriptionsTable', 'countersTable'];
const DELIVERY_FACTS: FactName[] = [...TABLE_FACTS, 'historyTable', 'callbackUrl', 'queueUrl', 'deadLetterQueueUrl', 'payloadBucket'];
/** What giving notifications their positions, keeping them and replaying them reads. */
const HISTORY_SETTINGS: SettingName[] = ['historyRules', 'hotTopics.historyRules', 'history.userStreams', 'history.retention', 'history.userStreamRetention'];
/** What posting a notification to an audience reads: the message function fans out client messages itself. */
const DELIVERY_SETTINGS: SettingName[] = [
  'presenceRules', 'hotTopics.subscriptionRules', ...HISTORY_SETTINGS,
  'delivery.postConcurrency', 'delivery.shardThreshold', 'delivery.shardSize', 'delivery.maxRatePerSecond', 'delivery.maxAttempts',
  'payloads.urlExpiry',
];

/** Shards and retries go back on the delivery queue; what is given up on goes to the DLQ. */
const BOTH_QUEUES = ['delivery', 'deadLetters'] as const;

const when = <T>(on: boolean, items: readonly T[]): readonly T[] => (on ? items : []);

/** The SNS platform applications configured for mobile push. */
export function mobilePushApps(s: Pick<RuntimeSettings, 'push.apns' | 'push.fcm'>): string[] {
  return [s['push.apns'], s['push.fcm']].filter((arn) => arn !== '');
}

/** The ARN pattern of a platform application's endpoints: `…:app/GCM/my-app` → `…:endpoint/GCM/my-app/*`. */
export function endpointsOf(applicationArn: string): string {
  return `${applicationArn.replace(':app/', ':endpoint/')}/*`;
}
const unique = <T>(...lists: ReadonlyArray<readonly T[]>): T[] => [...new Set(lists.flat())];

/** The switches permissions depend on. */
function features(s: RuntimeSettings) {
  const topicHistory = s.historyRules.length > 0;
  return {
    presence: s.presenceRules.length > 0,
    clientPublish: s.publishRules.length > 0,
    topicHistory,
    history: topicHistory || s['history.userStreams'],
    /** Users' own streams are kept, with their read state. */
    inbox: s['history.userStreams'],
    /** Users register push devices, and deliver pushes to them. */
    push: s['push.vapidKeys'] !== '' || mobilePushApps(s).length > 0,
    webPush: s['push.vapidKeys'] !== '',
    mobilePush: mobilePushApps(s).length > 0,
  };
}

/**
 * Forgetting a connection removes its row and its place among its user's connections (an
 * UpdateItem of the user's set), then its subscriptions found through the byConnection index;
 * with presence, those on presence topics one by one, counting the user down there and
 * announcing a leave to the topic (a Query of its subscribers and posts to them), then reading
 * the count again in case a join raced the leave.
 */
function forgetting(presence: boolean): Record<'connections' | 'subscriptions' | 'counters', TableGrant> {
  return {
    connections: { actions: ['DeleteItem'] },
    subscriptions: { actions: ['BatchWriteItem', ...when(presence, ['DeleteItem', 'Query'])], indexes: { [BY_CONNECTION]: ['Query'] } },
    counters: { actions: ['UpdateItem', ...when(presence, ['DeleteItem', 'GetItem'])] },
  };
}

export const HANDLERS: Readonly<Record<HandlerName, HandlerDescription>> = {
  authorizer: {
    facts: [],
    settings: [],
    routes: [],
    permissions: () => ({ tables: {}, connections: [] }),
  },
  connect: {
    facts: [...TABLE_FACTS, 'callbackUrl', 'queueUrl'],
    settings: ['connections.ttl', 'connections.maxPerUser', 'connections.maxPerIp', 'connections.tokenExpiry', 'connections.tokenExpiryGrace', 'presenceRules', 'hotTopics.subscriptionRules'],
    routes: ['$connect'],
    // Records the connection and takes a place in its user's set (a conditional UpdateItem); when
    // the set is full it reads it, asks API Gateway which are still open, and forgets the others.
    permissions: (s) => {
      const { presence } = features(s);
      const forget = forgetting(presence);
      return {
        tables: {
          connections: { actions: ['PutItem', ...forget.connections.actions] },
          subscriptions: forget.subscriptions,
          counters: { actions: unique(['GetItem'], forget.counters.actions) },
        },
        connections: ['GET', ...when(presence, ['POST' as const])],
        // The token's expiry timer (a delayed message on the delivery queue).
        queueSends: when(enforcesExpiry(s), ['delivery' as const]),
      };
    },
  },
  disconnect: {
    facts: [...TABLE_FACTS, 'callbackUrl'],
    settings: ['presenceRules', 'hotTopics.subscriptionRules'],
    routes: ['$disconnect'],
    permissions: (s) => {
      const { presence } = features(s);
      return { tables: forgetting(presence), connections: when(presence, ['POST' as const]) };
    },
  },
  message: {
    facts: [...DELIVERY_FACTS, 'eventBusName'],
    settings: [
      ...DELIVERY_SETTINGS, 'topicRules', 'publishRules', 'connections.maxSubscriptions', 'clientMessages.maxPerSecond',
      'clientMessages.maxSize', 'clientMessages.maxPresenceMembers', 'clientMessages.detailType', 'history.maxReplay',
      'push.vapidKeys', 'push.allowedEndpoints', 'push.maxDevicesPerUser', 'push.deviceTtl', 'push.apns', 'push.fcm',
      'connections.tokenExpiry', 'connections.tokenExpiryGrace',
    ],
    routes: MESSAGE_ROUTES,
    answers: true,
    // Subscribe takes a slot on the connection row (conditional UpdateItem), then writes the
    // subscription. Client messages and presence announcements are posted from here, like deliver
    // posts notifications: audience Queries, posts, re-queued retries, and gone connections forgotten.
    // With history, it replays what a client missed (reading the stream's head, starting it if new,
    // and its kept notifications) and keeps client messages of topics with history: a position
    // (the head, a claim) and the frame. A connection that lost its row is told so and closed
    // (DELETE), so its client reconnects. The inbox: a mark-read reads the ids' claims
    // (BatchGetItem) and writes the user's read state on the stream's head (a conditional
    // UpdateItem), posts the count to the user's other connections (byUser index, then their rows
    // with BatchGetItem, to leave out expired tokens) and puts a NotificationsRead event on the bus. Push devices are one item per user (read, a conditional
    // UpdateItem into it, or a PutItem that starts it).
    permissions: (s) => {
      const { presence, clientPublish, topicHistory, history, inbox, push, mobilePush } = features(s);
      const fansOut = clientPublish || presence;
      const keepsClientMessages = clientPublish && topicHistory;
      const reauth = verifiesReauth(s);
      return {
        tables: {
          connections: {
            actions: unique(['GetItem', 'UpdateItem'], when(fansOut || reauth, forgetting(presence).connections.actions),
              when(inbox && s['connections.tokenExpiry'] === 'close', ['BatchGetItem'])),
            indexes: inbox ? { [BY_USER]: ['Query'] } : undefined,
          },
          subscriptions: {
            actions: unique(['GetItem', 'PutItem', 'DeleteItem'], when(fansOut || reauth, ['Query', 'BatchWriteItem']), when(reauth, ['UpdateItem'])),
            indexes: fansOut || reauth ? { [BY_CONNECTION]: ['Query'] } : undefined,
          },
          counters: {
            // GetItem: whether a backend took the topic from the user (on subscribe).
            actions: unique(
              ['GetItem'], when(fansOut || reauth, ['UpdateItem']), when(presence, ['DeleteItem', 'GetItem', 'Query']),
              when(history, ['GetItem', 'UpdateItem']), when(keepsClientMessages, ['PutItem']), when(inbox, ['BatchGetItem']),
              when(push, ['GetItem', 'UpdateItem', 'PutItem']),
            ),
          },
          history: { actions: when(history, ['Query', ...when(keepsClientMessages, ['PutItem'])]) },
        },
        connections: ['POST', 'DELETE'],
        queueSends: unique(when(clientPublish, BOTH_QUEUES), when(reauth, ['delivery' as const])),
        putEvents: clientPublish || inbox,
        // Replays and history answers present kept references as presigned URLs.
        payloads: when(history, ['GetObject' as const]),
        // A device token becomes an endpoint of its platform application.
        mobilePush: mobilePush ? { createEndpoints: true } : undefined,
      };
    },
  },
  deliver: {
    // The bus: mark-reads from backends are announced on it, as clients' are.
    facts: [...DELIVERY_FACTS, 'eventBusName'],
    settings: [...DELIVERY_SETTINGS, 'detailType', 'allowBroadcast', 'delivery.maxReceiveCount', 'push.vapidKeys', 'push.allowedEndpoints', 'push.deviceTtl',
      'push.maxDevicesPerUser', 'push.apns', 'push.fcm', 'push.userTopics', 'payloads.maxObjectSize', 'connections.maxSubscriptions', 'connections.tokenExpiry'],
    routes: [],
    // Fan-out reads are Queries; broadcast alone scans, and only when allowed. A 410 removes the
    // connection. Deliver re-queues shards and retries, and dead-letters what it gives up on.
    // With the inbox it handles backends' MarkRead events as the message function handles
    // clients', and after a user's notification reads the read state and posts the count. With
    // push it reads the VAPID keys' secret, a user's devices, and updates them (a device reached
    // is kept longer, a gone one removed). It runs connections' token timers and backends'
    // ConnectionControl events (kicks and bans).
    permissions: (s) => {
      const { presence, history, inbox, push, webPush, mobilePush } = features(s);
      const forget = forgetting(presence);
      return {
        tables: {
          // A user's connections are read (BatchGetItem) to leave out expired tokens; a token's timer and a
          // kick of one connection read its row.
          connections: { actions: ['DeleteItem', 'BatchGetItem', 'GetItem', 'UpdateItem', ...when(s.allowBroadcast, ['Scan'])], indexes: { [BY_USER]: ['Query'] } },
          // A backend's subscribe writes one subscription (PutItem; GetItem at the cap) in a slot of the
          // connection row (UpdateItem); its unsubscribe takes one (DeleteItem) and frees the slot.
          subscriptions: { actions: ['Query', 'BatchWriteItem', 'DeleteItem', 'PutItem', 'GetItem'], indexes: { [BY_CONNECTION]: ['Query'] } },
          // A kick reads the user's connection set and writes a ban (UpdateItem).
          counters: {
            actions: unique(forget.counters.actions, ['GetItem'], when(history, ['PutItem', 'UpdateItem']), when(inbox, ['BatchGetItem']),
              when(push, ['UpdateItem']), when(mobilePush, ['PutItem'])),
          },
          history: { actions: [...when(history, ['PutItem']), ...when(inbox, ['Query'])] },
        },
        // A connection whose token expired, or that a backend kicked, is closed (DELETE).
        connections: ['POST', 'DELETE'],
        queueSends: BOTH_QUEUES,
        putEvents: inbox,
        readsVapidKeys: webPush,
        // Publishes to users' endpoints, and deletes those SNS reports disabled; a backend's
        // PushDevice event creates one.
        mobilePush: mobilePush ? { createEndpoints: true, publish: true, deleteEndpoints: true } : undefined,
        // Stores payloads too large for a frame, and presigns the URLs clients fetch them with.
        payloads: ['PutObject', 'GetObject'],
      };
    },
  },
};

/** A handler's whole environment: only what it reads, so a change to one does not redeploy all. */
export function handlerEnvironment(handler: HandlerName, s: RuntimeSettings): Record<string, string> {
  const d = HANDLERS[handler];
  return {
    POWERTOOLS_SERVICE_NAME: s.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...Object.fromEntries(d.facts.map((fact) => [FACT_ENV[fact], s[fact]])),
    ...Object.fromEntries(d.settings.map((name) => [envNameOf(name), encodeSetting(s[name])])),
    ...(handler === 'authorizer' || (handler === 'message' && verifiesReauth(s)) ? authEnvironment(s.auth) : {}),
  };
}

/** The message function verifies `reauth` tokens as the authorizer does: tokens it can verify, whose expiry is enforced. */
export function verifiesReauth(s: RuntimeSettings): boolean {
  return enforcesExpiry(s) && (s.auth.mode === 'cognito' || s.auth.mode === 'jwt');
}

/** Connections end with their token: timers go on the delivery queue. */
function enforcesExpiry(s: RuntimeSettings): boolean {
  return s['connections.tokenExpiry'] === 'close' && s.auth.mode !== 'none';
}

/** A setting's value as its variable holds it: lists as JSON, the rest as text. */
export function encodeSetting(value: unknown): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
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
