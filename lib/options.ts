import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ConnectionAuth } from './connection-auth';

/**
 * Connections: how long their rows live and how much one connection and one user may hold.
 */
export interface ConnectionOptions {
  /**
   * How long connection and subscription rows live before DynamoDB's TTL removes them. Rows of
   * connections that ended without `$disconnect` go away this way. At least 2 hours, since API
   * Gateway keeps a connection open for up to 2 hours; at most 365 days.
   *
   * @default Duration.hours(3)
   */
  readonly ttl?: Duration;

  /**
   * How many topics one connection may subscribe to at once (1 to 1000).
   *
   * @default 50
   */
  readonly maxSubscriptions?: number;

  /**
   * Open connections one user may have (1 to 1000); the next `$connect` is refused with HTTP
   * 429. Connections that closed without `$disconnect` are found out and do not count.
   *
   * @default 20
   */
  readonly maxPerUser?: number;

  /**
   * Open connections from one source IP address (1 to 2000), as API Gateway saw it (never a
   * client header); the next `$connect` is refused with HTTP 429 and a log line. High by default:
   * a whole office behind one NAT shares an address. Connections that closed without
   * `$disconnect` are found out and do not count.
   *
   * @default 1000
   */
  readonly maxPerIp?: number;

  /**
   * What happens when a connection's token expires. `TokenExpiry.CLOSE`: a minute or so before
   * (half the token's life for short tokens) the server pushes a `reauth` frame; a `reauth` with a
   * fresh token of the same user moves the expiry; without one nothing is delivered to the
   * connection from the token's `exp` on, and it is closed `tokenExpiryGrace` later.
   * `TokenExpiry.IGNORE`: the token is checked on `$connect` only, and the connection lives until
   * API Gateway's 2 hours (the behaviour before this setting). With `ConnectionAuth.lambda()`, your
   * authorizer's context may carry `tokenExpiresAt` (epoch seconds) for `CLOSE` to apply; `reauth`
   * is not available then (the client reconnects with a fresh token).
   *
   * @default TokenExpiry.CLOSE
   */
  readonly tokenExpiry?: TokenExpiry;

  /**
   * How long after its token's expiry a connection that was not given a fresh token is closed (1
   * second to 5 minutes): time for a late `reauth`. Nothing is delivered to it in that time.
   *
   * @default Duration.seconds(30)
   */
  readonly tokenExpiryGrace?: Duration;
}

/** What happens when a connection's token expires (`connections.tokenExpiry`). */
export enum TokenExpiry {
  /** The server asks for a fresh token before the expiry, stops delivering at it, and closes the connection soon after. */
  CLOSE = 'close',
  /** The token is checked on `$connect` only: the connection lives on after it expires. */
  IGNORE = 'ignore',
}

/**
 * Messages clients send each other (`publish`, allowed by `publishRules`) and presence answers
 * (`presence`, on topics of `presenceRules`).
 */
export interface ClientMessageOptions {
  /**
   * Client messages one user may publish per second, across all of the user's connections
   * (1 to 10000). The excess is refused with `RATE_LIMITED` and a `retryAfterMs`.
   *
   * @default 10
   */
  readonly maxPerSecond?: number;

  /**
   * Largest `data` of a client message, as UTF-8 JSON (1 byte to 100 KiB): the rest of API
   * Gateway's 128 KB frame is left for the envelope. Larger messages are refused with `PAYLOAD_TOO_LARGE`.
   *
   * @default Size.kibibytes(32)
   */
  readonly maxSize?: Size;

  /**
   * Members a presence answer lists at most (1 to 1000); `count` still says how many there are.
   *
   * @default 100
   */
  readonly maxPresenceMembers?: number;

  /**
   * The `DetailType` of the event each accepted client message puts on the event bus, for
   * backends to store, moderate or react to with their own rules. The construct does not deliver
   * these events again, so it must differ from the notifications' `detailType`.
   *
   * @default "ClientMessage"
   */
  readonly detailType?: string;
}

/**
 * Kept notifications, which clients that reconnect catch up on. Which topics keep them is
 * `historyRules`.
 */
export interface HistoryOptions {
  /**
   * Whether each user's own stream (user-targeted notifications) is kept, so a user who comes
   * back (`resume`) gets what was sent while they were away: the offline inbox.
   *
   * @default true
   */
  readonly userStreams?: boolean;

  /**
   * How long kept notifications can be replayed (1 minute to 14 days).
   *
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;

  /**
   * How long each user's own stream (the inbox: user-targeted notifications and their read
   * state) is kept, apart from the topics' `retention` (1 minute to 365 days). An inbox outlives a
   * reconnect window: a notification older than this is no longer listed or counted unread.
   *
   * @default Duration.days(30)
   */
  readonly userStreamRetention?: Duration;

  /**
   * Notifications one `subscribe` with `since`, `resume` or `history` request replays at most
   * (1 to 1000). A client that missed more is told `recovered: false`.
   *
   * @default 100
   */
  readonly maxReplay?: number;
}

/**
 * Topics busier than one DynamoDB partition key: DynamoDB writes about 1,000 items/s under one
 * key, whatever the table's capacity. A topic named here has the rows it writes at that rate
 * spread over 8 keys. Both lists are written like `topicRules`, without `{userId}`.
 *
 * A topic may be named while in use: rows from before are still read. Take one out only when it
 * is idle, as rows written while it was named are not read after (subscriptions until they expire
 * with `connections.ttl`, kept notifications until `history.retention`).
 */
export interface HotTopicOptions {
  /**
   * Topics that take more than about 1,000 subscribes/s, such as a live event whose viewers
   * arrive by the thousand each second. Their subscriptions are spread over 8 keys; every
   * notification to them then reads 9 (about 4 more read units), so name only such topics.
   *
   * @default [] - each topic's subscriptions under one key
   */
  readonly subscriptionRules?: string[];

  /**
   * Topics of `historyRules` kept at more than about 1,000 notifications/s, such as a busy room.
   * Their kept notifications and position claims are spread over 8 keys; a replay or `history`
   * request then reads 9. Positions still come from one counter per topic: deliver takes the
   * positions of the notifications waiting for it in one write, so notifications published on
   * the event bus go past 1,000/s; client messages (`publish`) take one write each, about
   * 1,000/s per topic.
   *
   * @default [] - each topic's kept notifications under one key
   */
  readonly historyRules?: string[];
}

/**
 * How notifications are delivered: the deliver function, its queue and its fan-out.
 */
export interface DeliveryOptions {
  /**
   * How many posts to connections one deliver invocation keeps in flight (1 to 1000).
   *
   * @default 50
   */
  readonly postConcurrency?: number;

  /**
   * Audience size above which a notification is split into shard messages that many deliver
   * invocations post in parallel (1 to 10000000). The invocation that reads the audience posts
   * to the connections it read within the threshold itself; the rest go to shard messages.
   *
   * @default 1000
   */
  readonly shardThreshold?: number;

  /**
   * Connections per shard message, 1 to 5000 and at most `shardThreshold`. A shard carries its
   * connection ids and the notification in one SQS message, which holds at most 256 KB.
   *
   * @default 1000
   */
  readonly shardSize?: number;

  /**
   * Cap on posts to connections per second for the whole deployment (0 to 100000), 0 for no
   * cap. The API Gateway management API shares the account's API Gateway request quota (10,000
   * requests per second by default) with every other API in the account, so a cap leaves room
   * for them. The cap is split evenly between deliver instances, so it needs `maxConcurrency`.
   *
   * @default 0
   */
  readonly maxRatePerSecond?: number;

  /**
   * Delivery attempts, the first included, for the connections a notification could not reach
   * (429, 5xx) before it sends the notification and those connections to the dead-letter queue
   * (1 to 10; 1 means no retry). Each attempt retries a failed post a few times itself.
   *
   * @default 3
   */
  readonly maxAttempts?: number;

  /**
   * Queue messages per deliver invocation, 1 to 10000. Above 10 needs `delivery.maxBatchingWindow`.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long the event source gathers messages before it invokes deliver (up to 5 minutes).
   *
   * @default - no batching window (required when `batchSize` is above 10)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Most deliver invocations the queue's event source runs at once (2 to 1000).
   *
   * @default - no limit other than the account's Lambda concurrency
   */
  readonly maxConcurrency?: number;

  /**
   * Timeout of the deliver function (1 second to 15 minutes). The delivery queue's visibility
   * timeout is six times this.
   *
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * How many times a queue message is received (a deliver invocation failed, crashed or timed out
   * on it) before it goes to the dead-letter queue (1 to 1000). A message that still fails on its
   * last receive is dead-lettered by deliver with reason `RETRIES_EXHAUSTED`; one whose invocation
   * crashed or timed out is moved there by SQS's redrive.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * Push notifications for users who are not connected: Web Push to the browsers they registered.
 */
export interface PushOptions {
  /**
   * The VAPID keys Web Push requests are signed with: a secret whose value is JSON
   * `{"publicKey": "…", "privateKey": "…", "subject": "mailto:you@example.com"}` (the keys
   * URL-safe base64, as `npx web-push generate-vapid-keys` prints them). The deliver function
   * reads it at run time; the template holds only its ARN. Browsers subscribe with the public key.
   *
   * @default - no Web Push: devices can be registered but nothing is pushed
   */
  readonly vapidKeys?: secretsmanager.ISecret;

  /**
   * The hosts a Web Push subscription's endpoint may name, https only; `*.` matches any
   * subdomain. A subscription elsewhere is refused at registration, so the deliver function
   * never posts anywhere else.
   *
   * @default ['fcm.googleapis.com', '*.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com']
   */
  readonly allowedEndpoints?: string[];

  /**
   * The ARN of an SNS platform application for APNs (`arn:aws:sns:…:app/APNS/…` or
   * `app/APNS_SANDBOX/…`): iOS apps register their device token (`registerPush` with `mobile`) and
   * are pushed through SNS. The functions may create, publish to and delete endpoints of this
   * application only.
   *
   * @default - no APNs devices
   */
  readonly apns?: string;

  /**
   * The ARN of an SNS platform application for FCM (`arn:aws:sns:…:app/GCM/…`): Android apps
   * register their registration token and are pushed through SNS.
   *
   * @default - no FCM devices
   */
  readonly fcm?: string;

  /**
   * Whether a notification to one of a user's own topics (`users/<id>/…`) with a `push` part is
   * pushed to that user's devices when no connection of the user took it live, as a
   * user-targeted one is. Other topics' notifications are never pushed: push is per user.
   *
   * @default false
   */
  readonly userTopics?: boolean;

  /**
   * Devices one user may register (1 to 100); the next registration is refused until one is
   * removed.
   *
   * @default 10
   */
  readonly maxDevicesPerUser?: number;

  /**
   * How long a device neither registered again nor pushed to is kept (1 to 365 days).
   *
   * @default Duration.days(60)
   */
  readonly deviceTtl?: Duration;
}

/**
 * Payloads too large for a WebSocket frame, sent through the construct's payload bucket.
 */
export interface PayloadOptions {
  /**
   * The largest payload sent by reference (the JSON of `data`, or a backend's object), 1 KiB to
   * 5 GiB. Delivery stores what arrives on the bus (at most EventBridge's 256 KB per event);
   * larger payloads are put by backends (`grantPutPayload`) and published as a `payload`
   * reference, refused above this size. Clients download a payload whole before handing it over.
   *
   * @default Size.mebibytes(10)
   */
  readonly maxObjectSize?: Size;

  /**
   * How long a presigned payload URL is valid (10 seconds to 1 hour). Clients fetch it when the
   * frame arrives; a replay or history answer presigns a new one. A URL also stops working when
   * the function's role session that signed it ends.
   *
   * @default Duration.minutes(5)
   */
  readonly urlExpiry?: Duration;
}

/**
 * Settings of every Lambda function the construct creates: the handlers that answer routes and
 * deliver notifications.
 */
export interface HandlerFunctionOptions {
  /**
   * Memory of every function, in MB (128 to 10240).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Instruction set of every function.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
}

/**
 * Alarms, the dashboard and the log groups.
 */
export interface MonitoringOptions {
  /**
   * Whether to create the default alarms: dead-letter queue not empty, deliver errors, oldest
   * queued message age, WebSocket API errors and sustained throttling of posts to connections.
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * SNS topic notified when an alarm fires and when it recovers. Needs `alarms`.
   *
   * @default - alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Age of the oldest queued notification at which the queue-age alarm fires (1 minute to
   * 14 days). Needs `alarms`.
   *
   * @default Duration.minutes(5)
   */
  readonly queueAgeAlarmThreshold?: Duration;

  /**
   * Whether to create a CloudWatch dashboard of deliveries, queues, the API and the alarms.
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Retention of the function and access log groups.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A custom domain for the WebSocket API. The domain's root maps to the stage, so clients connect
 * to `wss://<domainName>` with no stage path, and the domain serves this API only. The
 * execute-api URL stays enabled: the deliver function posts to connections through it
 * (`callbackUrl`), the endpoint AWS documents for the @connections API and the one its IAM grant
 * is written for.
 */
export interface CustomDomainOptions {
  /**
   * The host name clients connect to, such as `notifications.example.com`: lowercase, without
   * scheme, path, port or wildcard.
   */
  readonly domainName: string;

  /**
   * An ACM certificate for `domainName`, or a wildcard certificate that covers it, in the
   * stack's region (the domain is a regional endpoint with the TLS 1.2 security policy).
   */
  readonly certificate: acm.ICertificate;

  /**
   * The Route 53 hosted zone of `domainName` (or of a parent domain), in which an alias A record
   * points the domain at the API. A zone imported by id alone has no zone name: import it with
   * `HostedZone.fromHostedZoneAttributes()`.
   *
   * @default - no DNS record: point the domain at `domainName.regionalDomainName` yourself
   */
  readonly hostedZone?: route53.IHostedZone;
}

/**
 * Properties of `RealtimeNotifications`. Who may do what (the topic rules) and the publish
 * contract are top-level; everything else is grouped by the part of the system it tunes.
 */
export interface RealtimeNotificationsProps {
  /**
   * How clients authenticate on `$connect`: `ConnectionAuth.cognito(...)`,
   * `ConnectionAuth.jwt(...)`, `ConnectionAuth.lambda(fn)` or, for demos only, `ConnectionAuth.none()`.
   */
  readonly auth: ConnectionAuth;

  /**
   * Topic patterns a connection may subscribe to. Segments are separated by `/`; `*` matches
   * exactly one segment; `**` (only as the last segment) matches one or more; `{userId}` (a
   * whole segment) matches the connection's own user id. Example: `['orders/*', 'users/{userId}/**']`.
   * Topics under `users/<id>/` stay private to that user whatever the rules say.
   * An empty list allows no subscriptions (user-targeted notifications still arrive).
   *
   * @default ['**'] - any authenticated connection may subscribe to any topic
   */
  readonly topicRules?: string[];

  /**
   * Topic patterns clients may publish to (`{"action":"publish"}`), written like `topicRules`;
   * `{userId}` matches the sender's own id. Subscribers receive each message as a notification
   * with `from` set to the sender's user id by the server. Topics under `users/` are never open
   * to client publishing (a rule naming them is refused at synth). Example: `['rooms/*']` for chat rooms.
   *
   * @default [] - clients cannot publish
   */
  readonly publishRules?: string[];

  /**
   * Topic patterns that track presence: subscribers can ask who is there (`{"action":"presence"}`)
   * and receive `join`/`leave` events when a user's first connection subscribes and their last one
   * leaves. Written like `topicRules`.
   *
   * @default [] - no topic tracks presence
   */
  readonly presenceRules?: string[];

  /**
   * Topic patterns whose notifications are kept, with positions (`seq`, `epoch`), so a client
   * that reconnects catches up (`subscribe` with `since`) and pages back (`history`). Written
   * like `topicRules`, without `{userId}`. Each kept notification costs about three more
   * DynamoDB writes (its position, its claim, the kept frame), so topics opt in.
   *
   * @default [] - no topic keeps history
   */
  readonly historyRules?: string[];

  /**
   * The event bus backends publish to.
   *
   * On a bus given here, which other applications may share, only events of `detailType` are
   * notifications: events of other detail types are left to the other rules on the bus. The new
   * bus made by default is for notifications only: an event of any other detail type published
   * to it is sent to the dead-letter queue with reason `WRONG_DETAIL_TYPE`.
   *
   * @default - a new event bus, for notifications only
   */
  readonly eventBus?: events.IEventBus;

  /**
   * The `DetailType` of notification events.
   *
   * @default "Notification"
   */
  readonly detailType?: string;

  /**
   * Whether `{"broadcast": true}` notifications reach every open connection. Broadcast scans the
   * connections table, the one fan-out that is not a Query; when off, such notifications go to
   * the dead-letter queue.
   *
   * @default false
   */
  readonly allowBroadcast?: boolean;

  /**
   * The stage name, the last path segment of the WebSocket URL.
   *
   * @default "prod"
   */
  readonly stageName?: string;

  /**
   * A custom domain clients connect to, such as `notifications.example.com`, with its ACM
   * certificate and optionally the Route 53 zone for its alias record. `webSocketUrl` becomes
   * `wss://<domainName>`.
   *
   * @default - clients connect to the stage's execute-api URL
   */
  readonly customDomain?: CustomDomainOptions;

  /**
   * A customer-managed KMS key for the tables, queues and log groups. EventBridge and CloudWatch
   * Logs must be able to use it: a key defined in the same app gets the needed key policy; an
   * imported key needs `kms:GenerateDataKey` and `kms:Decrypt` for `events.amazonaws.com`, and
   * `kms:Encrypt`, `kms:Decrypt`, `kms:ReEncryptFrom`, `kms:ReEncryptTo`, `kms:GenerateDataKey`,
   * `kms:GenerateDataKeyWithoutPlaintext` and `kms:DescribeKey` for `logs.<region>.amazonaws.com`
   * under the condition `ArnLike` `kms:EncryptionContext:aws:logs:arn` =
   * `arn:<partition>:logs:<region>:<account>:log-group:*`.
   *
   * @default - AWS-owned encryption: DynamoDB's AWS-managed key, SQS-managed SSE and CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the tables and log groups when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Throttling of every route of the stage: `rateLimit` (steady-state requests per second,
   * above 0 and at most 1000000) and `burstLimit` (requests, 1 to 1000000). Each one left out
   * takes its own default: setting only `rateLimit` keeps `burstLimit` at 500, and setting only
   * `burstLimit` keeps `rateLimit` at 1000.
   *
   * @default - rateLimit 1000, burstLimit 500
   */
  readonly throttle?: apigwv2.ThrottleSettings;

  /**
   * Connections: how long their rows live, and how many subscriptions and connections one
   * connection and one user may have.
   *
   * @default - rows live 3 hours; 50 subscriptions per connection; 20 connections per user
   */
  readonly connections?: ConnectionOptions;

  /**
   * Client messages (`publishRules`) and presence answers (`presenceRules`): rate, size and
   * the detail type they are announced with on the bus.
   *
   * @default - 10 messages per second per user, 32 KiB of data, 100 presence members, detail type "ClientMessage"
   */
  readonly clientMessages?: ClientMessageOptions;

  /**
   * Kept notifications (`historyRules`, and each user's own stream): retention and replay.
   *
   * @default - user streams kept, for 24 hours; at most 100 notifications replayed per request
   */
  readonly history?: HistoryOptions;

  /**
   * Topics busier than one DynamoDB partition key takes (about 1,000 writes/s): their
   * subscriptions, or their kept notifications, spread over several keys.
   *
   * @default - no topic spread
   */
  readonly hotTopics?: HotTopicOptions;

  /**
   * Delivery tuning: the deliver function, its queue, its event source and its fan-out.
   *
   * @default - see each option of `DeliveryOptions`
   */
  readonly delivery?: DeliveryOptions;

  /**
   * Push notifications (Web Push) for user-targeted notifications that no connection of the
   * user received live.
   *
   * @default - devices may be registered; nothing is pushed without `push.vapidKeys`
   */
  readonly push?: PushOptions;

  /**
   * Payloads over API Gateway's 128 KB frame, kept in the payload bucket and fetched by clients
   * through short-lived presigned URLs.
   *
   * @default - payloads up to 10 MiB; URLs valid 5 minutes
   */
  readonly payloads?: PayloadOptions;

  /**
   * Memory and architecture of every function.
   *
   * @default - 512 MB, ARM_64
   */
  readonly functions?: HandlerFunctionOptions;

  /**
   * Alarms, their SNS topic, the dashboard and log retention.
   *
   * @default - the default alarms without actions, no dashboard, logs kept one month
   */
  readonly monitoring?: MonitoringOptions;
}
