import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { notificationEventPattern } from '../../lib/private/runtime-contract';
import { TokenExpiry } from '../../lib';
import {
  allStatements,
  environmentOf,
  flatten,
  functionNamed,
  functionStatements,
  grantsOf,
  resourceNamed,
  synth,
} from './synth';

const FUNCTIONS = ['Authorizer', 'Connect', 'Disconnect', 'Message', 'Deliver'];

test('topicRules reach the message handler', () => {
  const { template } = synth({ topicRules: ['orders/*', 'users/{userId}/**'] });
  expect(environmentOf(template, 'Message').TOPIC_RULES).toBe('["orders/*","users/{userId}/**"]');
});

test('an empty topicRules list is allowed (no subscriptions)', () => {
  const { template } = synth({ topicRules: [] });
  expect(environmentOf(template, 'Message').TOPIC_RULES).toBe('[]');
});

test('stageName names the stage, the URLs and the @connections grant', () => {
  const { template, stack, notifications } = synth({ stageName: 'live' });
  const stage = resourceNamed(template, 'AWS::ApiGatewayV2::Stage', 'NotificationsStage').resource;
  expect(stage.Properties!.StageName).toBe('live');
  expect(flatten(stack.resolve(notifications.webSocketUrl))).toMatch(/\/live$/);
  expect(flatten(environmentOf(template, 'Deliver').CALLBACK_URL)).toMatch(/\/live$/);
  expect(grantsOf(functionStatements(template, 'Deliver')).get('execute-api:ManageConnections'))
    .toEqual([expect.stringMatching(/\/live\/DELETE\/@connections\/\*$/), expect.stringMatching(/\/live\/POST\/@connections\/\*$/)]);
});

test('connections.tokenExpiry IGNORE keeps connections past their token: no timers, no closing, no reauth', () => {
  const { template } = synth({ connections: { tokenExpiry: TokenExpiry.IGNORE } });
  expect(grantsOf(functionStatements(template, 'Connect')).has('sqs:SendMessage')).toBe(false);
  expect(environmentOf(template, 'Message').AUTH_MODE).toBeUndefined();
  expect(environmentOf(template, 'Connect').CONNECTIONS_TOKEN_EXPIRY).toBe('ignore');
});

test('connections.tokenExpiry CLOSE (the default): the message function verifies reauth tokens as the authorizer does', () => {
  const { template } = synth({ connections: { tokenExpiryGrace: Duration.seconds(10) } });
  expect(environmentOf(template, 'Message').AUTH_MODE).toBe(environmentOf(template, 'Authorizer').AUTH_MODE);
  expect(environmentOf(template, 'Connect').CONNECTIONS_TOKEN_EXPIRY_GRACE_SECONDS).toBe('10');
});

test('throttle sets the default route throttling', () => {
  const { template } = synth({ throttle: { rateLimit: 25.5, burstLimit: 40 } });
  template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    DefaultRouteSettings: { ThrottlingRateLimit: 25.5, ThrottlingBurstLimit: 40 },
  });
});

test.each<[string, { rateLimit?: number; burstLimit?: number }, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }]>([
  ['only rateLimit: burstLimit keeps its default', { rateLimit: 50 }, { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 500 }],
  ['only burstLimit: rateLimit keeps its default', { burstLimit: 20 }, { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 20 }],
  ['neither', {}, { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 }],
])('throttle with %s', (_what, throttle, settings) => {
  synth({ throttle }).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: settings });
});

test('connections.ttl reaches the connect handler in seconds', () => {
  const { template } = synth({ connections: { ttl: Duration.hours(6) } });
  expect(environmentOf(template, 'Connect').CONNECTIONS_TTL_SECONDS).toBe('21600');
});

test('connections.maxSubscriptions reaches the message handler', () => {
  const { template } = synth({ connections: { maxSubscriptions: 7 } });
  expect(environmentOf(template, 'Message').CONNECTIONS_MAX_SUBSCRIPTIONS).toBe('7');
});

test('delivery tuning reaches the deliver handler', () => {
  const { template } = synth({
    delivery: {
      postConcurrency: 20,
      shardThreshold: 5000,
      shardSize: 2500,
      maxRatePerSecond: 301,
      maxConcurrency: 4,
      maxAttempts: 5,
    },
  });
  expect(environmentOf(template, 'Deliver')).toMatchObject({
    DELIVERY_POST_CONCURRENCY: '20',
    DELIVERY_SHARD_THRESHOLD: '5000',
    DELIVERY_SHARD_SIZE: '2500',
    // The deployment-wide cap is split between the at most 4 deliver instances, rounding down.
    DELIVERY_MAX_RATE_PER_SECOND: '75',
    DELIVERY_MAX_ATTEMPTS: '5',
  });
});

test('delivery.batchSize, maxBatchingWindow and maxConcurrency shape the event source', () => {
  const { template } = synth({ delivery: { batchSize: 100, maxBatchingWindow: Duration.seconds(2), maxConcurrency: 20 } });
  template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: 2,
    ScalingConfig: { MaximumConcurrency: 20 },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  });
});

test('delivery.timeout sets the function timeout and six times it as the queue visibility timeout', () => {
  const { template } = synth({ delivery: { timeout: Duration.minutes(2) } });
  expect(functionNamed(template, 'Deliver').resource.Properties!.Timeout).toBe(120);
  expect(resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeliveryQueue').resource.Properties!.VisibilityTimeout).toBe(720);
});

test('delivery.maxReceiveCount sets the redrive policy, and deliver is told it to dead-letter on the last receive', () => {
  const { template } = synth({ delivery: { maxReceiveCount: 9 } });
  expect(resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeliveryQueue').resource.Properties!.RedrivePolicy.maxReceiveCount).toBe(9);
  expect(environmentOf(template, 'Deliver').DELIVERY_MAX_RECEIVE_COUNT).toBe('9');
});

test('eventBus: the rule listens on the given bus and no bus is created', () => {
  const { template, notifications } = synth({}, (stack) => ({ eventBus: new events.EventBus(stack, 'Shared') }));
  template.resourceCountIs('AWS::Events::EventBus', 1);
  const shared = resourceNamed(template, 'AWS::Events::EventBus', 'Shared').id;
  template.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: shared } });
  expect(notifications.node.tryFindChild('EventBus')).toBeUndefined();
});

test('eventBus: an imported bus works too', () => {
  const { template } = synth({}, (stack) => ({
    eventBus: events.EventBus.fromEventBusName(stack, 'Imported', 'company-bus'),
  }));
  template.resourceCountIs('AWS::Events::EventBus', 0);
  template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'company-bus' });
});

test('eventBus: on a bus given, shared with other applications, only the notification rule: events of other detail types are left to them', () => {
  const { template } = synth({ detailType: 'UserNotice' }, (stack) => ({
    eventBus: events.EventBus.fromEventBusName(stack, 'Shared', 'company-bus'),
  }));
  template.resourceCountIs('AWS::Events::Rule', 1);
  const rule = resourceNamed(template, 'AWS::Events::Rule', 'NotificationsNotificationRule');
  // Notifications, and (user streams are kept by default) backends' mark-reads for the inbox.
  expect(rule.resource.Properties!.EventPattern).toEqual(notificationEventPattern('UserNotice', true));
  for (const queuePolicy of ['NotificationsDeliveryQueuePolicy', 'NotificationsDeadLetterQueuePolicy']) {
    const [deny] = allStatements(template).filter((s) => s.Effect === 'Deny' && s.policy.startsWith(queuePolicy)
      && JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(flatten(deny.Condition!.ArnNotEquals['aws:SourceArn'])).toBe(`<${rule.id}.Arn>`);
  }
});

test('detailType sets the rule pattern and the deliver handler setting', () => {
  const { template } = synth({ detailType: 'UserNotice' });
  template.hasResourceProperties('AWS::Events::Rule', { EventPattern: notificationEventPattern('UserNotice', true) });
  expect(environmentOf(template, 'Deliver').DETAIL_TYPE).toBe('UserNotice');
});

test('allowBroadcast: the deliver handler may scan the connections table, and only then', () => {
  const { template } = synth({ allowBroadcast: true });
  expect(environmentOf(template, 'Deliver').ALLOW_BROADCAST).toBe('true');
  const connections = `<${resourceNamed(template, 'AWS::DynamoDB::Table', 'NotificationsConnectionsTable').id}.Arn>`;
  expect(grantsOf(functionStatements(template, 'Deliver')).get('dynamodb:Scan')).toEqual([connections]);
  for (const name of FUNCTIONS.filter((n) => n !== 'Deliver')) {
    expect(grantsOf(functionStatements(template, name)).has('dynamodb:Scan')).toBe(false);
  }
});

test('functions.memorySize and architecture apply to every function', () => {
  const { template } = synth({ functions: { memorySize: 1024, architecture: lambda.Architecture.X86_64 } });
  for (const name of FUNCTIONS) {
    expect(functionNamed(template, name).resource.Properties).toMatchObject({ MemorySize: 1024, Architectures: ['x86_64'] });
  }
});

test('monitoring.logRetention applies to the function and access log groups', () => {
  const { template } = synth({ monitoring: { logRetention: logs.RetentionDays.ONE_WEEK } });
  const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
  expect(groups).toHaveLength(6);
  for (const group of groups) expect(group.Properties.RetentionInDays).toBe(7);
});

test('removalPolicy applies to the tables and log groups', () => {
  const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
  for (const type of ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Delete');
  }
});

test('client messaging props reach the handlers that enforce them', () => {
  const { template } = synth({
    publishRules: ['rooms/*'], presenceRules: ['rooms/{userId}'],
    clientMessages: { maxPerSecond: 3, maxSize: Size.kibibytes(4), maxPresenceMembers: 25, detailType: 'ChatMessage' },
    connections: { maxPerUser: 7 },
  });
  expect(environmentOf(template, 'Message')).toMatchObject({
    PUBLISH_RULES: '["rooms/*"]', PRESENCE_RULES: '["rooms/{userId}"]', CLIENT_MESSAGES_MAX_PER_SECOND: '3',
    CLIENT_MESSAGES_MAX_SIZE_BYTES: '4096', CLIENT_MESSAGES_MAX_PRESENCE_MEMBERS: '25', CLIENT_MESSAGES_DETAIL_TYPE: 'ChatMessage',
  });
  expect(environmentOf(template, 'Connect')).toMatchObject({ CONNECTIONS_MAX_PER_USER: '7', PRESENCE_RULES: '["rooms/{userId}"]' });
  for (const fn of ['Disconnect', 'Deliver']) expect(environmentOf(template, fn)).toMatchObject({ PRESENCE_RULES: '["rooms/{userId}"]' });
  // The notification rule still matches notifications only: client-message events are not delivered twice.
  const rule = Object.values(template.findResources('AWS::Events::Rule'))[0];
  expect(rule.Properties.EventPattern).toEqual({ 'detail-type': ['Notification', 'ConnectionControl', 'MarkRead'] });
});

describe('encryptionKey', () => {
  const { template } = synth({}, (stack) => ({ encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) }));
  const key = resourceNamed(template, 'AWS::KMS::Key', 'Key').id;

  test('encrypts both tables and both queues with the key', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.SSESpecification).toEqual({
        SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
      });
    }
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(queue.Properties.SqsManagedSseEnabled).toBeUndefined();
    }
  });

  test('each function may use the key with named actions only', () => {
    for (const name of ['Connect', 'Disconnect', 'Message', 'Deliver']) {
      const kmsActions = [...grantsOf(functionStatements(template, name)).keys()].filter((a) => a.startsWith('kms:'));
      expect(kmsActions.length).toBeGreaterThan(0);
      for (const action of kmsActions) expect(action).not.toContain('*');
    }
    expect(grantsOf(functionStatements(template, 'Deliver')).get('kms:GenerateDataKey')).toEqual([`<${key}.Arn>`]);
  });

  test('no rules but the construct\'s own may send to either queue, though the key widens the allow to the account', () => {
    const ruleArns = ['NotificationsNotificationRule', 'NotificationsMisaddressedEventRule']
      .map((name) => `<${resourceNamed(template, 'AWS::Events::Rule', name).id}.Arn>`);
    for (const queuePolicy of ['NotificationsDeliveryQueuePolicy', 'NotificationsDeadLetterQueuePolicy']) {
      const denies = allStatements(template).filter((s) => s.Effect === 'Deny' && s.policy.startsWith(queuePolicy)
        && JSON.stringify(s.Principal).includes('events.amazonaws.com'));
      expect(denies).toHaveLength(1);
      expect(denies[0].Action).toEqual(['sqs:SendMessage']);
      expect(denies[0].Condition!.ArnNotEquals['aws:SourceArn'].map(flatten)).toEqual(ruleArns);
    }
  });

  test('EventBridge may use the key to put events on the queue', () => {
    const keyPolicy = allStatements(template).filter((s) => s.policy === key);
    expect(keyPolicy.some((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com')
      && s.Action.includes('kms:GenerateDataKey*'))).toBe(true);
  });

  test('encrypts every log group, the functions\' and the access log group, with the key', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(6);
    for (const group of groups) expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
  });

  test('CloudWatch Logs of this region may use the key, with named actions, for log groups of this account and region only', () => {
    const logsStatements = allStatements(template).filter((s) => s.policy === key && JSON.stringify(s.Principal).includes('logs.'));
    expect(logsStatements).toHaveLength(1);
    const [statement] = logsStatements;
    expect(statement.Effect).toBe('Allow');
    expect(flatten((statement.Principal as { Service: unknown }).Service)).toBe('logs.<AWS::Region>.amazonaws.com');
    expect(statement.Action.sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']);
    expect(Object.keys(statement.Condition!)).toEqual(['ArnLike']);
    expect(Object.keys(statement.Condition!.ArnLike)).toEqual(['kms:EncryptionContext:aws:logs:arn']);
    expect(flatten(statement.Condition!.ArnLike['kms:EncryptionContext:aws:logs:arn']))
      .toBe('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*');
  });
});

test('an imported key encrypts the log groups too, and its policy is left to its owner', () => {
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  const { template } = synth({}, (stack) => ({ encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', keyArn) }));
  template.resourceCountIs('AWS::KMS::Key', 0);
  for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
    expect(group.Properties.KmsKeyId).toBe(keyArn);
  }
});

test('without encryptionKey the log groups use CloudWatch Logs\' own encryption', () => {
  const { template } = synth();
  for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
    expect(group.Properties.KmsKeyId).toBeUndefined();
  }
});

describe('alarms', () => {
  test('are created by default, without actions', () => {
    const { template, notifications } = synth();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    expect([notifications.deadLetterQueueAlarm, notifications.deliverErrorsAlarm, notifications.queueAgeAlarm,
      notifications.apiErrorsAlarm, notifications.throttlingAlarm].filter((alarm) => alarm !== undefined)).toHaveLength(5);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  test('monitoring.alarms: false creates none', () => {
    const { template, notifications } = synth({ monitoring: { alarms: false } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect([notifications.deadLetterQueueAlarm, notifications.deliverErrorsAlarm, notifications.queueAgeAlarm,
      notifications.apiErrorsAlarm, notifications.throttlingAlarm]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('monitoring.alarmTopic is notified on alarm and on recovery', () => {
    const { template } = synth({}, (stack) => ({ monitoring: { alarmTopic: new sns.Topic(stack, 'Ops') } }));
    const topic = resourceNamed(template, 'AWS::SNS::Topic', 'Ops').id;
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  test('monitoring.queueAgeAlarmThreshold sets the queue-age threshold in seconds', () => {
    const { template, stack, notifications } = synth({ monitoring: { queueAgeAlarmThreshold: Duration.minutes(15) } });
    const id = stack.getLogicalId(notifications.queueAgeAlarm!.node.defaultChild as any);
    expect(template.toJSON().Resources[id].Properties).toMatchObject({
      Threshold: 900, MetricName: 'ApproximateAgeOfOldestMessage', Namespace: 'AWS/SQS',
    });
  });
});

test('monitoring.dashboard: true creates a dashboard, off by default', () => {
  synth().template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  const { template, notifications } = synth({ monitoring: { dashboard: true } });
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  expect(notifications.dashboard).toBeDefined();
});
