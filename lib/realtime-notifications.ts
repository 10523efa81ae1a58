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
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RealtimeNotificationsProps } from './options';
import { ConnectionAuthConfig } from './private/connection-auth-config';
import { addCustomDomain, validateCustomDomain } from './private/custom-domain';
import { createHandlerFunction } from './private/handler-function';
import { allowCloudWatchLogs } from './private/log-encryption';
import { acknowledgeDesignFindings } from './private/nag-acknowledgements';
import { DefaultAlarms, ObservedMetrics, createDashboard, createDefaultAlarms } from './private/observability';
import { endpointsOf, HandlerPermissions, HANDLERS, mobilePushApps, RuntimeSettings, TableRole } from './private/handlers';
import { resolveSettings, validateProps } from './private/props-validation';
import { ResolvedSettings } from './private/settings';
import {
  AUTHORIZER_IDENTITY_SOURCES,
  AuthSettings,
  CONNECTIONS_TABLE,
  COUNTERS_TABLE,
  DELIVERY_PAYLOAD_PREFIX,
  HISTORY_TABLE,
  METRICS_NAMESPACE,
  METRICS_SERVICE_DIMENSION,
  MetricNames,
  ROUTE_FUNCTION_TIMEOUT_SECONDS,
  SUBSCRIPTIONS_TABLE,
  VISIBILITY_TIMEOUT_FACTOR,
  misaddressedEventPattern,
  notificationEventPattern,
  PAYLOAD_PREFIX,
} from './private/runtime-contract';
import { allowTableActions, createTable } from './private/tables';
import { createPayloadBucket } from './private/payload-bucket';

/** Dead letters are kept as long as SQS allows; the payloads they refer to outlive them, so a redrive finds them. */
const DEAD_LETTER_RETENTION = Duration.days(14);

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
  /**
   * Payloads too large for a frame, under `payloads/`: delivery's own, and those backends put
   * (`grantPutPayload`) and publish by reference. Clients fetch them through presigned URLs.
   * Objects expire a day after the longest history retention.
   */
  public readonly payloadBucket: s3.Bucket;
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

  /** Every setting, resolved from the props once. */
  private readonly settings: ResolvedSettings;

  /** The @connections grants made to the functions, for the cdk-nag acknowledgements. */
  private readonly connectionsGrants: Array<{ fn: lambda.IFunction; arns: string[] }> = [];
  /** The payload bucket grants made to the functions, for the cdk-nag acknowledgements. */
  private readonly payloadGrants: Array<{ fn: lambda.IFunction; arns: string[] }> = [];
  private readonly mobilePushGrants: Array<{ fn: lambda.IFunction; arns: string[] }> = [];

  constructor(scope: Construct, id: string, props: RealtimeNotificationsProps) {
    super(scope, id);
    validateProps(props);
    this.settings = resolveSettings(props);
    validateCustomDomain(this, props.customDomain);
    const auth = props.auth._bind();
    this.serviceName = Names.uniqueId(this);

    ({ connections: this.connectionsTable, subscriptions: this.subscriptionsTable, counters: this.countersTable,
      history: this.historyTable } = this.createTables(props));
    ({ deadLetters: this.deadLetterQueue, deliveries: this.deliveryQueue } = this.createQueues(props));
    this.payloadBucket = createPayloadBucket(this, 'PayloadBucket', {
      encryptionKey: props.encryptionKey, removalPolicy: removalPolicyOf(props), expiresAfterSeconds: Math.max(this.longestRetentionSeconds(), DEAD_LETTER_RETENTION.toSeconds()),
    });
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');
    this.notificationRule = this.createRules(props);

    ({ webSocketApi: this.webSocketApi, accessLogGroup: this.accessLogGroup, stage: this.stage,
      domainName: this.domainName, webSocketUrl: this.webSocketUrl } = this.createApi(props));
    this.callbackUrl = this.stage.callbackUrl;

    const settings = this.runtimeSettings(auth);
    ({ connect: this.connectFunction, disconnect: this.disconnectFunction, message: this.messageFunction,
      deliver: this.deliverFunction, authorizer: this.authorizerFunction } = this.createFunctions(props, settings, auth));
    this.addRoutes();
    this.grantHandlerPermissions(settings, props.push?.vapidKeys);
    this.addDeliveryEventSource(props);

    const alarms = this.createAlarms(props);
    ({ deadLetterQueue: this.deadLetterQueueAlarm, deliverErrors: this.deliverErrorsAlarm, queueAge: this.queueAgeAlarm,
      apiErrors: this.apiErrorsAlarm, throttling: this.throttlingAlarm } = alarms ?? {});
    if (this.settings['monitoring.dashboard']) {
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
   * Allows `grantee` to put payloads too large for an event in the payload bucket, to publish by
   * reference (`{"payload": {"key", "size", "sha256"}}`): `s3:PutObject` on keys under `payloads/`
   * only, except `payloads/n/`, where delivery stores its own, and `kms:GenerateDataKey` on the
   * `encryptionKey` when there is one.
   */
  public grantPutPayload(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.payloadBucket.arnForObjects(`${PAYLOAD_PREFIX}*`)] });
    // A backend that overwrote one of delivery's objects would have clients refuse it (its SHA-256): denied outright.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY, actions: ['s3:PutObject'], resources: [this.payloadBucket.arnForObjects(`${DELIVERY_PAYLOAD_PREFIX}*`)],
    }));
    this.payloadBucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey');
    return grant;
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
   * Notifications refused for their size: a `data` over `payloads.maxObjectSize` (frames over
   * 128 KB within it are sent by reference), or a frame API Gateway refused.
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
   * Web Push messages a push service accepted (`push`).
   *
   * @default - sum over 5 minutes
   */
  public metricPushSent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.pushSent, props);
  }

  /**
   * Pushes given up on (refused for good, or still failing after `delivery.maxAttempts`) and
   * sent to the DLQ with reason PUSH_UNDELIVERED.
   *
   * @default - sum over 5 minutes
   */
  public metricPushFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.pushFailed, props);
  }

  /**
   * Push devices removed because their push service said they are gone (404/410).
   *
   * @default - sum over 5 minutes
   */
  public metricPushDevicesRemoved(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricNames.pushDevicesRemoved, props);
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
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    const deliveries = new sqs.Queue(this, 'DeliveryQueue', {
      ...queueEncryption,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(this.settings['delivery.timeout'] * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: this.settings['delivery.maxReceiveCount'] },
    });
    return { deadLetters, deliveries };
  }

  /** The rule(s) that put events of the bus on the delivery queue, and the queue policies that admit only them. */
  private createRules(props: RealtimeNotificationsProps): events.Rule {
    const detailType = this.settings.detailType;
    const clientMessageDetailType = this.settings['clientMessages.detailType'];
    const notificationRule = new events.Rule(this, 'NotificationRule', {
      description: `Sends ${detailType} events to the delivery queue of ${this.serviceName}`,
      eventBus: this.eventBus,
      eventPattern: { detailType: notificationEventPattern(detailType, this.settings['history.userStreams'], mobilePushApps(this.settings).length > 0)['detail-type'] },
    });
    const rules = [notificationRule];
    if (props.eventBus === undefined) {
      // The bus is this construct's alone: an event of another detail type is a publisher's
      // mistake, which deliver dead-letters with its reason rather than it being dropped unseen.
      rules.push(new events.Rule(this, 'MisaddressedEventRule', {
        description: `Sends events that are neither ${detailType} nor ${clientMessageDetailType} to the delivery queue of ${this.serviceName}, to be dead-lettered with reason WRONG_DETAIL_TYPE`,
        eventBus: this.eventBus,
        // Match.anyOf takes the contract's matchers (here one anything-but) as they are.
        eventPattern: { detailType: events.Match.anyOf(...misaddressedEventPattern(detailType, clientMessageDetailType, this.settings['history.userStreams'], mobilePushApps(this.settings).length > 0)['detail-type']) },
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
      retention: this.settings['monitoring.logRetention'] as logs.RetentionDays, removalPolicy: removalPolicyOf(props), encryptionKey: props.encryptionKey,
    });
    const stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi,
      stageName: this.settings.stageName,
      autoDeploy: true,
      throttle: {
        rateLimit: this.settings['throttle.rateLimit'],
        burstLimit: this.settings['throttle.burstLimit'],
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const customDomain = props.customDomain ? addCustomDomain(this, stage, props.customDomain) : undefined;
    return { webSocketApi, accessLogGroup, stage, domainName: customDomain?.domainName, webSocketUrl: customDomain?.url ?? stage.url };
  }

  /** What every handler is configured with: where the resources are, and every setting. */
  private runtimeSettings(auth: ConnectionAuthConfig): RuntimeSettings {
    return {
      ...this.settings,
      serviceName: this.serviceName,
      connectionsTable: this.connectionsTable.tableName,
      subscriptionsTable: this.subscriptionsTable.tableName,
      countersTable: this.countersTable.tableName,
      historyTable: this.historyTable.tableName,
      callbackUrl: this.callbackUrl,
      queueUrl: this.deliveryQueue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      eventBusName: this.eventBus.eventBusName,
      payloadBucket: this.payloadBucket.bucketName,
      auth: auth.authorizerSettings ?? { mode: auth.unauthenticated ? 'none' : 'lambda' } satisfies AuthSettings,
    };
  }

  /** The handler functions, and the authorizer: the bundled one for cognito/jwt, the user's own for lambda. */
  private createFunctions(props: RealtimeNotificationsProps, settings: RuntimeSettings, auth: ConnectionAuthConfig) {
    const routeTimeout = Duration.seconds(ROUTE_FUNCTION_TIMEOUT_SECONDS);
    const common = {
      settings,
      memorySize: this.settings['functions.memorySize'],
      architecture: props.functions?.architecture ?? lambda.Architecture.ARM_64,
      logRetention: this.settings['monitoring.logRetention'] as logs.RetentionDays,
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
        ...common, name: 'deliver', timeout: Duration.seconds(this.settings['delivery.timeout']),
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
      batchSize: this.settings['delivery.batchSize'],
      maxBatchingWindow: props.delivery?.maxBatchingWindow,
      maxConcurrency: props.delivery?.maxConcurrency,
      reportBatchItemFailures: true,
    }));
  }

  /** The default alarms, unless turned off. */
  private createAlarms(props: RealtimeNotificationsProps): DefaultAlarms | undefined {
    if (!this.settings['monitoring.alarms']) return undefined;
    return createDefaultAlarms(this, this.observedMetrics(),
      Duration.seconds(this.settings['monitoring.queueAgeAlarmThreshold']), props.monitoring?.alarmTopic);
  }

  /** The cdk-nag findings this design accepts, each with its reason. */
  private acknowledgeNagFindings(auth: ConnectionAuthConfig): void {
    acknowledgeDesignFindings({
      webSocketApi: this.webSocketApi,
      authorizedRouteKeys: [...HANDLERS.disconnect.routes, ...HANDLERS.message.routes],
      connectionsGrants: this.connectionsGrants,
      payloadGrants: this.payloadGrants,
      payloadBucket: this.payloadBucket,
      mobilePushGrants: this.mobilePushGrants,
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
    const functions = { connect: this.connectFunction, disconnect: this.disconnectFunction, message: this.messageFunction };
    for (const [name, fn] of Object.entries(functions) as Array<[keyof typeof functions, lambda.IFunction]>) {
      for (const routeKey of HANDLERS[name].routes) {
        const id = routeKey.replace(/^\$/, '');
        this.webSocketApi.addRoute(routeKey, {
          integration: integration(`${id[0].toUpperCase()}${id.slice(1)}Integration`, fn),
          authorizer: routeKey === '$connect' ? authorizer : undefined,
          returnResponse: HANDLERS[name].answers,
        });
      }
    }
  }

  /**
   * Least privilege: each function gets exactly the actions its handler performs
   * (lib/private/handlers.ts), and the presence and client-publishing actions only when those are
   * turned on.
   */
  private grantHandlerPermissions(settings: RuntimeSettings, vapidKeys: secretsmanager.ISecret | undefined): void {
    const tables: Record<TableRole, dynamodb.Table> = {
      connections: this.connectionsTable, subscriptions: this.subscriptionsTable, counters: this.countersTable, history: this.historyTable,
    };
    const functions = { connect: this.connectFunction, disconnect: this.disconnectFunction, message: this.messageFunction, deliver: this.deliverFunction };
    for (const [name, fn] of Object.entries(functions) as Array<[keyof typeof functions, lambda.IFunction]>) {
      const allowed = HANDLERS[name].permissions(settings);
      for (const [role, grant] of Object.entries(allowed.tables) as Array<[TableRole, NonNullable<typeof allowed.tables[TableRole]>]>) {
        allowTableActions(fn, tables[role], [...grant.actions],
          Object.entries(grant.indexes ?? {}).map(([indexName, actions]) => ({ indexName, actions: [...actions] })));
      }
      if (allowed.connections.length > 0) this.allowConnectionsApi(fn, [...allowed.connections]);
      if (allowed.queueSends && allowed.queueSends.length > 0) this.allowQueueSends(fn, allowed.queueSends);
      if (allowed.putEvents) this.eventBus.grantPutEventsTo(fn);
      // GetSecretValue and DescribeSecret on this one secret, and Decrypt with its key when it has one.
      if (allowed.readsVapidKeys) vapidKeys!.grantRead(fn);
      if (allowed.payloads !== undefined && allowed.payloads.length > 0) this.allowPayloadObjects(fn, allowed.payloads);
      if (allowed.mobilePush) this.allowMobilePush(fn, allowed.mobilePush, mobilePushApps(settings));
    }
  }

  /** SNS on the configured platform applications and their endpoints, nothing else. */
  private allowMobilePush(fn: lambda.IFunction, allowed: NonNullable<HandlerPermissions['mobilePush']>, apps: string[]): void {
    if (allowed.createEndpoints) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: apps }));
    const onEndpoints = [...(allowed.publish ? ['sns:Publish'] : []), ...(allowed.deleteEndpoints ? ['sns:DeleteEndpoint'] : [])];
    if (onEndpoints.length === 0) return;
    const endpoints = apps.map(endpointsOf);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: onEndpoints, resources: endpoints }));
    this.mobilePushGrants.push({ fn, arns: endpoints });
  }

  /** The actions on the payload bucket's objects under `payloads/`, and the key's use they need. */
  private allowPayloadObjects(fn: lambda.IFunction, actions: readonly ('GetObject' | 'PutObject')[]): void {
    const objects = this.payloadBucket.arnForObjects(`${PAYLOAD_PREFIX}*`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: actions.map((action) => `s3:${action}`), resources: [objects] }));
    this.payloadBucket.encryptionKey?.grant(fn, ...actions.map((action) => (action === 'GetObject' ? 'kms:Decrypt' : 'kms:GenerateDataKey')));
    this.payloadGrants.push({ fn, arns: [objects] });
  }

  /** The longest any stream is kept: payload objects its history refers to must outlive it (and the dead letters, above). */
  private longestRetentionSeconds(): number {
    return Math.max(this.settings['history.retention'], this.settings['history.userStreams'] ? this.settings['history.userStreamRetention'] : 0);
  }

  private allowQueueSends(fn: lambda.IFunction, queues: readonly ('delivery' | 'deadLetters')[]): void {
    const arns = { delivery: this.deliveryQueue.queueArn, deadLetters: this.deadLetterQueue.queueArn };
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: queues.map((queue) => arns[queue]),
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

