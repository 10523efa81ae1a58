import { Match, Template } from 'aws-cdk-lib/assertions';
import { Duration, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RealtimeNotifications } from '../../lib';
import { RuntimeSettings, handlerEnvironment } from '../../lib/private/handlers';
import { defaultSettings, SETTINGS } from '../../lib/private/settings';
import { CONNECTIONS_TABLE, COUNTERS_TABLE, HISTORY_TABLE, HANDLER_NAMES, HandlerName, SUBSCRIPTIONS_TABLE, TableDefinition, misaddressedEventPattern, notificationEventPattern } from '../../lib/private/runtime-contract';
import {
  allStatements,
  environmentOf,
  flatten,
  functionNamed,
  functionStatements,
  grantsOf,
  resourceNamed,
  synth,
  TEST_AUTH,
} from './synth';

const { template, notifications, stack } = synth();
const resources = template.toJSON().Resources as Record<string, any>;
const apiId = resourceNamed(template, 'AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi').id;
const ARN_PREFIX = 'arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>';

test('snapshot (asset hashes normalised)', () => {
  const json = JSON.stringify(template.toJSON(), null, 2).replace(/[0-9a-f]{64}/g, '<asset-hash>');
  expect(JSON.parse(json)).toMatchSnapshot();
});

describe('WebSocket API', () => {
  test('selects routes by $request.body.action', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  test('has exactly the sixteen routes, only $connect behind the authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort())
      .toEqual(['$connect', '$default', '$disconnect', 'history', 'inbox', 'markRead', 'ping', 'presence', 'publish', 'pushDevices', 'reauth', 'registerPush', 'resume', 'subscribe',
        'unregisterPush', 'unsubscribe']);
    const authorizerId = resourceNamed(template, 'AWS::ApiGatewayV2::Authorizer', 'NotificationsWebSocketApiConnectAuthorizer').id;
    for (const route of routes) {
      if (route.RouteKey === '$connect') {
        expect(route.AuthorizationType).toBe('CUSTOM');
        expect(route.AuthorizerId).toEqual({ Ref: authorizerId });
      } else {
        expect(route.AuthorizationType).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
    }
  });

  test('the authorizer is a REQUEST authorizer with no identity source, running the bundled authorizer', () => {
    const authorizer = resourceNamed(template, 'AWS::ApiGatewayV2::Authorizer', 'NotificationsWebSocketApiConnectAuthorizer').resource;
    expect(authorizer.Properties!.AuthorizerType).toBe('REQUEST');
    // The token comes in the query string or in a subprotocol; API Gateway would require every listed source.
    expect(authorizer.Properties!.IdentitySource).toEqual([]);
    const authorizerFn = functionNamed(template, 'Authorizer').id;
    expect(flatten(authorizer.Properties!.AuthorizerUri)).toContain(`<${authorizerFn}.Arn>`);
  });

  test('subscribe, unsubscribe, publish, presence, resume, history, markRead, inbox, the push devices\' actions, reauth, ping and $default answer (two-way) through the one message function', () => {
    const messageFn = functionNamed(template, 'Message').id;
    const routes = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'));
    const twoWay = ['subscribe', 'unsubscribe', 'publish', 'presence', 'resume', 'history', 'markRead', 'inbox', 'registerPush', 'unregisterPush', 'pushDevices', 'reauth', 'ping', '$default'];
    for (const routeKey of twoWay) {
      const [routeId, route] = routes.find(([, r]) => r.Properties.RouteKey === routeKey)!;
      expect(route.Properties.RouteResponseSelectionExpression).toBe('$default');
      template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
        RouteId: { Ref: routeId }, RouteResponseKey: '$default',
      });
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      expect(flatten(resources[integrationId].Properties.IntegrationUri)).toContain(`<${messageFn}.Arn>`);
    }
    for (const routeKey of ['$connect', '$disconnect']) {
      const [, route] = routes.find(([, r]) => r.Properties.RouteKey === routeKey)!;
      expect(route.Properties.RouteResponseSelectionExpression).toBeUndefined();
    }
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::RouteResponse'))).toHaveLength(14);
  });

  test('API Gateway may invoke each function only from its own route keys', () => {
    const sources = (fn: string) => Object.values(template.findResources('AWS::Lambda::Permission'))
      .filter((p) => p.Properties.FunctionName['Fn::GetAtt']?.[0] === functionNamed(template, fn).id)
      .map((p) => flatten(p.Properties.SourceArn))
      .sort();
    expect(sources('Message')).toEqual(['*$default', '*history', '*inbox', '*markRead', '*ping', '*presence', '*publish', '*pushDevices', '*reauth', '*registerPush', '*resume',
      '*subscribe', '*unregisterPush', '*unsubscribe']
      .map((k) => `${ARN_PREFIX}:<${apiId}>/${k}`).sort());
    expect(sources('Connect')).toEqual([`${ARN_PREFIX}:<${apiId}>/*$connect`]);
    expect(sources('Disconnect')).toEqual([`${ARN_PREFIX}:<${apiId}>/*$disconnect`]);
    expect(sources('Authorizer')).toEqual([`${ARN_PREFIX}:<${apiId}>/authorizers/<${
      resourceNamed(template, 'AWS::ApiGatewayV2::Authorizer', 'NotificationsWebSocketApiConnectAuthorizer').id}>`]);
  });

  test('the stage auto-deploys, throttles every route and writes JSON access logs', () => {
    const stage = resourceNamed(template, 'AWS::ApiGatewayV2::Stage', 'NotificationsStage').resource.Properties!;
    expect(stage.StageName).toBe('prod');
    expect(stage.AutoDeploy).toBe(true);
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 });
    expect(stage.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': [resourceNamed(template, 'AWS::Logs::LogGroup', 'NotificationsAccessLogs').id, 'Arn'],
    });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({
      connectionId: '$context.connectionId',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      status: '$context.status',
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
    });
  });

  test('exposes the wss:// and callback URLs of the stage', () => {
    expect(flatten(stack.resolve(notifications.webSocketUrl)))
      .toBe(`wss://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`);
    expect(flatten(stack.resolve(notifications.callbackUrl)))
      .toBe(`https://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`);
  });
});

describe('tables', () => {
  const check = (prefix: string, def: TableDefinition) => {
    const table = resourceNamed(template, 'AWS::DynamoDB::Table', prefix).resource;
    const p = table.Properties!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: def.ttlAttribute, Enabled: true });
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(p.KeySchema).toEqual([
      { AttributeName: def.partitionKey, KeyType: 'HASH' },
      ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
    ]);
    expect(p.GlobalSecondaryIndexes ?? []).toEqual(def.indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : []),
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    })));
    for (const attribute of p.AttributeDefinitions) {
      expect(attribute.AttributeType).toBe(attribute.AttributeName === def.sortKey ? (def.sortKeyType ?? 'S') : 'S');
    }
  };
  test('connections: on-demand, TTL, PITR, encrypted, byUser index, retained', () => check('NotificationsConnectionsTable', CONNECTIONS_TABLE));
  test('counters: on-demand, TTL, PITR, encrypted, retained', () => check('NotificationsCountersTable', COUNTERS_TABLE));
  test('history: on-demand, TTL, PITR, encrypted, a numeric position as sort key, retained', () => {
    check('NotificationsHistoryTable', HISTORY_TABLE);
    expect(HISTORY_TABLE.sortKeyType).toBe('N');
  });
  test('subscriptions: on-demand, TTL, PITR, encrypted, byConnection index, retained', () => check('NotificationsSubscriptionsTable', SUBSCRIPTIONS_TABLE));
});

describe('publishing path', () => {
  const queue = resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeliveryQueue');
  const dlq = resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeadLetterQueue');

  /** The rule's pattern, after checking it is on the construct's bus and targets the queue, with the DLQ for failed sends. */
  const patternOfRuleToQueue = (name: string) => {
    const rule = resourceNamed(template, 'AWS::Events::Rule', name).resource.Properties!;
    expect(rule.EventBusName).toEqual({ Ref: resourceNamed(template, 'AWS::Events::EventBus', 'NotificationsEventBus').id });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [queue.id, 'Arn'] });
    expect(rule.Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq.id, 'Arn'] } });
    return rule.EventPattern;
  };

  test('a new bus with a rule on the Notification detail type (and, with the inbox, backends\' MarkRead), targeting the queue', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(patternOfRuleToQueue('NotificationsNotificationRule')).toEqual(notificationEventPattern('Notification', true));
    expect(notificationEventPattern('Notification', true)).toEqual({ 'detail-type': ['Notification', 'ConnectionControl', 'MarkRead'] });
  });

  test('the queue is encrypted, redrives to the DLQ, and outlasts six deliver timeouts', () => {
    const p = queue.resource.Properties!;
    expect(p.SqsManagedSseEnabled).toBe(true);
    expect(p.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.id, 'Arn'] }, maxReceiveCount: 5 });
    const deliverTimeout = functionNamed(template, 'Deliver').resource.Properties!.Timeout;
    expect(deliverTimeout).toBe(60);
    expect(p.VisibilityTimeout).toBeGreaterThanOrEqual(6 * deliverTimeout);
  });

  test('the DLQ is encrypted and keeps messages 14 days', () => {
    expect(dlq.resource.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('on its own bus, a second rule sends the events of any other detail type to the queue, to be dead-lettered with a reason', () => {
    template.resourceCountIs('AWS::Events::Rule', 2);
    expect(patternOfRuleToQueue('NotificationsMisaddressedEventRule')).toEqual(misaddressedEventPattern('Notification', 'ClientMessage', true));
    // Neither the inbox's own NotificationsRead events (for backends) nor, with the inbox, a backend's MarkRead.
    expect(misaddressedEventPattern('Notification', 'ClientMessage', true))
      .toEqual({ 'detail-type': [{ 'anything-but': ['Notification', 'ClientMessage', 'ConnectionControl', 'MarkRead', 'NotificationsRead'] }] });
    expect(misaddressedEventPattern('Notification', 'ClientMessage', false))
      .toEqual({ 'detail-type': [{ 'anything-but': ['Notification', 'ClientMessage', 'ConnectionControl', 'NotificationsRead'] }] });
  });

  test('both queues refuse requests without TLS, and sends by EventBridge for any other rule', () => {
    const ruleArns = ['NotificationsNotificationRule', 'NotificationsMisaddressedEventRule']
      .map((name) => `<${resourceNamed(template, 'AWS::Events::Rule', name).id}.Arn>`);
    for (const q of [queue.id, dlq.id]) {
      const denies = allStatements(template).filter((s) => s.Effect === 'Deny'
        && template.toJSON().Resources[s.policy].Properties.Queues.some((r: any) => r.Ref === q));
      expect(denies).toEqual([
        expect.objectContaining({
          Action: ['sqs:*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Principal: { AWS: '*' },
        }),
        expect.objectContaining({
          Action: ['sqs:SendMessage'],
          Condition: { ArnNotEquals: { 'aws:SourceArn': expect.anything() } },
          Principal: { Service: 'events.amazonaws.com' },
        }),
      ]);
      expect(denies[1].Condition!.ArnNotEquals['aws:SourceArn'].map(flatten)).toEqual(ruleArns);
    }
  });

  test('only EventBridge, for these rules, may send to the queue', () => {
    const ruleArns = ['NotificationsNotificationRule', 'NotificationsMisaddressedEventRule']
      .map((name) => `<${resourceNamed(template, 'AWS::Events::Rule', name).id}.Arn>`);
    const allows = allStatements(template).filter((s) => s.Effect === 'Allow' && s.policy.startsWith('NotificationsDeliveryQueuePolicy'));
    expect(allows).toEqual(ruleArns.map(() => expect.objectContaining({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
    })));
    expect(allows.map((s) => flatten(s.Condition!.ArnEquals['aws:SourceArn']))).toEqual(ruleArns);
  });

  test('deliver takes batches from the queue with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue.id, 'Arn'] },
      FunctionName: { Ref: functionNamed(template, 'Deliver').id },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0].Properties;
    expect(mapping.ScalingConfig).toBeUndefined();
    expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();
  });
});

describe('functions', () => {
  const names: Record<HandlerName, string> = {
    authorizer: 'Authorizer', connect: 'Connect', disconnect: 'Disconnect', message: 'Message', deliver: 'Deliver',
  };
  const anySettings: RuntimeSettings = {
    ...defaultSettings(),
    serviceName: 's', connectionsTable: 'c', subscriptionsTable: 's', countersTable: 'k', historyTable: 'h', callbackUrl: 'u', queueUrl: 'q',
    deadLetterQueueUrl: 'd', eventBusName: 'b', payloadBucket: 'p', auth: { mode: 'jwt', issuer: 'i', audience: ['a'], jwksUri: 'j', userIdClaim: 'c' },
  };

  test.each(HANDLER_NAMES)('%s runs its bundle on Node.js 22, arm64, with its own log group', (name) => {
    const fn = functionNamed(template, names[name]);
    const p = fn.resource.Properties!;
    expect(p).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 512 });
    const logGroup = resourceNamed(template, 'AWS::Logs::LogGroup', `Notifications${names[name]}FunctionLogs`);
    expect(p.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup.id } });
    expect(logGroup.resource.Properties!.RetentionInDays).toBe(30);
    expect(logGroup.resource.DeletionPolicy).toBe('Retain');
  });

  test.each(HANDLER_NAMES)('%s gets exactly the environment the runtime contract defines for it', (name) => {
    const env = environmentOf(template, names[name]);
    expect(Object.keys(env).sort()).toEqual(Object.keys(handlerEnvironment(name, anySettings)).sort());
    expect(env.POWERTOOLS_SERVICE_NAME).toBe(notifications.serviceName);
  });

  test('settings reach the handlers with their defaults', () => {
    expect(environmentOf(template, 'Connect').CONNECTIONS_TTL_SECONDS).toBe(String(SETTINGS['connections.ttl'].default));
    expect(environmentOf(template, 'Message')).toMatchObject({
      CONNECTIONS_MAX_SUBSCRIPTIONS: '50',
      TOPIC_RULES: JSON.stringify(SETTINGS.topicRules.default),
    });
    const deliver = environmentOf(template, 'Deliver');
    expect(deliver).toMatchObject({
      DETAIL_TYPE: 'Notification',
      ALLOW_BROADCAST: 'false',
      DELIVERY_POST_CONCURRENCY: '50',
      DELIVERY_SHARD_THRESHOLD: '1000',
      DELIVERY_SHARD_SIZE: '1000',
      DELIVERY_MAX_RATE_PER_SECOND: '0',
      DELIVERY_MAX_ATTEMPTS: '3',
      DELIVERY_MAX_RECEIVE_COUNT: '5',
    });
    expect(flatten(deliver.CALLBACK_URL)).toBe(`https://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`);
    expect(deliver.DELIVERY_QUEUE_URL).toEqual({ Ref: resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeliveryQueue').id });
    expect(deliver.DEAD_LETTER_QUEUE_URL).toEqual({ Ref: resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeadLetterQueue').id });
    expect(deliver.CONNECTIONS_TABLE).toEqual({ Ref: resourceNamed(template, 'AWS::DynamoDB::Table', 'NotificationsConnectionsTable').id });
    expect(environmentOf(template, 'Authorizer')).toMatchObject({
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: 'https://issuer.example.com',
      AUTH_AUDIENCE: 'notifications',
      AUTH_JWKS_URI: 'https://issuer.example.com/.well-known/jwks.json',
      AUTH_USER_ID_CLAIM: 'sub',
    });
  });

  test('the service name is unique per construct and stable across synths', () => {
    expect(notifications.serviceName).toBe(synth().notifications.serviceName);
    const other = new RealtimeNotifications(synth().stack, 'Other', { auth: TEST_AUTH() });
    expect(other.serviceName).not.toBe(notifications.serviceName);
  });
});

describe('IAM', () => {
  const statements = allStatements(template);
  const tableArn = (prefix: string) => `<${resourceNamed(template, 'AWS::DynamoDB::Table', prefix).id}.Arn>`;
  const connections = tableArn('NotificationsConnectionsTable');
  const subscriptions = tableArn('NotificationsSubscriptionsTable');
  const counters = tableArn('NotificationsCountersTable');
  const history = tableArn('NotificationsHistoryTable');
  const bus = `<${resourceNamed(template, 'AWS::Events::EventBus', 'NotificationsEventBus').id}.Arn>`;
  const payloadObjects = `<${resourceNamed(template, 'AWS::S3::Bucket', 'NotificationsPayloadBucket').id}.Arn>/payloads/*`;
  const logsOf = (name: string) => `<${resourceNamed(template, 'AWS::Logs::LogGroup', `Notifications${name}FunctionLogs`).id}.Arn>`;

  test('no Allow statement anywhere has a wildcard action', () => {
    expect(statements.length).toBeGreaterThan(10);
    const wildcards = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action.filter((a) => a.includes('*')));
    expect(wildcards).toEqual([]);
  });

  test('the only Deny statements are in the queue and payload bucket policies: TLS only, and only the notification rule', () => {
    for (const s of statements.filter((x) => x.Effect === 'Deny')) {
      expect([{ Bool: { 'aws:SecureTransport': 'false' } }, { ArnNotEquals: { 'aws:SourceArn': expect.anything() } }])
        .toContainEqual(s.Condition);
      expect(['AWS::SQS::QueuePolicy', 'AWS::S3::BucketPolicy']).toContain(template.toJSON().Resources[s.policy].Type);
    }
  });

  test('function roles have no managed policies and only Lambda may assume them', () => {
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      expect([id, role.Properties.ManagedPolicyArns]).toEqual([id, undefined]);
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
        Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' },
      }]);
    }
  });

  test('connect may put connection rows, take a place in its user\'s set and, at the limit, read it and forget closed ones, and set token timers', () => {
    const queueArn = (p: string) => `<${resourceNamed(template, 'AWS::SQS::Queue', p).id}.Arn>`;
    expect(grantsOf(functionStatements(template, 'Connect'))).toEqual(new Map([
      ['logs:CreateLogStream', [logsOf('Connect')]],
      ['logs:PutLogEvents', [logsOf('Connect')]],
      ['dynamodb:PutItem', [connections]],
      ['dynamodb:DeleteItem', [connections]],
      ['dynamodb:Query', [`${subscriptions}/index/byConnection`]],
      ['dynamodb:BatchWriteItem', [subscriptions]],
      ['dynamodb:GetItem', [counters]],
      ['dynamodb:UpdateItem', [counters]],
      ['execute-api:ManageConnections', [`${ARN_PREFIX}:<${apiId}>/prod/GET/@connections/*`]],
      // The token's expiry timer: the delivery queue only, not the DLQ.
      ['sqs:SendMessage', [queueArn('NotificationsDeliveryQueue')]],
    ]));
  });

  test('disconnect may delete the connection and its subscriptions found through the byConnection index', () => {
    expect(grantsOf(functionStatements(template, 'Disconnect'))).toEqual(new Map([
      ['logs:CreateLogStream', [logsOf('Disconnect')]],
      ['logs:PutLogEvents', [logsOf('Disconnect')]],
      ['dynamodb:DeleteItem', [connections]],
      ['dynamodb:BatchWriteItem', [subscriptions]],
      ['dynamodb:Query', [`${subscriptions}/index/byConnection`]],
      // The connection's place in its user's set.
      ['dynamodb:UpdateItem', [counters]],
    ]));
  });

  test('message may count on the connection row, write single subscriptions, replay users\' own streams, and take fresh tokens', () => {
    const queueArn = (p: string) => `<${resourceNamed(template, 'AWS::SQS::Queue', p).id}.Arn>`;
    expect(grantsOf(functionStatements(template, 'Message'))).toEqual(new Map([
      ['logs:CreateLogStream', [logsOf('Message')]],
      ['logs:PutLogEvents', [logsOf('Message')]],
      ['dynamodb:GetItem', [connections, subscriptions, counters].sort()],
      // reauth: the connection's and its subscriptions' token expiry.
      ['dynamodb:UpdateItem', [connections, counters, subscriptions].sort()],
      ['dynamodb:PutItem', [subscriptions]],
      // reauth with another user's token: the connection is forgotten.
      ['dynamodb:DeleteItem', [connections, subscriptions].sort()],
      ['dynamodb:BatchWriteItem', [subscriptions]],
      // The offline inbox: a stream's head, and its kept notifications posted to the caller; the
      // user's other connections, told the new unread count. reauth: the connection's subscriptions.
      ['dynamodb:Query', [history, `${connections}/index/byUser`, subscriptions, `${subscriptions}/index/byConnection`].sort()],
      // The ids a markRead names, found by their position claims; the user's other connections'
      // rows, so the new count leaves out those whose token expired.
      ['dynamodb:BatchGetItem', [connections, counters].sort()],
      // Each mark-read, announced to backends.
      ['events:PutEvents', [bus]],
      // Replays, and a connection that lost its row is told so and closed.
      ['execute-api:ManageConnections', ['DELETE', 'POST'].map((method) => `${ARN_PREFIX}:<${apiId}>/prod/${method}/@connections/*`)],
      // Kept references to large payloads, replayed as presigned URLs.
      ['s3:GetObject', [payloadObjects]],
      // The renewed token's timer: the delivery queue only.
      ['sqs:SendMessage', [queueArn('NotificationsDeliveryQueue')]],
    ]));
  });

  test('deliver may query audiences, clean up gone connections, re-queue, dead-letter and post to this stage only', () => {
    const queueArn = (p: string) => `<${resourceNamed(template, 'AWS::SQS::Queue', p).id}.Arn>`;
    const grants = grantsOf(functionStatements(template, 'Deliver'));
    expect(grants).toEqual(new Map([
      ['logs:CreateLogStream', [logsOf('Deliver')]],
      ['logs:PutLogEvents', [logsOf('Deliver')]],
      // Gone or kicked connections; a subscription a backend took from a user.
      ['dynamodb:DeleteItem', [connections, subscriptions].sort()],
      ['dynamodb:Query', [`${connections}/index/byUser`, subscriptions, `${subscriptions}/index/byConnection`, history].sort()],
      ['dynamodb:BatchWriteItem', [subscriptions]],
      // Positions of users' own streams (a head and a claim per notification) and the kept frames;
      // a token timer's connection row; a backend's subscribe of a connection at its cap.
      ['dynamodb:GetItem', [connections, counters, subscriptions].sort()],
      ['dynamodb:PutItem', [counters, history, subscriptions].sort()],
      // Counters; the slot a backend's unsubscribe frees on the connection row.
      ['dynamodb:UpdateItem', [connections, counters].sort()],
      // Backends' MarkRead events: the ids' claims, and the oldest kept notifications for the count;
      // a user's connection rows, to leave out expired tokens.
      ['dynamodb:BatchGetItem', [connections, counters].sort()],
      ['events:PutEvents', [bus]],
      ['sqs:SendMessage', [queueArn('NotificationsDeliveryQueue'), queueArn('NotificationsDeadLetterQueue')].sort()],
      // Posts, and the close of a connection whose token expired.
      ['execute-api:ManageConnections', ['DELETE', 'POST'].map((method) => `${ARN_PREFIX}:<${apiId}>/prod/${method}/@connections/*`)],
      // Payloads too large for a frame: stored, and presigned for clients.
      ['s3:PutObject', [payloadObjects]],
      ['s3:GetObject', [payloadObjects]],
      // the event source mapping's own permissions
      ['sqs:ReceiveMessage', [queueArn('NotificationsDeliveryQueue')]],
      ['sqs:ChangeMessageVisibility', [queueArn('NotificationsDeliveryQueue')]],
      ['sqs:GetQueueUrl', [queueArn('NotificationsDeliveryQueue')]],
      ['sqs:DeleteMessage', [queueArn('NotificationsDeliveryQueue')]],
      ['sqs:GetQueueAttributes', [queueArn('NotificationsDeliveryQueue')]],
    ]));
    expect(grants.has('dynamodb:Scan')).toBe(false);
  });

  test('no other principal may manage connections: connect looks up, deliver and message (replays) post, message and deliver (expired tokens) close', () => {
    const holders = statements.filter((s) => s.Action.includes('execute-api:ManageConnections'));
    expect(holders.map((h) => [h.policy.replace(/RoleDefaultPolicy.*/, ''), h.Resource.map((r: unknown) => flatten(r).split('/')[2])]).sort())
      .toEqual([['NotificationsConnectFunction', ['GET']], ['NotificationsDeliverFunction', ['POST', 'DELETE']], ['NotificationsMessageFunction', ['POST', 'DELETE']]]);
  });

  test('with history.userStreams off and no history rules, nobody keeps positions: counters hold only the users\' connection sets', () => {
    const { template: t } = synth({ history: { userStreams: false } });
    const counterId = resourceNamed(t, 'AWS::DynamoDB::Table', 'NotificationsCountersTable').id;
    const historyId = resourceNamed(t, 'AWS::DynamoDB::Table', 'NotificationsHistoryTable').id;
    const using = (id: string) => allStatements(t).filter((st) => JSON.stringify(st.Resource).includes(id));
    expect(using(historyId)).toEqual([]);
    expect([...new Set(using(counterId).flatMap((st) => st.Action))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // Only reauth's Query of the connection's subscriptions: no stream is read.
    expect(grantsOf(functionStatements(t, 'Message')).get('dynamodb:Query')!.filter((arn) => !arn.includes('Subscriptions'))).toEqual([]);
    expect(environmentOf(t, 'Deliver').HISTORY_USER_STREAMS).toBe('false');
  });
});

describe('IAM with client messages and presence on', () => {
  const { template: t } = synth({ publishRules: ['rooms/*'], presenceRules: ['rooms/*'] });
  const id = (name: string) => resourceNamed(t, 'AWS::DynamoDB::Table', name).id;
  const [conns, subs, counters] = ['NotificationsConnectionsTable', 'NotificationsSubscriptionsTable', 'NotificationsCountersTable'].map((n) => `<${id(n)}.Arn>`);
  const api = resourceNamed(t, 'AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi').id;
  const post = `${ARN_PREFIX}:<${api}>/prod/POST/@connections/*`;
  const queueArn = (p: string) => `<${resourceNamed(t, 'AWS::SQS::Queue', p).id}.Arn>`;
  const logs = (fn: string) => `<${resourceNamed(t, 'AWS::Logs::LogGroup', `Notifications${fn}FunctionLogs`).id}.Arn>`;

  test('message delivers client messages itself: audience reads, posts, re-queues, the bus, counters', () => {
    expect(grantsOf(functionStatements(t, 'Message'))).toEqual(new Map([
      ['logs:CreateLogStream', [logs('Message')]],
      ['logs:PutLogEvents', [logs('Message')]],
      ['dynamodb:GetItem', [conns, subs, counters].sort()],
      ['dynamodb:UpdateItem', [conns, counters, subs].sort()],
      ['dynamodb:DeleteItem', [conns, subs, counters].sort()],
      ['dynamodb:PutItem', [subs]],
      ['dynamodb:Query', [subs, `${subs}/index/byConnection`, counters, `<${id('NotificationsHistoryTable')}.Arn>`, `${conns}/index/byUser`].sort()],
      ['dynamodb:BatchGetItem', [conns, counters].sort()],
      ['dynamodb:BatchWriteItem', [subs]],
      ['execute-api:ManageConnections', [post.replace('/POST/', '/DELETE/'), post]],
      ['sqs:SendMessage', [queueArn('NotificationsDeliveryQueue'), queueArn('NotificationsDeadLetterQueue')].sort()],
      ['events:PutEvents', [`<${resourceNamed(t, 'AWS::Events::EventBus', 'NotificationsEventBus').id}.Arn>`]],
      ['s3:GetObject', [`<${resourceNamed(t, 'AWS::S3::Bucket', 'NotificationsPayloadBucket').id}.Arn>/payloads/*`]],
    ]));
  });

  test('disconnect counts presence down and announces leaves', () => {
    expect(grantsOf(functionStatements(t, 'Disconnect'))).toEqual(new Map([
      ['logs:CreateLogStream', [logs('Disconnect')]],
      ['logs:PutLogEvents', [logs('Disconnect')]],
      ['dynamodb:DeleteItem', [conns, subs, counters].sort()],
      ['dynamodb:BatchWriteItem', [subs]],
      ['dynamodb:Query', [subs, `${subs}/index/byConnection`].sort()],
      ['dynamodb:UpdateItem', [counters]],
      // After a leave, the user's count is read again in case a join raced it.
      ['dynamodb:GetItem', [counters]],
      ['execute-api:ManageConnections', [post]],
    ]));
  });

  test('the message function receives the rules and limits', () => {
    expect(environmentOf(t, 'Message')).toMatchObject({
      PUBLISH_RULES: '["rooms/*"]', PRESENCE_RULES: '["rooms/*"]', CLIENT_MESSAGES_MAX_PER_SECOND: '10',
      CLIENT_MESSAGES_MAX_SIZE_BYTES: String(32 * 1024), CLIENT_MESSAGES_MAX_PRESENCE_MEMBERS: '100', CLIENT_MESSAGES_DETAIL_TYPE: 'ClientMessage',
    });
    expect(environmentOf(t, 'Connect')).toMatchObject({ CONNECTIONS_MAX_PER_USER: '20', PRESENCE_RULES: '["rooms/*"]' });
  });

  test('no Allow statement has a wildcard action', () => {
    expect(allStatements(t).filter((st) => st.Effect === 'Allow').flatMap((st) => st.Action.filter((a: string) => a.includes('*')))).toEqual([]);
  });

  test('with history on rooms, message keeps the client messages it delivers: a position and the frame', () => {
    const { template: h } = synth({ publishRules: ['rooms/*'], historyRules: ['rooms/*'] });
    const table = (name: string) => `<${resourceNamed(h, 'AWS::DynamoDB::Table', name).id}.Arn>`;
    const grants = grantsOf(functionStatements(h, 'Message'));
    expect(grants.get('dynamodb:PutItem')).toEqual([table('NotificationsCountersTable'), table('NotificationsHistoryTable'), table('NotificationsSubscriptionsTable')].sort());
    expect(environmentOf(h, 'Message')).toMatchObject({ HISTORY_RULES: '["rooms/*"]', HISTORY_MAX_REPLAY: '100', HISTORY_RETENTION_SECONDS: String(24 * 3600) });
  });

  test('the authorizer needs nothing but its logs', () => {
    expect([...grantsOf(functionStatements(template, 'Authorizer')).keys()].sort())
      .toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('IAM with push', () => {
  const { template: t } = synth({}, (stack) => ({
    push: { vapidKeys: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Vapid', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vapid-AbCdEf') },
  }));
  const counters = `<${resourceNamed(t, 'AWS::DynamoDB::Table', 'NotificationsCountersTable').id}.Arn>`;
  const vapid = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vapid-AbCdEf';

  test('deliver reads the VAPID secret (that one only) and the users\' devices; message writes them', () => {
    const deliver = grantsOf(functionStatements(t, 'Deliver'));
    expect(deliver.get('secretsmanager:GetSecretValue')).toEqual([vapid]);
    expect(deliver.get('secretsmanager:DescribeSecret')).toEqual([vapid]);
    expect(deliver.get('dynamodb:GetItem')).toContain(counters);
    expect(deliver.get('dynamodb:UpdateItem')).toContain(counters);
    const message = grantsOf(functionStatements(t, 'Message'));
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) expect(message.get(action)).toContain(counters);
    expect([...message.keys()].filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    for (const fn of ['Connect', 'Disconnect', 'Authorizer']) {
      expect([...grantsOf(functionStatements(t, fn)).keys()].filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    }
  });

  test('the template holds the secret\'s ARN, never its keys; deliver and message get the push settings', () => {
    expect(environmentOf(t, 'Deliver')).toMatchObject({ PUSH_VAPID_KEYS: vapid, PUSH_MAX_DEVICES_PER_USER: '10', PUSH_DEVICE_TTL_SECONDS: String(60 * 24 * 3600) });
    expect(environmentOf(t, 'Message')).toMatchObject({ PUSH_VAPID_KEYS: vapid, PUSH_ALLOWED_ENDPOINTS: JSON.stringify(SETTINGS['push.allowedEndpoints'].default) });
  });

  test('without push, no function may read a secret', () => {
    expect(allStatements(template).flatMap((st) => st.Action).filter((a: string) => a.startsWith('secretsmanager:'))).toEqual([]);
  });
});

describe('IAM with mobile push', () => {
  const apns = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/orders-ios';
  const fcm = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/orders-android';
  const { template: t } = synth({ push: { apns, fcm } });
  const endpoints = ['arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/orders-ios/*', 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/orders-android/*'];

  test('message and deliver (a backend\'s PushDevice event) create endpoints of the two applications only; deliver publishes to and deletes their endpoints only', () => {
    const message = grantsOf(functionStatements(t, 'Message'));
    expect(message.get('sns:CreatePlatformEndpoint')).toEqual([apns, fcm]);
    expect([...message.keys()].filter((a) => a.startsWith('sns:'))).toEqual(['sns:CreatePlatformEndpoint']);
    const deliver = grantsOf(functionStatements(t, 'Deliver'));
    expect(deliver.get('sns:Publish')).toEqual(endpoints);
    expect(deliver.get('sns:DeleteEndpoint')).toEqual(endpoints);
    expect(deliver.get('sns:CreatePlatformEndpoint')).toEqual([apns, fcm]);
    expect([...deliver.keys()].filter((a) => a.startsWith('sns:')).sort()).toEqual(['sns:CreatePlatformEndpoint', 'sns:DeleteEndpoint', 'sns:Publish']);
    expect([...deliver.keys()].filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(environmentOf(t, 'Deliver')).toMatchObject({ PUSH_APNS: apns, PUSH_FCM: fcm, PUSH_VAPID_KEYS: '' });
  });

  test('the notification rule takes backends\' PushDevice events to the delivery queue', () => {
    const rules = Object.values(t.findResources('AWS::Events::Rule')).map((r) => r.Properties.EventPattern['detail-type']);
    expect(rules).toContainEqual(expect.arrayContaining(['Notification', 'PushDevice']));
  });
});

describe('grants', () => {
  test('grantPublish allows events:PutEvents on this bus only', () => {
    const { template: t } = synth({}, undefined, (s, n) => {
      n.grantPublish(new iam.Role(s, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    const bus = resourceNamed(t, 'AWS::Events::EventBus', 'NotificationsEventBus').id;
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Publisher') }],
      PolicyDocument: { Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } }] },
    });
  });

  test('grantManageConnections allows POST, GET and DELETE on this stage\'s @connections only', () => {
    const { template: t } = synth({ stageName: 'live' }, undefined, (s, n) => {
      n.grantManageConnections(new iam.Role(s, 'Backend', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    const api = resourceNamed(t, 'AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi').id;
    const backend = allStatements(t).filter((st) => t.toJSON().Resources[st.policy].Properties.Roles?.[0]?.Ref?.startsWith('Backend'));
    expect(backend).toHaveLength(1);
    expect(backend[0].Action).toEqual(['execute-api:ManageConnections']);
    expect(backend[0].Resource).toEqual(['POST', 'GET', 'DELETE'].map((m) => `${ARN_PREFIX}:<${api}>/live/${m}/@connections/*`));
  });
});

describe('the payload bucket', () => {
  const bucket = resourceNamed(template, 'AWS::S3::Bucket', 'NotificationsPayloadBucket');

  test('is private, encrypted, SSL only, and expires payloads a day after the longest history retention or the dead letters\' 14 days', () => {
    expect(bucket.resource.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      // Users' own streams are kept 30 days by default.
      LifecycleConfiguration: { Rules: [expect.objectContaining({ Prefix: 'payloads/', ExpirationInDays: 31, Status: 'Enabled' })] },
      CorsConfiguration: { CorsRules: [{ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['*'], MaxAge: 3600 }] },
    });
    expect(bucket.resource.DeletionPolicy).toBe('Retain');
    // Short history: the objects still outlive the dead letters (14 days) that may refer to them.
    const { template: short } = synth({ history: { userStreams: false, retention: Duration.hours(6) } });
    expect(resourceNamed(short, 'AWS::S3::Bucket', 'NotificationsPayloadBucket').resource.Properties!.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(15);
  });

  test('with the construct\'s key it is encrypted with that key, and the functions may use the key for payloads', () => {
    const { template: t } = synth({}, (scope) => ({ encryptionKey: new kms.Key(scope, 'Key') }));
    const props = resourceNamed(t, 'AWS::S3::Bucket', 'NotificationsPayloadBucket').resource.Properties;
    expect(props!.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() }, BucketKeyEnabled: true,
    });
    const kmsActions = (fn: string) => [...new Set(functionStatements(t, fn).filter((st) => st.Action.some((a: string) => a.startsWith('kms:')))
      .flatMap((st) => st.Action))].sort();
    expect(kmsActions('Deliver')).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  test('the handlers read its name and the payload settings', () => {
    expect(environmentOf(template, 'Deliver')).toMatchObject({
      PAYLOAD_BUCKET: { Ref: bucket.id }, PAYLOADS_MAX_OBJECT_SIZE_BYTES: String(10 * 1024 * 1024), PAYLOADS_URL_EXPIRY_SECONDS: '300',
    });
    expect(environmentOf(template, 'Message')).toMatchObject({ PAYLOAD_BUCKET: { Ref: bucket.id }, PAYLOADS_URL_EXPIRY_SECONDS: '300' });
    const { template: t } = synth({ payloads: { maxObjectSize: Size.mebibytes(50), urlExpiry: Duration.minutes(1) } });
    expect(environmentOf(t, 'Deliver')).toMatchObject({ PAYLOADS_MAX_OBJECT_SIZE_BYTES: String(50 * 1024 * 1024), PAYLOADS_URL_EXPIRY_SECONDS: '60' });
  });

  test('grantPutPayload allows s3:PutObject under payloads/ only, except delivery\'s own payloads/n/', () => {
    let role: iam.Role | undefined;
    const { template: t, stack: s } = synth({}, undefined, (scope, construct) => {
      role = new iam.Role(scope, 'Reporter', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      construct.grantPutPayload(role);
    });
    const policy = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: s.getLogicalId(role!.node.defaultChild as iam.CfnRole) }] } });
    const granted = Object.values(policy).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const objects = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket.id, 'Arn'] }, path]] });
    expect(granted).toEqual([
      { Action: 's3:PutObject', Effect: 'Allow', Resource: objects('/payloads/*') },
      { Action: 's3:PutObject', Effect: 'Deny', Resource: objects('/payloads/n/*') },
    ]);
  });
});
