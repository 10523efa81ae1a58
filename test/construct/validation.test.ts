import { App, CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ConnectionAuth, RealtimeNotifications, RealtimeNotificationsProps } from '../../lib';
import { MOVED_PROPS } from '../../lib/private/moved-props';
import { synth } from './synth';

const rejects = (props: Partial<RealtimeNotificationsProps>, message: RegExp | string) =>
  expect(() => synth(props)).toThrow(message);

test('auth is required', () => {
  const stack = new Stack(new App(), 'Test');
  expect(() => new RealtimeNotifications(stack, 'N', {} as RealtimeNotificationsProps))
    .toThrow(/invalid `auth`: it is missing\. Choose ConnectionAuth\.cognito/);
});

describe('0.x props, moved in 1.0', () => {
  test('are refused, naming the new place, instead of silently taking the default', () => {
    const upgraded = { fanoutShardSize: 500 } as Partial<RealtimeNotificationsProps>;
    expect(() => synth(upgraded))
      .toThrow('RealtimeNotifications: invalid `fanoutShardSize`: it was moved in 1.0. Set `delivery.shardSize` instead.');
  });

  test.each(Object.entries(MOVED_PROPS))('%s → %s', (old, path) => {
    // Any value counts, `alarms: false` (the old boolean) as much as a number or a Duration.
    for (const value of [false, 0, Duration.minutes(1)]) {
      expect(() => synth({ [old]: value } as Partial<RealtimeNotificationsProps>))
        .toThrow(`invalid \`${old}\`: it was moved in 1.0. Set \`${path}\` instead.`);
    }
  });

  test('several are named in one error, each with its new place', () => {
    const upgraded = { fanoutShardSize: 500, deliverTimeout: Duration.minutes(2) } as Partial<RealtimeNotificationsProps>;
    expect(() => synth(upgraded)).toThrow('RealtimeNotifications: invalid `fanoutShardSize`, `deliverTimeout`: they were moved in 1.0. '
      + 'Set `delivery.shardSize` instead of `fanoutShardSize`, `delivery.timeout` instead of `deliverTimeout`.');
  });

  test('one left undefined (as a spread of optional values leaves it) is no error', () => {
    expect(() => synth({ fanoutShardSize: undefined, alarms: undefined } as Partial<RealtimeNotificationsProps>)).not.toThrow();
  });
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

test.each([
  ['detailType', { detailType: 'MarkRead' }],
  ['clientMessages.detailType', { clientMessages: { detailType: 'NotificationsRead' } }],
  ['detailType', { detailType: 'ConnectionControl' }],
] as const)(
  '%s may not be one of the construct\'s own detail types (%j)', (prop, props) => {
    expect(() => synth(props)).toThrow(`invalid \`${prop}\``);
    expect(() => synth(props)).toThrow(/the detail type of the construct's own events/);
  });

describe('publishRules, presenceRules and historyRules', () => {
  test('historyRules may not name {userId}: a topic\'s history is the same for everyone', () => {
    rejects({ historyRules: ['rooms/*', 'users/{userId}/**'] }, /invalid `historyRules\[1\]`: "users\/\{userId\}\/\*\*" uses \{userId\}.*history\.userStreams/);
  });

  test('hotTopics rules are topic patterns without {userId}', () => {
    rejects({ hotTopics: { subscriptionRules: ['live/*', 'users/{userId}/feed'] } },
      /invalid `hotTopics\.subscriptionRules\[1\]`: "users\/\{userId\}\/feed" uses \{userId\}.*live\/\*/);
    rejects({ hotTopics: { historyRules: ['live/**/x'] } }, /invalid `hotTopics\.historyRules\[0\]`/);
  });

  test.each(['users/*', 'users/{userId}', 'users/**'])('publishRules may not name topics under users/ (%s): clients never publish there', (pattern) => {
    rejects({ publishRules: ['rooms/*', pattern] }, /invalid `publishRules\[1\]`: .* names topics under "users\/", which are never open to client publishing/);
  });

  test.each(['publishRules', 'presenceRules', 'historyRules'] as const)('%s are checked like topicRules, by their own name', (prop) => {
    expect(() => synth({ [prop]: ['rooms/*', 'rooms//x'] })).toThrow(`invalid \`${prop}[1]\`: "rooms//x" has an empty segment`);
    expect(() => synth({ [prop]: ['rooms/*', 'rooms/**'] })).not.toThrow();
  });
});

test.each<[string, Partial<RealtimeNotificationsProps>, RegExp]>([
  ['zero clientMessages.maxPerSecond', { clientMessages: { maxPerSecond: 0 } }, /invalid `clientMessages\.maxPerSecond`: 0 is not a whole number from 1 to 10000/],
  ['fractional clientMessages.maxPerSecond', { clientMessages: { maxPerSecond: 2.5 } }, /invalid `clientMessages\.maxPerSecond`/],
  ['clientMessages.maxSize over 100 KiB', { clientMessages: { maxSize: Size.kibibytes(101) } }, /invalid `clientMessages\.maxSize`: 103424 bytes is outside 1 byte to 100 KiB\. API Gateway frames carry at most 128 KB/],
  ['zero clientMessages.maxSize', { clientMessages: { maxSize: Size.bytes(0) } }, /invalid `clientMessages\.maxSize`/],
  ['payloads.maxObjectSize under 1 KiB', { payloads: { maxObjectSize: Size.bytes(100) } },
    /invalid `payloads\.maxObjectSize`: 100 bytes is outside 1 KiB to 5 GiB\. One S3 PutObject stores at most 5 GiB, and clients download a payload whole: set it between Size\.kibibytes\(1\) and Size\.gibibytes\(5\)/],
  ['payloads.maxObjectSize over 5 GiB', { payloads: { maxObjectSize: Size.gibibytes(6) } }, /invalid `payloads\.maxObjectSize`/],
  ['payloads.urlExpiry over an hour', { payloads: { urlExpiry: Duration.hours(2) } }, /invalid `payloads\.urlExpiry`.*presign a new URL/],
  ['payloads.urlExpiry under 10 seconds', { payloads: { urlExpiry: Duration.seconds(5) } }, /invalid `payloads\.urlExpiry`/],
  ['zero connections.maxPerUser', { connections: { maxPerUser: 0 } }, /invalid `connections\.maxPerUser`: 0 is not a whole number from 1 to 1000/],
  ['zero clientMessages.maxPresenceMembers', { clientMessages: { maxPresenceMembers: 0 } }, /invalid `clientMessages\.maxPresenceMembers`: 0 is not a whole number from 1 to 1000/],
  ['huge clientMessages.maxPresenceMembers', { clientMessages: { maxPresenceMembers: 5000 } }, /invalid `clientMessages\.maxPresenceMembers`/],
  ['empty clientMessages.detailType', { clientMessages: { detailType: '' } }, /invalid `clientMessages\.detailType`/],
  ['clientMessages.detailType equal to detailType', { detailType: 'Chat', clientMessages: { detailType: 'Chat' } },
    /invalid `clientMessages\.detailType`: it equals detailType \("Chat"\), so every client message would be delivered a second time/],
  ['history.retention under a minute', { history: { retention: Duration.seconds(30) } }, /invalid `history\.retention`: 30 seconds is not a whole number of seconds from 60 to 1209600/],
  ['history.retention over 14 days', { history: { retention: Duration.days(15) } }, /invalid `history\.retention`/],
  ['zero history.maxReplay', { history: { maxReplay: 0 } }, /invalid `history\.maxReplay`: 0 is not a whole number from 1 to 1000/],
  ['huge history.maxReplay', { history: { maxReplay: 5000 } }, /invalid `history\.maxReplay`/],
])('client messaging and history: %s is refused', (_name, props, message) => rejects(props, message));

test.each<[string, Partial<RealtimeNotificationsProps>, RegExp]>([
  ['stageName with a slash', { stageName: 'prod/v1' }, /invalid `stageName`: "prod\/v1" is not 1 to 128 letters, digits, "-" or "_"/],
  ['empty stageName', { stageName: '' }, /invalid `stageName`/],
  ['zero throttle.rateLimit', { throttle: { rateLimit: 0 } }, /invalid `throttle\.rateLimit`: 0 is not a number above 0/],
  ['negative throttle.rateLimit', { throttle: { rateLimit: -5 } }, /invalid `throttle\.rateLimit`/],
  ['zero throttle.burstLimit', { throttle: { burstLimit: 0 } }, /invalid `throttle\.burstLimit`: 0 is not a whole number from 1/],
  ['fractional throttle.burstLimit', { throttle: { burstLimit: 2.5 } }, /invalid `throttle\.burstLimit`/],
  ['connections.ttl under 2 hours', { connections: { ttl: Duration.minutes(90) } }, /invalid `connections\.ttl`: 1 hour 30 minutes is not a whole number of seconds from 7200 .*API Gateway keeps open for up to 2 hours/],
  ['fractional connections.ttl', { connections: { ttl: Duration.millis(7_200_500) } }, /invalid `connections\.ttl`/],
  ['zero connections.maxSubscriptions', { connections: { maxSubscriptions: 0 } }, /invalid `connections\.maxSubscriptions`: 0 is not a whole number from 1 to 1000/],
  ['huge connections.maxSubscriptions', { connections: { maxSubscriptions: 5000 } }, /invalid `connections\.maxSubscriptions`/],
  ['zero delivery.postConcurrency', { delivery: { postConcurrency: 0 } }, /invalid `delivery\.postConcurrency`: 0 is not a whole number from 1 to 1000/],
  ['zero delivery.shardThreshold', { delivery: { shardThreshold: 0 } }, /invalid `delivery\.shardThreshold`/],
  ['delivery.shardSize over SQS message room', { delivery: { shardSize: 6000, shardThreshold: 10000 } }, /invalid `delivery\.shardSize`: 6000 is not a whole number from 1 to 5000/],
  ['delivery.shardSize above the threshold', { delivery: { shardSize: 800, shardThreshold: 500 } },
    /invalid `delivery\.shardSize`: 800 is larger than delivery\.shardThreshold \(500\).*Set delivery\.shardSize at most delivery\.shardThreshold/],
  ['negative delivery.maxRatePerSecond', { delivery: { maxRatePerSecond: -1, maxConcurrency: 2 } }, /invalid `delivery\.maxRatePerSecond`/],
  ['delivery.maxRatePerSecond below delivery.maxConcurrency', { delivery: { maxRatePerSecond: 100, maxConcurrency: 1000 } },
    /invalid `delivery\.maxRatePerSecond`: 100 is below delivery\.maxConcurrency \(1000\).*Raise delivery\.maxRatePerSecond/],
  ['delivery.maxRatePerSecond without delivery.maxConcurrency', { delivery: { maxRatePerSecond: 500 } }, /invalid `delivery\.maxRatePerSecond`: it caps the whole deployment.*Set delivery\.maxConcurrency to a number too/],
  ['zero delivery.maxAttempts', { delivery: { maxAttempts: 0 } }, /invalid `delivery\.maxAttempts`: 0 is not a whole number from 1 to 10/],
  ['zero delivery.batchSize', { delivery: { batchSize: 0 } }, /invalid `delivery\.batchSize`: 0 is not a whole number from 1 to 10000/],
  ['delivery.batchSize over 10000', { delivery: { batchSize: 10001, maxBatchingWindow: Duration.seconds(1) } }, /invalid `delivery\.batchSize`/],
  ['delivery.batchSize over 10 without a window', { delivery: { batchSize: 11 } },
    /invalid `delivery\.batchSize`: 11 is above 10 without a batching window\. .*set delivery\.maxBatchingWindow to at least 1 second, or delivery\.batchSize to at most 10/],
  ['delivery.maxBatchingWindow over 5 minutes', { delivery: { maxBatchingWindow: Duration.minutes(6) } }, /invalid `delivery\.maxBatchingWindow`/],
  ['delivery.maxConcurrency 1', { delivery: { maxConcurrency: 1 } }, /invalid `delivery\.maxConcurrency`: 1 is not a whole number from 2 to 1000/],
  ['delivery.timeout over 15 minutes', { delivery: { timeout: Duration.minutes(16) } }, /invalid `delivery\.timeout`/],
  ['zero delivery.maxReceiveCount', { delivery: { maxReceiveCount: 0 } }, /invalid `delivery\.maxReceiveCount`: 0 is not a whole number from 1 to 1000/],
  ['empty detailType', { detailType: '' }, /invalid `detailType`/],
  ['detailType with a newline', { detailType: 'a\nb' }, /invalid `detailType`/],
  ['detailType with a C1 control character', { detailType: 'a\u0085b' }, /invalid `detailType`: "a\?b" is not 1 to 128 characters without control characters/],
  ['detailType of 129 characters', { detailType: 'x'.repeat(129) }, /invalid `detailType`/],
  ['clientMessages.detailType with a tab', { clientMessages: { detailType: 'Chat\tMessage' } }, /invalid `clientMessages\.detailType`/],
  ['functions.memorySize under 128', { functions: { memorySize: 64 } }, /invalid `functions\.memorySize`: 64 is not a whole number from 128 to 10240/],
  ['monitoring.queueAgeAlarmThreshold under a minute', { monitoring: { queueAgeAlarmThreshold: Duration.seconds(30) } }, /invalid `monitoring\.queueAgeAlarmThreshold`/],
  ['monitoring.queueAgeAlarmThreshold with alarms off', { monitoring: { alarms: false, queueAgeAlarmThreshold: Duration.minutes(5) } },
    /invalid `monitoring\.queueAgeAlarmThreshold`: it is set while monitoring\.alarms is false/],
])('%s is refused', (_name, props, message) => {
  rejects(props, message);
});

test('monitoring.alarmTopic with alarms off is refused', () => {
  expect(() => synth({}, (stack) => ({ monitoring: { alarms: false, alarmTopic: new sns.Topic(stack, 'Ops') } })))
    .toThrow(/invalid `monitoring\.alarmTopic`: it is set while monitoring\.alarms is false, so nothing would ever notify it\. Remove monitoring\.alarmTopic, or leave alarms on\./);
});

test('the boundaries themselves are accepted', () => {
  expect(() => synth({
    connections: { ttl: Duration.hours(2), maxSubscriptions: 1000 },
    delivery: {
      batchSize: 10000,
      maxBatchingWindow: Duration.minutes(5),
      maxConcurrency: 2,
      timeout: Duration.minutes(15),
      shardSize: 5000,
      shardThreshold: 5000,
      maxRatePerSecond: 0,
    },
    functions: { memorySize: 128 },
  })).not.toThrow();
});

test('a detailType of 128 characters is accepted, counted as characters (an emoji is one), not UTF-16 units', () => {
  expect(() => synth({ detailType: '🔔'.repeat(128), clientMessages: { detailType: 'x'.repeat(128) } })).not.toThrow();
});

describe('tokens (such as CloudFormation parameters)', () => {
  const parameter = (stack: Stack, id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;

  test('numbers checked at deploy time are accepted, and a token batching window satisfies batchSize', () => {
    expect(() => synth({}, (stack) => ({
      delivery: { batchSize: 100, maxBatchingWindow: Duration.seconds(parameter(stack, 'Window')), postConcurrency: parameter(stack, 'Concurrency') },
      connections: { maxSubscriptions: parameter(stack, 'Cap') },
    }))).not.toThrow();
  });

  test.each([
    ['delivery.timeout', (stack: Stack) => ({ delivery: { timeout: Duration.seconds(parameter(stack, 'Timeout')) } }),
      /invalid `delivery\.timeout`: it is a token.*Give delivery\.timeout a concrete Duration/],
    ['delivery.maxRatePerSecond', (stack: Stack) => ({ delivery: { maxRatePerSecond: parameter(stack, 'Rate'), maxConcurrency: 2 } }),
      /invalid `delivery\.maxRatePerSecond`: it is a token/],
    ['delivery.maxConcurrency under a rate cap', (stack: Stack) => ({ delivery: { maxRatePerSecond: 500, maxConcurrency: parameter(stack, 'Max') } }),
      /invalid `delivery\.maxRatePerSecond`: it caps the whole deployment, but without a known delivery\.maxConcurrency/],
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

describe('push.allowedEndpoints', () => {
  test.each([
    ['a URL', 'https://fcm.googleapis.com/fcm'],
    ['the local runtime\'s loopback entry', 'http://loopback'],
    ['a host with a port', 'push.example.com:8443'],
    ['a bare name', 'localhost'],
    ['a wildcard in the middle', 'push.*.example.com'],
  ])('refuses %s, saying what to give', (_name, host) => {
    rejects({ push: { allowedEndpoints: ['fcm.googleapis.com', host] } },
      `invalid \`push.allowedEndpoints[1]\`: ${JSON.stringify(host)} is not a lower-case host name with at least one dot, optionally starting with "*.". `
      + 'Give a host name such as "fcm.googleapis.com"');
  });

  test('accepts hosts and *. patterns', () => {
    expect(() => synth({ push: { allowedEndpoints: ['fcm.googleapis.com', '*.push.example.com'] } })).not.toThrow();
  });

  test('push.maxDevicesPerUser and push.deviceTtl are held to their ranges', () => {
    rejects({ push: { maxDevicesPerUser: 0 } }, /invalid `push\.maxDevicesPerUser`/);
    rejects({ push: { deviceTtl: Duration.hours(1) } }, /invalid `push\.deviceTtl`/);
  });
});

describe('push.apns and push.fcm', () => {
  test.each([
    ['apns', 'arn:aws:sns:us-east-1:123456789012:app/GCM/android', /invalid `push\.apns`: .* is not the ARN of an SNS platform application for APNs\. Give the ARN SNS shows/],
    ['fcm', 'arn:aws:sns:us-east-1:123456789012:app/APNS/ios', /invalid `push\.fcm`: .* is not the ARN of an SNS platform application for FCM/],
    ['fcm', 'arn:aws:sns:us-east-1:123456789012:my-topic', /invalid `push\.fcm`/],
  ])('push.%s refuses %s', (prop, arn, message) => {
    rejects({ push: { [prop]: arn } }, message);
  });

  test('accept their platform applications, the APNs sandbox too', () => {
    expect(() => synth({ push: { apns: 'arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/ios', fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/android' } })).not.toThrow();
  });

  test('refuse a token: the endpoints the functions may use are derived at synth', () => {
    rejects({ push: { fcm: new CfnParameter(new Stack(new App(), 'P'), 'Fcm').valueAsString } }, /invalid `push\.fcm`: it is a deploy-time token/);
  });
});
