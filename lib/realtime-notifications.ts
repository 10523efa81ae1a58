import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConnectionAuth } from './connection-auth';
import {
  ClientMessageOptions,
  ConnectionOptions,
  CustomDomainOptions,
  DeliveryOptions,
  HandlerFunctionOptions,
  HistoryOptions,
  MonitoringOptions,
} from './options';
import { ConnectionAuthConfig } from './private/connection-auth-config';
import { addCustomDomain, validateCustomDomain } from './private/custom-domain';
import { createHandlerFunction } from './private/handler-function';
import { allowCloudWatchLogs } from './private/log-encryption';
import { acknowledgeDesignFindings } from './private/nag-acknowledgements';
import { DefaultAlarms, ObservedMetrics, createDashboard, createDefaultAlarms } from './private/observability';
import { ratePerInstance, settingValue, validateProps } from './private/props-validation';
import {
  AUTHORIZER_IDENTITY_SOURCES,
  AuthSettings,
  CONNECTIONS_TABLE,
  COUNTERS_TABLE,
  HISTORY_TABLE,
  MESSAGE_ROUTES,
  METRICS_NAMESPACE,
  METRICS_SERVICE_DIMENSION,
  MetricNames,
  RuntimeSettings,
  SETTINGS,
  SUBSCRIPTIONS_TABLE,
  Tables,
  VISIBILITY_TIMEOUT_FACTOR,
  misaddressedEventPattern,
  notificationEventPattern,
} from './private/runtime-contract';
import { allowTableActions, createTable } from './private/tables';

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
   * Delivery tuning: the deliver function, its queue, its event source and its fan-out.
   *
   * @default - see each option of `DeliveryOptions`
   */
  readonly delivery?: DeliveryOptions;

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
  /**
   * Fires when the dead-letter queue holds messages.
   *
   * @default - none when `monitoring.alarms` is false
   */
  public readonly deadLetterQueueAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the deliver function fails.
   *
   * @default - none when `monitoring.alarms` is false
   */
  public readonly deliverErrorsAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the oldest queued notification is older than `monitoring.queueAgeAlarmThreshold`.
   *
   * @default - none when `monitoring.alarms` is false
   */
  public readonly queueAgeAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the WebSocket API fails to run its integrations.
   *
   * @default - none when `monitoring.alarms` is false
   */
  public readonly apiErrorsAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the management API throttles deliveries for 15 minutes.
   *
   * @default - none when `monitoring.alarms` is false
   */
  public readonly throttlingAlarm?: cloudwatch.Alarm;
  /**
   * The dashboard.
   *
   * @default - none unless `monitoring.dashboard` is true
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
    validateProps(props);
    validateCustomDomain(this, props.customDomain);
    const auth = props.auth._bind();
    this.serviceName = Names.uniqueId(this);

    ({ connections: this.connectionsTable, subscriptions: this.subscriptionsTable, counters: this.countersTable,
      history: this.historyTable } = this.createTables(props));
    ({ deadLetters: this.deadLetterQueue, deliveries: this.deliveryQueue } = this.createQueues(props));
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');
    this.notificationRule = this.createRules(props);

    ({ webSocketApi: this.webSocketApi, accessLogGroup: this.accessLogGroup, stage: this.stage,
      domainName: this.domainName, webSocketUrl: this.webSocketUrl } = this.createApi(props));
    this.callbackUrl = this.stage.callbackUrl;

    const settings = this.runtimeSettings(props, auth);
    ({ connect: this.connectFunction, disconnect: this.disconnectFunction, message: this.messageFunction,
      deliver: this.deliverFunction, authorizer: this.authorizerFunction } = this.createFunctions(props, settings, auth));
    this.addRoutes();
    this.grantHandlerPermissions(settings);
    this.addDeliveryEventSource(props);

    const alarms = this.createAlarms(props);
    ({ deadLetterQueue: this.deadLetterQueueAlarm, deliverErrors: this.deliverErrorsAlarm, queueAge: this.queueAgeAlarm,
      apiErrors: this.apiErrorsAlarm, throttling: this.throttlingAlarm } = alarms ?? {});
    if (settingValue(props, 'dashboard')) {
      this.dashboard = createDashboard(this, this.observedMetrics(), alarms ? Object.values(alarms) : []);
    }
    this.acknowledgeNagFindings(auth);
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
   * Client messages refused because their sender was over `clientMessages.maxPerSecond`.
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

  /** DynamoDB tables, each defined by the runtime contract. */
  private createTables(props: RealtimeNotificationsProps) {
    const table = (id: string, definition: typeof CONNECTIONS_TABLE) => createTable(this, id, {
      definition, removalPolicy: removalPolicyOf(props), encryptionKey: props.encryptionKey,
    });
    return {
      connections: table('ConnectionsTable', CONNECTIONS_TABLE),
      subscriptions: table('SubscriptionsTable', SUBSCRIPTIONS_TABLE),
      counters: table('CountersTable', COUNTERS_TABLE),
      history: table('HistoryTable', HISTORY_TABLE),
    };
  }

  /** The delivery queue and its dead-letter queue. */
  private createQueues(props: RealtimeNotificationsProps) {
    const queueEncryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    const deadLetters = new sqs.Queue(this, 'DeadLetterQueue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const deliveries = new sqs.Queue(this, 'DeliveryQueue', {
      ...queueEncryption,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(settingValue(props, 'deliverTimeoutSeconds') * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: settingValue(props, 'maxReceiveCount') },
    });
    return { deadLetters, deliveries };
  }

  /** The rule(s) that put events of the bus on the delivery queue, and the queue policies that admit only them. */
  private createRules(props: RealtimeNotificationsProps): events.Rule {
    const detailType = settingValue(props, 'detailType');
    const clientMessageDetailType = settingValue(props, 'clientMessageDetailType');
    const notificationRule = new events.Rule(this, 'NotificationRule', {
      description: `Sends ${detailType} events to the delivery queue of ${this.serviceName}`,
      eventBus: this.eventBus,
      eventPattern: { detailType: notificationEventPattern(detailType, settingValue(props, 'userHistory'))['detail-type'] },
    });
    const rules = [notificationRule];
    if (props.eventBus === undefined) {
      // The bus is this construct's alone: an event of another detail type is a publisher's
      // mistake, which deliver dead-letters with its reason rather than it being dropped unseen.
      rules.push(new events.Rule(this, 'MisaddressedEventRule', {
        description: `Sends events that are neither ${detailType} nor ${clientMessageDetailType} to the delivery queue of ${this.serviceName}, to be dead-lettered with reason WRONG_DETAIL_TYPE`,
        eventBus: this.eventBus,
        // Match.anyOf takes the contract's matchers (here one anything-but) as they are.
        eventPattern: { detailType: events.Match.anyOf(...misaddressedEventPattern(detailType, clientMessageDetailType, settingValue(props, 'userHistory'))['detail-type']) },
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
    return notificationRule;
  }

  /** The WebSocket API, its stage with access logs, and the custom domain; routes are added once the functions exist. */
  private createApi(props: RealtimeNotificationsProps) {
    const webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      description: `Realtime notifications (${this.serviceName})`,
      routeSelectionExpression: '$request.body.action',
    });
    if (props.encryptionKey) allowCloudWatchLogs(this, props.encryptionKey);
    const accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetentionOf(props), removalPolicy: removalPolicyOf(props), encryptionKey: props.encryptionKey,
    });
    const stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi,
      stageName: settingValue(props, 'stageName'),
      autoDeploy: true,
      throttle: {
        rateLimit: settingValue(props, 'throttleRateLimit'),
        burstLimit: settingValue(props, 'throttleBurstLimit'),
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const customDomain = props.customDomain ? addCustomDomain(this, stage, props.customDomain) : undefined;
    return { webSocketApi, accessLogGroup, stage, domainName: customDomain?.domainName, webSocketUrl: customDomain?.url ?? stage.url };
  }

  /** What every handler is configured with: one set of runtime settings, from the props and the resources. */
  private runtimeSettings(props: RealtimeNotificationsProps, auth: ConnectionAuthConfig): RuntimeSettings {
    const setting = <K extends Parameters<typeof settingValue>[1]>(name: K) => settingValue(props, name);
    return {
      serviceName: this.serviceName,
      connectionsTable: this.connectionsTable.tableName,
      subscriptionsTable: this.subscriptionsTable.tableName,
      countersTable: this.countersTable.tableName,
      historyTable: this.historyTable.tableName,
      callbackUrl: this.callbackUrl,
      queueUrl: this.deliveryQueue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      detailType: setting('detailType'),
      connectionTtlSeconds: setting('connectionTtlSeconds'),
      maxSubscriptionsPerConnection: setting('maxSubscriptionsPerConnection'),
      topicRules: setting('topicRules'),
      publishRules: setting('publishRules'),
      presenceRules: setting('presenceRules'),
      maxClientMessagesPerSecond: setting('maxClientMessagesPerSecond'),
      maxClientMessageDataBytes: setting('maxClientMessageDataBytes'),
      maxConnectionsPerUser: setting('maxConnectionsPerUser'),
      maxPresenceMembers: setting('maxPresenceMembers'),
      eventBusName: this.eventBus.eventBusName,
      clientMessageDetailType: setting('clientMessageDetailType'),
      historyRules: setting('historyRules'),
      userHistory: setting('userHistory'),
      historyRetentionSeconds: setting('historyRetentionSeconds'),
      userStreamRetentionSeconds: setting('userStreamRetentionSeconds'),
      maxReplay: setting('maxReplay'),
      allowBroadcast: setting('allowBroadcast'),
      deliveryConcurrency: setting('deliveryConcurrency'),
      shardThreshold: setting('shardThreshold'),
      shardSize: setting('shardSize'),
      maxDeliveryRatePerSecond: ratePerInstance(props),
      maxDeliveryAttempts: setting('maxDeliveryAttempts'),
      maxReceiveCount: setting('maxReceiveCount'),
      auth: auth.authorizerSettings ?? { mode: auth.unauthenticated ? 'none' : 'lambda' } satisfies AuthSettings,
    };
  }

  /** The handler functions, and the authorizer: the bundled one for cognito/jwt, the user's own for lambda. */
  private createFunctions(props: RealtimeNotificationsProps, settings: RuntimeSettings, auth: ConnectionAuthConfig) {
    const routeTimeout = Duration.seconds(SETTINGS.routeFunctionTimeoutSeconds.default);
    const common = {
      settings,
      memorySize: settingValue(props, 'memorySize'),
      architecture: props.functions?.architecture ?? lambda.Architecture.ARM_64,
      logRetention: logRetentionOf(props),
      logRemovalPolicy: removalPolicyOf(props),
      logEncryptionKey: props.encryptionKey,
    };
    const functions = {
      connect: createHandlerFunction(this, 'ConnectFunction', {
        ...common, name: 'connect', timeout: routeTimeout, description: 'Records new WebSocket connections',
      }),
      disconnect: createHandlerFunction(this, 'DisconnectFunction', {
        ...common, name: 'disconnect', timeout: routeTimeout, description: 'Removes closed connections and their subscriptions',
      }),
      message: createHandlerFunction(this, 'MessageFunction', {
        ...common, name: 'message', timeout: routeTimeout, description: 'Answers client frames and delivers client messages',
      }),
      deliver: createHandlerFunction(this, 'DeliverFunction', {
        ...common, name: 'deliver', timeout: Duration.seconds(settingValue(props, 'deliverTimeoutSeconds')),
        description: 'Delivers queued notifications to their connections',
      }),
      authorizer: auth.authorizerSettings
        ? createHandlerFunction(this, 'AuthorizerFunction', {
          ...common, name: 'authorizer', timeout: routeTimeout, description: 'Verifies the token of new WebSocket connections',
        })
        : auth.userAuthorizer,
    };
    if (auth.unauthenticated) {
      Annotations.of(this).addWarningV2('cdk-realtime-notifications:unauthenticated',
        'ConnectionAuth.none(): anyone who knows the URL can connect and subscribe. Use it for demos only; '
        + 'choose ConnectionAuth.cognito(), jwt() or lambda() for anything else.');
    }
    return functions;
  }

  /** The delivery queue invokes deliver, which reports the records it failed. */
  private addDeliveryEventSource(props: RealtimeNotificationsProps): void {
    this.deliverFunction.addEventSource(new SqsEventSource(this.deliveryQueue, {
      batchSize: settingValue(props, 'batchSize'),
      maxBatchingWindow: props.delivery?.maxBatchingWindow,
      maxConcurrency: props.delivery?.maxConcurrency,
      reportBatchItemFailures: true,
    }));
  }

  /** The default alarms, unless turned off. */
  private createAlarms(props: RealtimeNotificationsProps): DefaultAlarms | undefined {
    if (!settingValue(props, 'alarms')) return undefined;
    return createDefaultAlarms(this, this.observedMetrics(),
      Duration.seconds(settingValue(props, 'queueAgeAlarmThresholdSeconds')), props.monitoring?.alarmTopic);
  }

  /** The cdk-nag findings this design accepts, each with its reason. */
  private acknowledgeNagFindings(auth: ConnectionAuthConfig): void {
    acknowledgeDesignFindings({
      webSocketApi: this.webSocketApi,
      authorizedRouteKeys: ['$disconnect', ...MESSAGE_ROUTES],
      connectionsGrants: this.connectionsGrants,
      bundledFunctions: [this.connectFunction, this.disconnectFunction, this.messageFunction, this.deliverFunction,
        ...(auth.authorizerSettings ? [this.authorizerFunction as lambda.Function] : [])],
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
  private grantHandlerPermissions(settings: RuntimeSettings): void {
    const allowBroadcast = settings.allowBroadcast;
    const presence = settings.presenceRules.length > 0;
    const clientPublish = settings.publishRules.length > 0;
    const topicHistory = settings.historyRules.length > 0;
    const history = topicHistory || settings.userHistory;
    const connections = this.connectionsTable;
    const subscriptions = this.subscriptionsTable;
    const counters = this.countersTable;
    const byUser = Tables.connections.byUserIndex;
    const byConnection = { indexName: Tables.subscriptions.byConnectionIndex, actions: ['Query'] };
    const when = (on: boolean, actions: string[]) => (on ? actions : []);
    // Forgetting a connection removes its row and its place among its user's connections (an
    // UpdateItem of the user's set), then its subscriptions found through the byConnection index;
    // with presence, those on presence topics one by one, counting the user down there and
    // announcing a leave to the topic (a Query of its subscribers and posts to them), then reading
    // the count again in case a join raced the leave.
    const forgetting = {
      connections: ['DeleteItem'],
      subscriptions: ['BatchWriteItem', ...when(presence, ['DeleteItem', 'Query'])],
      counters: ['UpdateItem', ...when(presence, ['DeleteItem', 'GetItem'])],
    };

    // $connect records the connection and takes a place in its user's set (a conditional
    // UpdateItem); when the set is full it reads it, asks API Gateway which are still open, and
    // forgets the others.
    allowTableActions(this.connectFunction, connections, ['PutItem', ...forgetting.connections]);
    allowTableActions(this.connectFunction, subscriptions, forgetting.subscriptions, [byConnection]);
    allowTableActions(this.connectFunction, counters, [...new Set(['GetItem', ...forgetting.counters])]);
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
    // The inbox (user streams kept): a mark-read reads the ids' claims (BatchGetItem) and writes the
    // user's read state on the stream's head (a conditional UpdateItem), reads the head and the oldest kept
    // notifications (expiry), posts the count to the user's other connections (byUser index) and
    // puts a NotificationsRead event on the bus. Deliver does the same for backends' MarkRead events,
    // and after a user's notification reads the read state and posts the count.
    const inbox = settings.userHistory;
    const fansOut = clientPublish || presence;
    const keepsClientMessages = clientPublish && topicHistory;
    const keepingPositions = ['GetItem', 'PutItem', 'UpdateItem'];
    allowTableActions(this.messageFunction, connections, ['GetItem', 'UpdateItem', ...when(fansOut, forgetting.connections)],
      inbox ? [{ indexName: byUser, actions: ['Query'] }] : []);
    allowTableActions(this.messageFunction, subscriptions,
      ['GetItem', 'PutItem', 'DeleteItem', ...when(fansOut, ['Query', 'BatchWriteItem'])], fansOut ? [byConnection] : []);
    allowTableActions(this.messageFunction, counters, [...new Set([
      ...when(clientPublish || presence, ['UpdateItem']), ...when(presence, ['DeleteItem', 'GetItem', 'Query']),
      ...when(history, ['GetItem', 'UpdateItem']), ...when(keepsClientMessages, ['PutItem']), ...when(inbox, ['BatchGetItem']),
    ])]);
    allowTableActions(this.messageFunction, this.historyTable, when(history, ['Query', ...when(keepsClientMessages, ['PutItem'])]));
    // A connection that lost its row is told so and closed (DELETE), so its client reconnects.
    this.allowConnectionsApi(this.messageFunction, ['POST', 'DELETE']);
    if (clientPublish) this.allowQueueSends(this.messageFunction);
    if (clientPublish || inbox) this.eventBus.grantPutEventsTo(this.messageFunction);

    // Fan-out reads are Queries; broadcast alone scans, and only when allowed. A 410 removes the connection.
    allowTableActions(this.deliverFunction, connections, ['DeleteItem', ...(allowBroadcast ? ['Scan'] : [])],
      [{ indexName: byUser, actions: ['Query'] }]);
    allowTableActions(this.deliverFunction, subscriptions, ['Query', 'BatchWriteItem', ...when(presence, ['DeleteItem'])], [byConnection]);
    allowTableActions(this.deliverFunction, counters, [...new Set([...forgetting.counters, ...when(history, keepingPositions), ...when(inbox, ['BatchGetItem'])])]);
    allowTableActions(this.deliverFunction, this.historyTable, [...when(history, ['PutItem']), ...when(inbox, ['Query'])]);
    if (inbox) this.eventBus.grantPutEventsTo(this.deliverFunction);
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

function removalPolicyOf(props: RealtimeNotificationsProps): RemovalPolicy {
  return props.removalPolicy ?? RemovalPolicy.RETAIN;
}

function logRetentionOf(props: RealtimeNotificationsProps): logs.RetentionDays {
  return settingValue(props, 'logRetentionDays') as logs.RetentionDays;
}
