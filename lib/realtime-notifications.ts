import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConnectionAuth } from './connection-auth';
import { addCustomDomain, validateCustomDomain } from './private/custom-domain';
import { createHandlerFunction } from './private/handler-function';
import { allowCloudWatchLogs } from './private/log-encryption';
import { acknowledgeDesignFindings } from './private/nag-acknowledgements';
import { ObservedMetrics, createDashboard, createDefaultAlarms } from './private/observability';
import {
  AUTHORIZER_IDENTITY_SOURCES,
  AuthSettings,
  CLIENT_MESSAGING_RANGES,
  CONNECTIONS_TABLE,
  COUNTERS_TABLE,
  HISTORY_RANGES,
  HISTORY_TABLE,
  DEFAULTS,
  DEPLOYMENT_DEFAULTS,
  MESSAGE_ROUTES,
  METRICS_NAMESPACE,
  METRICS_SERVICE_DIMENSION,
  MetricNames,
  RuntimeSettings,
  SUBSCRIPTIONS_TABLE,
  Tables,
  notificationEventPattern,
} from './private/runtime-contract';
import { allowTableActions, createTable } from './private/tables';
import { topicPatternProblem } from './private/topic-patterns';
import {
  checkDuration,
  checkInteger,
  checkPattern,
  checkPositive,
  invalidProp,
} from './private/validation';

/** API Gateway closes every WebSocket connection after 2 hours. */
const MAX_CONNECTION_SECONDS = 2 * 60 * 60;
const ROUTE_FUNCTION_TIMEOUT = Duration.seconds(DEPLOYMENT_DEFAULTS.routeFunctionTimeoutSeconds);

/** Defaults of the props that are not runtime settings (those live in the runtime contract's DEFAULTS). */
const PROP_DEFAULTS = {
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 500,
  deliverTimeout: Duration.seconds(DEPLOYMENT_DEFAULTS.deliverTimeoutSeconds),
  memorySize: 512,
  logRetention: logs.RetentionDays.ONE_MONTH,
  queueAgeAlarmThreshold: Duration.minutes(5),
};

/**
 * Properties of `RealtimeNotifications`.
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
   * to client publishing. Example: `['rooms/*']` for chat rooms.
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
   * Client messages one user may publish per second, across all of the user's connections
   * (1 to 10000). The excess is refused with `RATE_LIMITED` and a `retryAfterMs`.
   *
   * @default 10
   */
  readonly maxClientMessagesPerSecond?: number;

  /**
   * Largest `data` of a client message, as UTF-8 JSON (1 byte to 100 KiB): the rest of API
   * Gateway's 128 KB frame is left for the envelope. Larger messages are refused with `PAYLOAD_TOO_LARGE`.
   *
   * @default Size.kibibytes(32)
   */
  readonly maxClientMessageSize?: Size;

  /**
   * Open connections one user may have (1 to 100000); the next `$connect` is refused with HTTP
   * 429. Connections that closed without `$disconnect` are found out and do not count.
   *
   * @default 20
   */
  readonly maxConnectionsPerUser?: number;

  /**
   * Members a presence answer lists at most (1 to 1000); `count` still says how many there are.
   *
   * @default 100
   */
  readonly maxPresenceMembers?: number;

  /**
   * The `DetailType` of the event each accepted client message puts on the event bus, for
   * backends to store, moderate or react to with their own rules. The construct does not deliver
   * these events again.
   *
   * @default "ClientMessage"
   */
  readonly clientMessageDetailType?: string;

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
   * Whether each user's own stream (user-targeted notifications) is kept, so a user who comes
   * back (`resume`) gets what was sent while they were away: the offline inbox.
   *
   * @default true
   */
  readonly userHistory?: boolean;

  /**
   * How long kept notifications can be replayed (1 minute to 14 days).
   *
   * @default Duration.hours(24)
   */
  readonly historyRetention?: Duration;

  /**
   * Notifications one `subscribe` with `since`, `resume` or `history` request replays at most
   * (1 to 1000). A client that missed more is told `recovered: false`.
   *
   * @default 100
   */
  readonly maxReplay?: number;

  /**
   * The stage name, the last path segment of the WebSocket URL.
   *
   * @default "prod"
   */
  readonly stageName?: string;

  /**
   * Steady-state rate limit (requests per second) of every route of the stage.
   *
   * @default 1000
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst limit (requests) of every route of the stage.
   *
   * @default 500
   */
  readonly throttlingBurstLimit?: number;

  /**
   * How long connection and subscription rows live before DynamoDB's TTL removes them. Rows of
   * connections that ended without `$disconnect` go away this way. At least 2 hours, since API
   * Gateway keeps a connection open for up to 2 hours.
   *
   * @default Duration.hours(3)
   */
  readonly connectionTtl?: Duration;

  /**
   * How many topics one connection may subscribe to at once (1 to 1000).
   *
   * @default 50
   */
  readonly maxSubscriptionsPerConnection?: number;

  /**
   * How many posts to connections one deliver invocation keeps in flight (1 to 1000).
   *
   * @default 50
   */
  readonly deliveryConcurrency?: number;

  /**
   * Audience size above which a notification is split into shard messages that many deliver
   * invocations post in parallel. The invocation that reads the audience posts to the connections
   * it read within the threshold itself; the rest go to shard messages.
   *
   * @default 1000
   */
  readonly fanoutShardThreshold?: number;

  /**
   * Connections per shard message, 1 to 5000 and at most `fanoutShardThreshold`. A shard carries
   * its connection ids and the notification in one SQS message.
   *
   * @default 1000
   */
  readonly fanoutShardSize?: number;

  /**
   * Cap on posts to connections per second for the whole deployment, 0 for no cap. The API
   * Gateway management API shares the account's API Gateway request quota (10,000 requests per
   * second by default) with every other API in the account, so a cap leaves room for them.
   * The cap is split evenly between deliver instances, so it needs `deliverMaxConcurrency`.
   *
   * @default 0
   */
  readonly maxDeliveryRatePerSecond?: number;

  /**
   * Delivery attempts, the first included, for the connections a notification could not reach
   * (429, 5xx) before it sends the notification and those connections to the dead-letter queue
   * (1 to 10; 1 means no retry). Each attempt retries a failed post a few times itself.
   *
   * @default 3
   */
  readonly maxDeliveryAttempts?: number;

  /**
   * Queue messages per deliver invocation, 1 to 10000. Above 10 needs `maxBatchingWindow`.
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
  readonly deliverMaxConcurrency?: number;

  /**
   * Timeout of the deliver function (1 second to 15 minutes). The delivery queue's visibility
   * timeout is six times this.
   *
   * @default Duration.seconds(60)
   */
  readonly deliverTimeout?: Duration;

  /**
   * How many times a queue message is received (a deliver invocation failed, crashed or timed out
   * on it) before it goes to the dead-letter queue (1 to 1000). A message that still fails on its
   * last receive is dead-lettered by deliver with reason `RETRIES_EXHAUSTED`; one whose invocation
   * crashed or timed out is moved there by SQS's redrive.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

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

  /**
   * Retention of the function and access log groups.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the tables and log groups when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

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
   * Whether to create the default alarms: dead-letter queue not empty, deliver errors, oldest
   * queued message age, WebSocket API errors and sustained throttling of posts to connections.
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * SNS topic notified when an alarm fires and when it recovers.
   *
   * @default - alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Age of the oldest queued notification at which the queue-age alarm fires.
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

  // Custom domain

  /**
   * A custom domain clients connect to, such as `notifications.example.com`, with its ACM
   * certificate and optionally the Route 53 zone for its alias record. `webSocketUrl` becomes
   * `wss://<domainName>`.
   *
   * @default - clients connect to the stage's execute-api URL
   */
  readonly customDomain?: CustomDomainOptions;
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
 * Realtime push notifications over API Gateway WebSockets.
 *
 * Clients connect to `webSocketUrl?token=<JWT>` and subscribe to topics; backends publish with
 * EventBridge `PutEvents` to `eventBus` (detail type `Notification`, detail
 * `{"topic": …, "data": …}` or `{"userId": …, "data": …}`), and the deliver function pushes
 * each notification to every connection it targets.
 *
 * Access logs of WebSocket APIs need the account-level API Gateway CloudWatch role
 * (`AWS::ApiGateway::Account`), which is set once per account and region.
 */
export class RealtimeNotifications extends Construct {
  /** The WebSocket API. */
  public readonly webSocketApi: apigwv2.WebSocketApi;
  /** The stage clients connect to. */
  public readonly stage: apigwv2.WebSocketStage;
  /** The stage's access log group. */
  public readonly accessLogGroup: logs.LogGroup;
  /** `wss://` URL clients connect to (add `?token=<JWT>`): the custom domain's when there is one, else the stage's. */
  public readonly webSocketUrl: string;
  /** `https://` execute-api URL of the stage's management API, which posts to connections (also with a custom domain). */
  public readonly callbackUrl: string;
  /** Open connections: one row per connection, with its user id. */
  public readonly connectionsTable: dynamodb.Table;
  /** Subscriptions: one row per topic and connection. */
  public readonly subscriptionsTable: dynamodb.Table;
  /**
   * Counters kept exact under concurrency: client messages per user per second, presence per
   * topic and user, and the positions of streams with history.
   */
  public readonly countersTable: dynamodb.Table;
  /** Kept notifications of streams with history, by stream and position, until the retention ends. */
  public readonly historyTable: dynamodb.Table;
  /** The bus backends publish notifications to. */
  public readonly eventBus: events.IEventBus;
  /**
   * The rule that sends notification events to the delivery queue. On the construct's own bus a
   * second rule sends the events of other detail types there too, to be dead-lettered with a reason.
   */
  public readonly notificationRule: events.Rule;
  /** Notifications (and fan-out shards) waiting for delivery. */
  public readonly deliveryQueue: sqs.Queue;
  /** Notifications that could not be delivered, each with its reason. */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * The `$connect` authorizer: the bundled one for `cognito`/`jwt`, yours for `lambda`.
   *
   * @default - none when the auth is `ConnectionAuth.none()`
   */
  public readonly authorizerFunction?: lambda.IFunction;
  /** Handles `$connect`: records the connection. */
  public readonly connectFunction: lambda.Function;
  /** Handles `$disconnect`: removes the connection and its subscriptions. */
  public readonly disconnectFunction: lambda.Function;
  /** Handles `subscribe`, `unsubscribe`, `publish`, `presence`, `ping` and `$default`, and delivers client messages. */
  public readonly messageFunction: lambda.Function;
  /** Delivers queued notifications to their connections. */
  public readonly deliverFunction: lambda.Function;
  /** Names this deployment in the functions' logs and in the `service` dimension of its metrics. */
  public readonly serviceName: string;
  /** The default alarms (empty when `alarms` is false). */
  public readonly alarms: cloudwatch.IAlarm[];
  /**
   * Fires when the dead-letter queue holds messages.
   *
   * @default - none when `alarms` is false
   */
  public readonly deadLetterQueueAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the deliver function fails.
   *
   * @default - none when `alarms` is false
   */
  public readonly deliverErrorsAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the oldest queued notification is older than `queueAgeAlarmThreshold`.
   *
   * @default - none when `alarms` is false
   */
  public readonly queueAgeAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the WebSocket API fails to run its integrations.
   *
   * @default - none when `alarms` is false
   */
  public readonly apiErrorsAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the management API throttles deliveries for 15 minutes.
   *
   * @default - none when `alarms` is false
   */
  public readonly throttlingAlarm?: cloudwatch.Alarm;
  /**
   * The dashboard.
   *
   * @default - none unless `dashboard` is true
   */
  public readonly dashboard?: cloudwatch.Dashboard;
  /**
   * The custom domain; its `regionalDomainName` is the target of the domain's DNS record.
   *
   * @default - none unless `customDomain` is set
   */
  public readonly domainName?: apigwv2.DomainName;

  /** The @connections grants made to the functions, for the cdk-nag acknowledgements. */
  private readonly connectionsGrants: Array<{ fn: lambda.IFunction; arns: string[] }> = [];

  constructor(scope: Construct, id: string, props: RealtimeNotificationsProps) {
    super(scope, id);
    if (props === undefined || props.auth === undefined) {
      throw invalidProp('auth', 'it is missing',
        'Choose ConnectionAuth.cognito(...), ConnectionAuth.jwt(...), ConnectionAuth.lambda(fn) or, for demos, ConnectionAuth.none().');
    }
    const auth = props.auth._bind();
    validateProps(props);
    validateCustomDomain(this, props.customDomain);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? PROP_DEFAULTS.logRetention;
    const stageName = props.stageName ?? DEFAULTS.stageName;
    const detailType = props.detailType ?? DEFAULTS.detailType;
    const deliverTimeout = props.deliverTimeout ?? PROP_DEFAULTS.deliverTimeout;
    const allowBroadcast = props.allowBroadcast ?? false;
    const clientMessageDetailType = props.clientMessageDetailType ?? DEFAULTS.clientMessageDetailType;
    this.serviceName = Names.uniqueId(this);

    // Storage
    this.connectionsTable = createTable(this, 'ConnectionsTable', {
      definition: CONNECTIONS_TABLE, removalPolicy, encryptionKey: props.encryptionKey,
    });
    this.subscriptionsTable = createTable(this, 'SubscriptionsTable', {
      definition: SUBSCRIPTIONS_TABLE, removalPolicy, encryptionKey: props.encryptionKey,
    });
    this.countersTable = createTable(this, 'CountersTable', {
      definition: COUNTERS_TABLE, removalPolicy, encryptionKey: props.encryptionKey,
    });
    this.historyTable = createTable(this, 'HistoryTable', {
      definition: HISTORY_TABLE, removalPolicy, encryptionKey: props.encryptionKey,
    });

    // Publishing path: bus → rule → queue (+ DLQ)
    const queueEncryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const maxReceiveCount = props.maxReceiveCount ?? DEPLOYMENT_DEFAULTS.maxReceiveCount;
    this.deliveryQueue = new sqs.Queue(this, 'DeliveryQueue', {
      ...queueEncryption,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(deliverTimeout.toSeconds() * DEPLOYMENT_DEFAULTS.visibilityTimeoutFactor),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');
    this.notificationRule = new events.Rule(this, 'NotificationRule', {
      description: `Sends ${detailType} events to the delivery queue of ${this.serviceName}`,
      eventBus: this.eventBus,
      eventPattern: { detailType: notificationEventPattern(detailType)['detail-type'] },
    });
    const rules = [this.notificationRule];
    if (props.eventBus === undefined) {
      // The bus is this construct's alone: an event of another detail type is a publisher's
      // mistake, which deliver dead-letters with its reason rather than it being dropped unseen.
      rules.push(new events.Rule(this, 'MisaddressedEventRule', {
        description: `Sends events that are neither ${detailType} nor ${clientMessageDetailType} to the delivery queue of ${this.serviceName}, to be dead-lettered with reason WRONG_DETAIL_TYPE`,
        eventBus: this.eventBus,
        eventPattern: { detailType: events.Match.anythingBut(detailType, clientMessageDetailType) },
      }));
    }
    // Events EventBridge cannot put on the queue land in the DLQ rather than vanish.
    for (const rule of rules) rule.addTarget(new targets.SqsQueue(this.deliveryQueue, { deadLetterQueue: this.deadLetterQueue }));
    // With a customer key, CDK's SqsQueue target allows EventBridge by account rather than by rule;
    // either way, no other rule may write to these queues and bypass the bus and its patterns.
    for (const queue of [this.deliveryQueue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'OnlyTheNotificationRule',
        effect: iam.Effect.DENY,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnNotEquals: { 'aws:SourceArn': rules.length === 1 ? rules[0].ruleArn : rules.map((rule) => rule.ruleArn) } },
      }));
    }

    // WebSocket API and stage; routes are added once the functions exist.
    this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      description: `Realtime notifications (${this.serviceName})`,
      routeSelectionExpression: '$request.body.action',
    });
    if (props.encryptionKey) allowCloudWatchLogs(this, props.encryptionKey);
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention, removalPolicy, encryptionKey: props.encryptionKey,
    });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? PROP_DEFAULTS.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? PROP_DEFAULTS.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const customDomain = props.customDomain ? addCustomDomain(this, this.stage, props.customDomain) : undefined;
    this.domainName = customDomain?.domainName;
    this.webSocketUrl = customDomain?.url ?? this.stage.url;
    this.callbackUrl = this.stage.callbackUrl;

    // Functions, all configured from one set of runtime settings.
    const settings: RuntimeSettings = {
      serviceName: this.serviceName,
      connectionsTable: this.connectionsTable.tableName,
      subscriptionsTable: this.subscriptionsTable.tableName,
      countersTable: this.countersTable.tableName,
      historyTable: this.historyTable.tableName,
      callbackUrl: this.callbackUrl,
      queueUrl: this.deliveryQueue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      detailType,
      connectionTtlSeconds: (props.connectionTtl ?? Duration.seconds(DEFAULTS.connectionTtlSeconds)).toSeconds(),
      maxSubscriptionsPerConnection: props.maxSubscriptionsPerConnection ?? DEFAULTS.maxSubscriptionsPerConnection,
      topicRules: props.topicRules ?? DEFAULTS.topicRules,
      publishRules: props.publishRules ?? DEFAULTS.publishRules,
      presenceRules: props.presenceRules ?? DEFAULTS.presenceRules,
      maxClientMessagesPerSecond: props.maxClientMessagesPerSecond ?? DEFAULTS.maxClientMessagesPerSecond,
      maxClientMessageDataBytes: props.maxClientMessageSize?.toBytes() ?? DEFAULTS.maxClientMessageDataBytes,
      maxConnectionsPerUser: props.maxConnectionsPerUser ?? DEFAULTS.maxConnectionsPerUser,
      maxPresenceMembers: props.maxPresenceMembers ?? DEFAULTS.maxPresenceMembers,
      eventBusName: this.eventBus.eventBusName,
      clientMessageDetailType,
      historyRules: props.historyRules ?? DEFAULTS.historyRules,
      userHistory: props.userHistory ?? DEFAULTS.userHistory,
      historyRetentionSeconds: props.historyRetention?.toSeconds() ?? DEFAULTS.historyRetentionSeconds,
      maxReplay: props.maxReplay ?? DEFAULTS.maxReplay,
      allowBroadcast,
      deliveryConcurrency: props.deliveryConcurrency ?? DEFAULTS.deliveryConcurrency,
      shardThreshold: props.fanoutShardThreshold ?? DEFAULTS.shardThreshold,
      shardSize: props.fanoutShardSize ?? DEFAULTS.shardSize,
      maxDeliveryRatePerSecond: ratePerInstance(props),
      maxDeliveryAttempts: props.maxDeliveryAttempts ?? DEFAULTS.maxDeliveryAttempts,
      maxReceiveCount,
      auth: auth.authorizerSettings ?? { mode: auth.unauthenticated ? 'none' : 'lambda' } satisfies AuthSettings,
    };
    const common = {
      settings,
      memorySize: props.memorySize ?? PROP_DEFAULTS.memorySize,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      logRetention,
      logRemovalPolicy: removalPolicy,
      logEncryptionKey: props.encryptionKey,
    };
    this.connectFunction = createHandlerFunction(this, 'ConnectFunction', {
      ...common, name: 'connect', timeout: ROUTE_FUNCTION_TIMEOUT, description: 'Records new WebSocket connections',
    });
    this.disconnectFunction = createHandlerFunction(this, 'DisconnectFunction', {
      ...common, name: 'disconnect', timeout: ROUTE_FUNCTION_TIMEOUT, description: 'Removes closed connections and their subscriptions',
    });
    this.messageFunction = createHandlerFunction(this, 'MessageFunction', {
      ...common, name: 'message', timeout: ROUTE_FUNCTION_TIMEOUT, description: 'Answers client frames and delivers client messages',
    });
    this.deliverFunction = createHandlerFunction(this, 'DeliverFunction', {
      ...common, name: 'deliver', timeout: deliverTimeout, description: 'Delivers queued notifications to their connections',
    });
    if (auth.authorizerSettings) {
      this.authorizerFunction = createHandlerFunction(this, 'AuthorizerFunction', {
        ...common, name: 'authorizer', timeout: ROUTE_FUNCTION_TIMEOUT, description: 'Verifies the token of new WebSocket connections',
      });
    } else {
      this.authorizerFunction = auth.userAuthorizer;
    }
    if (auth.unauthenticated) {
      Annotations.of(this).addWarningV2('cdk-realtime-notifications:unauthenticated',
        'ConnectionAuth.none(): anyone who knows the URL can connect and subscribe. Use it for demos only; '
        + 'choose ConnectionAuth.cognito(), jwt() or lambda() for anything else.');
    }

    this.addRoutes();
    this.grantHandlerPermissions({
      allowBroadcast,
      presence: settings.presenceRules.length > 0,
      clientPublish: settings.publishRules.length > 0,
      history: settings.historyRules.length > 0 || settings.userHistory,
      topicHistory: settings.historyRules.length > 0,
    });
    this.deliverFunction.addEventSource(new SqsEventSource(this.deliveryQueue, {
      batchSize: props.batchSize ?? DEPLOYMENT_DEFAULTS.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.deliverMaxConcurrency,
      reportBatchItemFailures: true,
    }));

    // Observability
    const metrics = this.observedMetrics();
    if (props.alarms ?? true) {
      const alarms = createDefaultAlarms(this, metrics,
        props.queueAgeAlarmThreshold ?? PROP_DEFAULTS.queueAgeAlarmThreshold, props.alarmTopic);
      this.deadLetterQueueAlarm = alarms.deadLetterQueue;
      this.deliverErrorsAlarm = alarms.deliverErrors;
      this.queueAgeAlarm = alarms.queueAge;
      this.apiErrorsAlarm = alarms.apiErrors;
      this.throttlingAlarm = alarms.throttling;
      this.alarms = [alarms.deadLetterQueue, alarms.deliverErrors, alarms.queueAge, alarms.apiErrors, alarms.throttling];
    } else {
      this.alarms = [];
    }
    if (props.dashboard ?? false) {
      this.dashboard = createDashboard(this, metrics, this.alarms);
    }

    acknowledgeDesignFindings({
      webSocketApi: this.webSocketApi,
      authorizedRouteKeys: ['$disconnect', ...MESSAGE_ROUTES],
      connectionsGrants: this.connectionsGrants,
      bundledFunctions: [this.connectFunction, this.disconnectFunction, this.messageFunction, this.deliverFunction,
        ...(auth.authorizerSettings ? [this.authorizerFunction as lambda.Function] : [])],
    });
  }

  /**
   * Allows `grantee` to publish notifications (`events:PutEvents` on this construct's bus).
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.eventBus.grantPutEventsTo(grantee);
  }

  /**
   * Allows `grantee` to post to, look up and close this stage's connections through the API
   * Gateway management API, `execute-api:ManageConnections` on this API's stage only.
   */
  public grantManageConnections(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: ['POST', 'GET', 'DELETE'].map((method) => this.connectionsArn(method)),
    });
  }

  /**
   * A metric the functions emit (CloudWatch EMF) in this deployment's `service` dimension.
   *
   * @default - sum over 5 minutes
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [METRICS_SERVICE_DIMENSION]: this.serviceName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Frames the management API accepted (posts to connections).
   *
   * @default - sum over 5 minutes
   */
  public metricDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.delivered, props);
  }

  /**
   * Connections a notification could not reach within the retry budget (sent to the DLQ).
   *
   * @default - sum over 5 minutes
   */
  public metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.failed, props);
  }

  /**
   * Throttled (429) answers of the management API to posts to connections.
   *
   * @default - sum over 5 minutes
   */
  public metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.throttled, props);
  }

  /**
   * Connections found gone (410) and removed with their subscriptions.
   *
   * @default - sum over 5 minutes
   */
  public metricGone(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.gone, props);
  }

  /**
   * Published events that break the publish contract (sent to the DLQ with the reason).
   *
   * @default - sum over 5 minutes
   */
  public metricRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.rejected, props);
  }

  /**
   * Notifications refused because their frame exceeds 128 KB.
   *
   * @default - sum over 5 minutes
   */
  public metricTooLarge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.tooLarge, props);
  }

  /**
   * Notifications taken off the delivery queue.
   *
   * @default - sum over 5 minutes
   */
  public metricNotifications(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.notifications, props);
  }

  /**
   * Time to deliver one notification or shard to its audience, in milliseconds.
   *
   * @default - p99 over 5 minutes
   */
  public metricFanoutDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.fanoutDuration, { statistic: 'p99', ...props });
  }

  /**
   * Client messages accepted and delivered by the message function.
   *
   * @default - sum over 5 minutes
   */
  public metricClientMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.clientMessages, props);
  }

  /**
   * Client messages refused because their sender was over `maxClientMessagesPerSecond`.
   *
   * @default - sum over 5 minutes
   */
  public metricRateLimited(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.rateLimited, props);
  }

  /**
   * Messages waiting in the dead-letter queue.
   *
   * @default - maximum over 5 minutes
   */
  public metricDeadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), ...props,
    });
  }

  private addRoutes(): void {
    // One integration per route: API Gateway may invoke a function only from the route key its
    // permission names, and an integration binds its permission once.
    const integration = (id: string, fn: lambda.IFunction) => new WebSocketLambdaIntegration(id, fn);
    const authorizer = this.authorizerFunction
      ? new WebSocketLambdaAuthorizer('ConnectAuthorizer', this.authorizerFunction, {
        identitySource: [...AUTHORIZER_IDENTITY_SOURCES],
      })
      : undefined;
    this.webSocketApi.addRoute('$connect', {
      integration: integration('ConnectIntegration', this.connectFunction),
      authorizer,
    });
    this.webSocketApi.addRoute('$disconnect', {
      integration: integration('DisconnectIntegration', this.disconnectFunction),
    });
    for (const routeKey of MESSAGE_ROUTES) {
      const id = routeKey === '$default' ? 'Default' : routeKey[0].toUpperCase() + routeKey.slice(1);
      this.webSocketApi.addRoute(routeKey, {
        integration: integration(`${id}Integration`, this.messageFunction),
        returnResponse: true,
      });
    }
  }

  /**
   * Least privilege: each function gets exactly the actions its handler performs, and the
   * presence and client-publishing actions only when those are turned on.
   */
  private grantHandlerPermissions(features: {
    allowBroadcast: boolean; presence: boolean; clientPublish: boolean; history: boolean; topicHistory: boolean;
  }): void {
    const { allowBroadcast, presence, clientPublish, history, topicHistory } = features;
    const connections = this.connectionsTable;
    const subscriptions = this.subscriptionsTable;
    const counters = this.countersTable;
    const byUser = Tables.connections.byUserIndex;
    const byConnection = { indexName: Tables.subscriptions.byConnectionIndex, actions: ['Query'] };
    const when = (on: boolean, actions: string[]) => (on ? actions : []);
    // Forgetting a connection removes its row, then its subscriptions found through the byConnection
    // index; with presence, those on presence topics one by one, counting the user down there and
    // announcing a leave to the topic (a Query of its subscribers and posts to them).
    const forgetting = {
      connections: ['DeleteItem'],
      subscriptions: ['BatchWriteItem', ...when(presence, ['DeleteItem', 'Query'])],
      counters: when(presence, ['UpdateItem', 'DeleteItem']),
    };

    // $connect records the connection; at the per-user limit it lists the user's connections,
    // asks API Gateway which are still open, and forgets the others.
    allowTableActions(this.connectFunction, connections, ['PutItem', ...forgetting.connections], [{ indexName: byUser, actions: ['Query'] }]);
    allowTableActions(this.connectFunction, subscriptions, forgetting.subscriptions, [byConnection]);
    allowTableActions(this.connectFunction, counters, forgetting.counters);
    this.allowConnectionsApi(this.connectFunction, ['GET', ...when(presence, ['POST'])]);

    allowTableActions(this.disconnectFunction, connections, forgetting.connections);
    allowTableActions(this.disconnectFunction, subscriptions, forgetting.subscriptions, [byConnection]);
    allowTableActions(this.disconnectFunction, counters, forgetting.counters);
    if (presence) this.allowConnectionsApi(this.disconnectFunction, ['POST']);

    // Subscribe takes a slot on the connection row (conditional UpdateItem), then writes the
    // subscription. Client messages and presence announcements are posted from here, like deliver
    // posts notifications: audience Queries, posts, re-queued retries, and gone connections forgotten.
    // With history, it replays what a client missed (reading the stream's head, starting it if new,
    // and its kept notifications) and keeps client messages of topics with history: a position
    // (the head, a claim) and the frame.
    const posts = clientPublish || presence || history;
    const fansOut = clientPublish || presence;
    const keepsClientMessages = clientPublish && topicHistory;
    const keepingPositions = ['GetItem', 'PutItem', 'UpdateItem'];
    allowTableActions(this.messageFunction, connections, ['GetItem', 'UpdateItem', ...when(fansOut, forgetting.connections)]);
    allowTableActions(this.messageFunction, subscriptions,
      ['GetItem', 'PutItem', 'DeleteItem', ...when(fansOut, ['Query', 'BatchWriteItem'])], fansOut ? [byConnection] : []);
    allowTableActions(this.messageFunction, counters, [...new Set([
      ...when(clientPublish || presence, ['UpdateItem']), ...when(presence, ['DeleteItem', 'Query']),
      ...when(history, ['GetItem', 'UpdateItem']), ...when(keepsClientMessages, ['PutItem']),
    ])]);
    allowTableActions(this.messageFunction, this.historyTable, when(history, ['Query', ...when(keepsClientMessages, ['PutItem'])]));
    if (posts) this.allowConnectionsApi(this.messageFunction, ['POST']);
    if (clientPublish) {
      this.allowQueueSends(this.messageFunction);
      this.eventBus.grantPutEventsTo(this.messageFunction);
    }

    // Fan-out reads are Queries; broadcast alone scans, and only when allowed. A 410 removes the connection.
    allowTableActions(this.deliverFunction, connections, ['DeleteItem', ...(allowBroadcast ? ['Scan'] : [])],
      [{ indexName: byUser, actions: ['Query'] }]);
    allowTableActions(this.deliverFunction, subscriptions, ['Query', 'BatchWriteItem', ...when(presence, ['DeleteItem'])], [byConnection]);
    allowTableActions(this.deliverFunction, counters, [...new Set([...forgetting.counters, ...when(history, keepingPositions)])]);
    allowTableActions(this.deliverFunction, this.historyTable, when(history, ['PutItem']));
    // Deliver re-queues shards and retries, and dead-letters what it gives up on, with a reason.
    this.allowQueueSends(this.deliverFunction);
    this.allowConnectionsApi(this.deliverFunction, ['POST']);
  }

  private allowQueueSends(fn: lambda.IFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [this.deliveryQueue.queueArn, this.deadLetterQueue.queueArn],
    }));
    this.deliveryQueue.encryptionMasterKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** `execute-api:ManageConnections` on this stage's @connections, for these methods only. */
  private allowConnectionsApi(fn: lambda.IFunction, methods: string[]): void {
    const arns = methods.map((method) => this.connectionsArn(method));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: arns }));
    this.connectionsGrants.push({ fn, arns });
  }

  /** `arn:…:execute-api:region:account:apiId/stage/METHOD/@connections/*` */
  private connectionsArn(method: string): string {
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      resourceName: `${this.stage.stageName}/${method}/@connections/*`,
    });
  }

  private observedMetrics(): ObservedMetrics {
    const fiveMinutes = Duration.minutes(5);
    const apiMetric = (name: string) => this.stage.metric(name, { statistic: cloudwatch.Stats.SUM, period: fiveMinutes });
    return {
      serviceName: this.serviceName,
      deadLetterMessages: this.metricDeadLetterMessages(),
      deliverErrors: this.deliverFunction.metricErrors({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes }),
      oldestMessageAge: this.deliveryQueue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM, period: fiveMinutes,
      }),
      queuedMessages: this.deliveryQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM, period: fiveMinutes,
      }),
      apiExecutionErrors: apiMetric('ExecutionError'),
      apiIntegrationErrors: apiMetric('IntegrationError'),
      connects: apiMetric('ConnectCount'),
      messages: apiMetric('MessageCount'),
      throttled: this.metricThrottled(),
      delivered: this.metricDelivered(),
      gone: this.metricGone(),
      failed: this.metricFailed(),
      rejected: this.metricRejected(),
      tooLarge: this.metricTooLarge(),
      fanoutDuration: this.metricFanoutDuration(),
    };
  }
}

/** Access log line: JSON, one per WebSocket request. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  error: '$context.error.message',
  integrationError: '$context.integration.error',
  authorizerError: '$context.authorizer.error',
  integrationLatency: '$context.integrationLatency',
};

function validateProps(p: RealtimeNotificationsProps): void {
  checkTopicPatterns('topicRules', p.topicRules ?? DEFAULTS.topicRules);
  checkTopicPatterns('publishRules', p.publishRules ?? []);
  checkTopicPatterns('presenceRules', p.presenceRules ?? []);
  checkTopicPatterns('historyRules', p.historyRules ?? []);
  (p.historyRules ?? []).forEach((pattern, i) => {
    if (pattern.split('/').includes('{userId}')) {
      throw invalidProp(`historyRules[${i}]`, `${JSON.stringify(pattern)} uses {userId}, but a topic's history is the same for everyone`,
        'Name the topics with * and **; user-targeted notifications are kept in each user\'s own stream (userHistory).');
    }
  });
  checkDuration('historyRetention', p.historyRetention, HISTORY_RANGES.historyRetentionSeconds.min, HISTORY_RANGES.historyRetentionSeconds.max);
  checkInteger('maxReplay', p.maxReplay, HISTORY_RANGES.maxReplay.min, HISTORY_RANGES.maxReplay.max);
  const R = CLIENT_MESSAGING_RANGES;
  checkInteger('maxClientMessagesPerSecond', p.maxClientMessagesPerSecond, R.maxClientMessagesPerSecond.min, R.maxClientMessagesPerSecond.max);
  if (p.maxClientMessageSize !== undefined && !Token.isUnresolved(p.maxClientMessageSize.toBytes())) {
    const bytes = p.maxClientMessageSize.toBytes();
    if (bytes < R.maxClientMessageDataBytes.min || bytes > R.maxClientMessageDataBytes.max) {
      throw invalidProp('maxClientMessageSize', `${bytes} bytes is outside 1 byte to 100 KiB`,
        'API Gateway frames carry at most 128 KB, envelope included: set it to at most Size.kibibytes(100).');
    }
  }
  checkInteger('maxConnectionsPerUser', p.maxConnectionsPerUser, R.maxConnectionsPerUser.min, R.maxConnectionsPerUser.max);
  checkInteger('maxPresenceMembers', p.maxPresenceMembers, R.maxPresenceMembers.min, R.maxPresenceMembers.max);
  checkPattern('clientMessageDetailType', p.clientMessageDetailType, /^[^\p{Cc}]{1,128}$/u, '1 to 128 characters without control characters');
  const detailType = p.detailType ?? DEFAULTS.detailType;
  const clientDetailType = p.clientMessageDetailType ?? DEFAULTS.clientMessageDetailType;
  if (!Token.isUnresolved(detailType) && detailType === clientDetailType) {
    throw invalidProp('clientMessageDetailType', `it equals detailType (${JSON.stringify(detailType)}), so every client message would be delivered a second time by the notification rule`,
      'Give client messages and notifications different detail types.');
  }
  checkPattern('stageName', p.stageName, /^[A-Za-z0-9_-]{1,128}$/, '1 to 128 letters, digits, "-" or "_"');
  checkPositive('throttlingRateLimit', p.throttlingRateLimit, 1_000_000);
  checkInteger('throttlingBurstLimit', p.throttlingBurstLimit, 1, 1_000_000);
  checkDuration('connectionTtl', p.connectionTtl, MAX_CONNECTION_SECONDS, 365 * 24 * 60 * 60,
    ': rows must outlive the connection, which API Gateway keeps open for up to 2 hours');
  checkInteger('maxSubscriptionsPerConnection', p.maxSubscriptionsPerConnection, 1, 1000);
  checkInteger('deliveryConcurrency', p.deliveryConcurrency, 1, 1000);
  checkInteger('fanoutShardThreshold', p.fanoutShardThreshold, 1, 10_000_000);
  checkInteger('fanoutShardSize', p.fanoutShardSize, 1, 5000);
  const threshold = p.fanoutShardThreshold ?? DEFAULTS.shardThreshold;
  const shardSize = p.fanoutShardSize ?? DEFAULTS.shardSize;
  if (!Token.isUnresolved(threshold) && !Token.isUnresolved(shardSize) && shardSize > threshold) {
    throw invalidProp('fanoutShardSize', `${shardSize} is larger than fanoutShardThreshold (${threshold}), so sharding would never split an audience`,
      'Set fanoutShardSize at most fanoutShardThreshold.');
  }
  checkInteger('maxDeliveryRatePerSecond', p.maxDeliveryRatePerSecond, 0, 100_000);
  if (p.maxDeliveryRatePerSecond !== undefined && Token.isUnresolved(p.maxDeliveryRatePerSecond)) {
    throw invalidProp('maxDeliveryRatePerSecond', 'it is a token, but it is split between deliver instances at synth time',
      'Give maxDeliveryRatePerSecond a number.');
  }
  if (p.maxDeliveryRatePerSecond) {
    if (p.deliverMaxConcurrency === undefined || Token.isUnresolved(p.deliverMaxConcurrency)) {
      throw invalidProp('maxDeliveryRatePerSecond', 'it caps the whole deployment, but without a known deliverMaxConcurrency any number of deliver instances may run at once',
        'Set deliverMaxConcurrency to a number too, so the cap can be split between at most that many instances.');
    }
    if (!Token.isUnresolved(p.maxDeliveryRatePerSecond) && p.maxDeliveryRatePerSecond < p.deliverMaxConcurrency) {
      throw invalidProp('maxDeliveryRatePerSecond', `${p.maxDeliveryRatePerSecond} is below deliverMaxConcurrency (${p.deliverMaxConcurrency}), so each instance's share would be under 1 post per second`,
        'Raise maxDeliveryRatePerSecond to at least deliverMaxConcurrency, or lower deliverMaxConcurrency.');
    }
  }
  checkInteger('maxDeliveryAttempts', p.maxDeliveryAttempts, 1, 10);
  checkInteger('batchSize', p.batchSize, 1, 10_000);
  checkDuration('maxBatchingWindow', p.maxBatchingWindow, 0, 300);
  const batchSize = p.batchSize ?? DEPLOYMENT_DEFAULTS.batchSize;
  if (!Token.isUnresolved(batchSize) && batchSize > 10
    && (p.maxBatchingWindow === undefined
      || (!Token.isUnresolved(p.maxBatchingWindow.toSeconds()) && p.maxBatchingWindow.toSeconds() < 1))) {
    throw invalidProp('batchSize', `${batchSize} is above 10 without a batching window`,
      'SQS event sources take more than 10 messages only with a window: set maxBatchingWindow to at least 1 second, or batchSize to at most 10.');
  }
  checkInteger('deliverMaxConcurrency', p.deliverMaxConcurrency, 2, 1000);
  checkDuration('deliverTimeout', p.deliverTimeout, 1, 900);
  if (p.deliverTimeout !== undefined && Token.isUnresolved(p.deliverTimeout.toSeconds())) {
    throw invalidProp('deliverTimeout', 'it is a token, but the queue\'s visibility timeout is derived from it at synth time',
      'Give deliverTimeout a concrete Duration such as Duration.seconds(60).');
  }
  checkInteger('maxReceiveCount', p.maxReceiveCount, 1, 1000);
  checkPattern('detailType', p.detailType, /^[^\p{Cc}]{1,128}$/u, '1 to 128 characters without control characters');
  checkInteger('memorySize', p.memorySize, 128, 10240);
  checkDuration('queueAgeAlarmThreshold', p.queueAgeAlarmThreshold, 60, 14 * 24 * 60 * 60);
  if (p.alarmTopic !== undefined && p.alarms === false) {
    throw invalidProp('alarmTopic', 'it is set while alarms is false, so nothing would ever notify it',
      'Remove alarmTopic, or leave alarms on.');
  }
  if (p.queueAgeAlarmThreshold !== undefined && p.alarms === false) {
    throw invalidProp('queueAgeAlarmThreshold', 'it is set while alarms is false',
      'Remove queueAgeAlarmThreshold, or leave alarms on.');
  }
}

function checkTopicPatterns(prop: string, patterns: string[]): void {
  patterns.forEach((pattern, i) => {
    if (Token.isUnresolved(pattern)) {
      throw invalidProp(`${prop}[${i}]`, 'it is a deploy-time token', 'Topic patterns must be literal strings known at synth.');
    }
    const problem = topicPatternProblem(pattern);
    if (problem !== undefined) {
      throw invalidProp(`${prop}[${i}]`, `${JSON.stringify(pattern)} ${problem}`,
        'Write /-separated segments; use * for one segment, ** (last segment only) for one or more, {userId} for the user\'s own id.');
    }
  });
}

/** Each deliver instance enforces its share of the deployment-wide rate cap (validated to be at least 1 post/s). */
function ratePerInstance(p: RealtimeNotificationsProps): number {
  const rate = p.maxDeliveryRatePerSecond ?? DEFAULTS.maxDeliveryRatePerSecond;
  if (!rate || p.deliverMaxConcurrency === undefined) return rate;
  return Math.floor(rate / p.deliverMaxConcurrency);
}
