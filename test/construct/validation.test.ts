import { App, CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ConnectionAuth, RealtimeNotifications, RealtimeNotificationsProps } from '../../lib';
import { synth } from './synth';

const rejects = (props: Partial<RealtimeNotificationsProps>, message: RegExp | string) =>
  expect(() => synth(props)).toThrow(message);

test('auth is required', () => {
  const stack = new Stack(new App(), 'Test');
  expect(() => new RealtimeNotifications(stack, 'N', {} as RealtimeNotificationsProps))
    .toThrow(/invalid `auth`: it is missing\. Choose ConnectionAuth\.cognito/);
});

describe('topicRules', () => {
  test.each([
    ['', 'is empty'],
    ['orders//42', 'has an empty segment'],
    ['/orders', 'has an empty segment'],
    ['orders/', 'has an empty segment'],
    ['**/orders', '"**" is allowed only as the last segment'],
    ['orders/**/x', '"**" is allowed only as the last segment'],
    ['orders/4*', 'mixes "*", "{" or "}" with other characters'],
    ['users/{userId}x', 'mixes "*", "{" or "}" with other characters'],
    ['users/{user}', 'mixes "*", "{" or "}" with other characters'],
    ['orders/ 42', 'contains whitespace or control characters'],
    ['orders/\t42', 'contains whitespace or control characters'],
    ['orders/\u000042', 'contains whitespace or control characters'],
    ['orders/\u200b42', 'contains whitespace or control characters'],
    ['orders/../admin', 'is a path trick'],
    ['orders/#', 'has characters no topic can contain'],
    ['orders/é', 'has characters no topic can contain'],
    ['x'.repeat(1025), 'is longer than 1024 characters'],
    ['users/%2f', 'has a percent-escape that no topic contains'],
  ])('%j is refused: %s', (rule, problem) => {
    expect(() => synth({ topicRules: ['ok/*', rule] })).toThrow(`invalid \`topicRules[1]\`: ${JSON.stringify(rule)} `);
    expect(() => synth({ topicRules: ['ok/*', rule] })).toThrow(problem);
  });

  test.each([['**'], ['orders/*'], ['users/{userId}/**'], ['a/*/b/**'], ['rooms/{userId}'], ['tenant:1/orders@eu/+x=y'], ['tenants/auth0|abc/**'], ['cafes/caf%C3%A9']])(
    '%j is accepted', (rule) => {
      expect(() => synth({ topicRules: [rule] })).not.toThrow();
    });

  test('the message says how to write a pattern', () => {
    rejects({ topicRules: ['a//b'] }, /Write \/-separated segments; use \* for one segment, \*\* \(last segment only\)/);
  });
});

describe('publishRules, presenceRules and historyRules', () => {
  test('historyRules may not name {userId}: a topic\'s history is the same for everyone', () => {
    rejects({ historyRules: ['rooms/*', 'users/{userId}/**'] }, /invalid `historyRules\[1\]`: "users\/\{userId\}\/\*\*" uses \{userId\}.*userHistory/);
  });

  test.each(['publishRules', 'presenceRules', 'historyRules'] as const)('%s are checked like topicRules, by their own name', (prop) => {
    expect(() => synth({ [prop]: ['rooms/*', 'rooms//x'] })).toThrow(`invalid \`${prop}[1]\`: "rooms//x" has an empty segment`);
    expect(() => synth({ [prop]: ['rooms/*', 'rooms/**'] })).not.toThrow();
  });
});

test.each<[string, Partial<RealtimeNotificationsProps>, RegExp]>([
  ['zero maxClientMessagesPerSecond', { maxClientMessagesPerSecond: 0 }, /invalid `maxClientMessagesPerSecond`: 0 is not a whole number from 1 to 10000/],
  ['fractional maxClientMessagesPerSecond', { maxClientMessagesPerSecond: 2.5 }, /invalid `maxClientMessagesPerSecond`/],
  ['maxClientMessageSize over 100 KiB', { maxClientMessageSize: Size.kibibytes(101) }, /invalid `maxClientMessageSize`: 103424 bytes is outside 1 byte to 100 KiB\. API Gateway frames carry at most 128 KB/],
  ['zero maxClientMessageSize', { maxClientMessageSize: Size.bytes(0) }, /invalid `maxClientMessageSize`/],
  ['zero maxConnectionsPerUser', { maxConnectionsPerUser: 0 }, /invalid `maxConnectionsPerUser`: 0 is not a whole number from 1 to 100000/],
  ['zero maxPresenceMembers', { maxPresenceMembers: 0 }, /invalid `maxPresenceMembers`: 0 is not a whole number from 1 to 1000/],
  ['huge maxPresenceMembers', { maxPresenceMembers: 5000 }, /invalid `maxPresenceMembers`/],
  ['empty clientMessageDetailType', { clientMessageDetailType: '' }, /invalid `clientMessageDetailType`/],
  ['clientMessageDetailType equal to detailType', { detailType: 'Chat', clientMessageDetailType: 'Chat' },
    /invalid `clientMessageDetailType`: it equals detailType \("Chat"\), so every client message would be delivered a second time/],
  ['historyRetention under a minute', { historyRetention: Duration.seconds(30) }, /invalid `historyRetention`: 30 seconds is not a whole number of seconds from 60 to 1209600/],
  ['historyRetention over 14 days', { historyRetention: Duration.days(15) }, /invalid `historyRetention`/],
  ['zero maxReplay', { maxReplay: 0 }, /invalid `maxReplay`: 0 is not a whole number from 1 to 1000/],
  ['huge maxReplay', { maxReplay: 5000 }, /invalid `maxReplay`/],
])('client messaging and history: %s is refused', (_name, props, message) => rejects(props, message));

test.each<[string, Partial<RealtimeNotificationsProps>, RegExp]>([
  ['stageName with a slash', { stageName: 'prod/v1' }, /invalid `stageName`: "prod\/v1" is not 1 to 128 letters, digits, "-" or "_"/],
  ['empty stageName', { stageName: '' }, /invalid `stageName`/],
  ['zero throttlingRateLimit', { throttlingRateLimit: 0 }, /invalid `throttlingRateLimit`: 0 is not a number above 0/],
  ['negative throttlingRateLimit', { throttlingRateLimit: -5 }, /invalid `throttlingRateLimit`/],
  ['zero throttlingBurstLimit', { throttlingBurstLimit: 0 }, /invalid `throttlingBurstLimit`: 0 is not a whole number from 1/],
  ['fractional throttlingBurstLimit', { throttlingBurstLimit: 2.5 }, /invalid `throttlingBurstLimit`/],
  ['connectionTtl under 2 hours', { connectionTtl: Duration.minutes(90) }, /invalid `connectionTtl`: 1 hour 30 minutes is not a whole number of seconds from 7200 .*API Gateway keeps open for up to 2 hours/],
  ['fractional connectionTtl', { connectionTtl: Duration.millis(7_200_500) }, /invalid `connectionTtl`/],
  ['zero maxSubscriptionsPerConnection', { maxSubscriptionsPerConnection: 0 }, /invalid `maxSubscriptionsPerConnection`: 0 is not a whole number from 1 to 1000/],
  ['huge maxSubscriptionsPerConnection', { maxSubscriptionsPerConnection: 5000 }, /invalid `maxSubscriptionsPerConnection`/],
  ['zero deliveryConcurrency', { deliveryConcurrency: 0 }, /invalid `deliveryConcurrency`: 0 is not a whole number from 1 to 1000/],
  ['zero fanoutShardThreshold', { fanoutShardThreshold: 0 }, /invalid `fanoutShardThreshold`/],
  ['fanoutShardSize over SQS message room', { fanoutShardSize: 6000, fanoutShardThreshold: 10000 }, /invalid `fanoutShardSize`: 6000 is not a whole number from 1 to 5000/],
  ['fanoutShardSize above the threshold', { fanoutShardSize: 800, fanoutShardThreshold: 500 },
    /invalid `fanoutShardSize`: 800 is larger than fanoutShardThreshold \(500\).*Set fanoutShardSize at most fanoutShardThreshold/],
  ['negative maxDeliveryRatePerSecond', { maxDeliveryRatePerSecond: -1, deliverMaxConcurrency: 2 }, /invalid `maxDeliveryRatePerSecond`/],
  ['maxDeliveryRatePerSecond below deliverMaxConcurrency', { maxDeliveryRatePerSecond: 100, deliverMaxConcurrency: 1000 },
    /invalid `maxDeliveryRatePerSecond`: 100 is below deliverMaxConcurrency \(1000\).*Raise maxDeliveryRatePerSecond/],
  ['maxDeliveryRatePerSecond without deliverMaxConcurrency', { maxDeliveryRatePerSecond: 500 }, /invalid `maxDeliveryRatePerSecond`: it caps the whole deployment.*Set deliverMaxConcurrency to a number too/],
  ['zero maxDeliveryAttempts', { maxDeliveryAttempts: 0 }, /invalid `maxDeliveryAttempts`: 0 is not a whole number from 1 to 10/],
  ['zero batchSize', { batchSize: 0 }, /invalid `batchSize`: 0 is not a whole number from 1 to 10000/],
  ['batchSize over 10000', { batchSize: 10001, maxBatchingWindow: Duration.seconds(1) }, /invalid `batchSize`/],
  ['batchSize over 10 without a window', { batchSize: 11 },
    /invalid `batchSize`: 11 is above 10 without a batching window\. .*set maxBatchingWindow to at least 1 second, or batchSize to at most 10/],
  ['maxBatchingWindow over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /invalid `maxBatchingWindow`/],
  ['deliverMaxConcurrency 1', { deliverMaxConcurrency: 1 }, /invalid `deliverMaxConcurrency`: 1 is not a whole number from 2 to 1000/],
  ['deliverTimeout over 15 minutes', { deliverTimeout: Duration.minutes(16) }, /invalid `deliverTimeout`/],
  ['zero maxReceiveCount', { maxReceiveCount: 0 }, /invalid `maxReceiveCount`: 0 is not a whole number from 1 to 1000/],
  ['empty detailType', { detailType: '' }, /invalid `detailType`/],
  ['detailType with a newline', { detailType: 'a\nb' }, /invalid `detailType`/],
  ['memorySize under 128', { memorySize: 64 }, /invalid `memorySize`: 64 is not a whole number from 128 to 10240/],
  ['queueAgeAlarmThreshold under a minute', { queueAgeAlarmThreshold: Duration.seconds(30) }, /invalid `queueAgeAlarmThreshold`/],
  ['queueAgeAlarmThreshold with alarms off', { alarms: false, queueAgeAlarmThreshold: Duration.minutes(5) },
    /invalid `queueAgeAlarmThreshold`: it is set while alarms is false/],
])('%s is refused', (_name, props, message) => {
  rejects(props, message);
});

test('alarmTopic with alarms off is refused', () => {
  expect(() => synth({ alarms: false }, (stack) => ({ alarmTopic: new sns.Topic(stack, 'Ops') })))
    .toThrow(/invalid `alarmTopic`: it is set while alarms is false, so nothing would ever notify it\. Remove alarmTopic, or leave alarms on\./);
});

test('the boundaries themselves are accepted', () => {
  expect(() => synth({
    connectionTtl: Duration.hours(2),
    maxSubscriptionsPerConnection: 1000,
    batchSize: 10000,
    maxBatchingWindow: Duration.minutes(5),
    deliverMaxConcurrency: 2,
    deliverTimeout: Duration.minutes(15),
    fanoutShardSize: 5000,
    fanoutShardThreshold: 5000,
    maxDeliveryRatePerSecond: 0,
    memorySize: 128,
  })).not.toThrow();
});

describe('tokens (such as CloudFormation parameters)', () => {
  const parameter = (stack: Stack, id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;

  test('numbers checked at deploy time are accepted, and a token batching window satisfies batchSize', () => {
    expect(() => synth({ batchSize: 100 }, (stack) => ({
      maxBatchingWindow: Duration.seconds(parameter(stack, 'Window')),
      deliveryConcurrency: parameter(stack, 'Concurrency'),
      maxSubscriptionsPerConnection: parameter(stack, 'Cap'),
    }))).not.toThrow();
  });

  test.each([
    ['deliverTimeout', (stack: Stack) => ({ deliverTimeout: Duration.seconds(parameter(stack, 'Timeout')) }),
      /invalid `deliverTimeout`: it is a token.*Give deliverTimeout a concrete Duration/],
    ['maxDeliveryRatePerSecond', (stack: Stack) => ({ maxDeliveryRatePerSecond: parameter(stack, 'Rate'), deliverMaxConcurrency: 2 }),
      /invalid `maxDeliveryRatePerSecond`: it is a token/],
    ['deliverMaxConcurrency under a rate cap', (stack: Stack) => ({ maxDeliveryRatePerSecond: 500, deliverMaxConcurrency: parameter(stack, 'Max') }),
      /invalid `maxDeliveryRatePerSecond`: it caps the whole deployment, but without a known deliverMaxConcurrency/],
  ])('a token %s that synth must compute with is refused clearly', (_name, props, message) => {
    expect(() => synth({}, props)).toThrow(message);
  });

  test('a list-token JWT audience is refused clearly', () => {
    expect(() => synth({}, (stack) => ({
      auth: ConnectionAuth.jwt({
        issuer: 'https://issuer.example.com',
        audience: new CfnParameter(stack, 'Audiences', { type: 'CommaDelimitedList' }).valueAsList,
      }),
    }))).toThrow(/invalid `auth.audience`: it is a list token/);
  });
});
