/**
 * Deliver against a DynamoDB and an SQS that answer too slowly: the real handler with its real SDK
 * clients, dynalite behind a proxy that holds requests back, and the local SQS API holding back
 * its answers. The invocation gives the record back to SQS (a batch item failure) before the
 * function's timeout instead of being timed out with its whole batch, and once the dependency
 * is fast again the notification reaches everyone, always with the same id.
 */
import { SQSBatchResponse } from 'aws-lambda';
import { envNameOf } from '../../lib/private/settings';
import {
  bridgeEvent, deploy, Deployment, lambdaContext, parsedFrames, recordMetrics, Services, shardBody, sqsRecord, startServices,
} from '../lambda/fanout/harness';
import { DynamoProxy, startDynamoProxy } from './support/dynamodb-proxy';

/** Longer than any invocation here is given: the answer never comes in time. */
const TOO_SLOW_MS = 30_000;
/** What the Lambda context says is left when the slow invocations start. */
const INVOCATION_MS = 3_000;

let services: Services;
let proxy: DynamoProxy;
let slowQueries = false;
let stopRecordingMetrics: () => void;

beforeAll(async () => {
  stopRecordingMetrics = recordMetrics();
  services = await startServices();
  proxy = await startDynamoProxy({
    target: services.dynamo.env.AWS_ENDPOINT_URL_DYNAMODB,
    latency: (operation) => (slowQueries && operation === 'Query' ? TOO_SLOW_MS : undefined),
  });
});
afterAll(async () => {
  await proxy?.close();
  await services?.stop();
  stopRecordingMetrics?.();
});
beforeEach(() => {
  slowQueries = false;
  services.sqsLatency = () => undefined;
});

/** Deliver reaching DynamoDB through the proxy. */
function deployBehindProxy(env: Record<string, string> = {}): Promise<Deployment> {
  return deploy(services, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, ...env });
}

/** Runs the handler with INVOCATION_MS left; says whether it answered before that ran out. */
async function invokeWithLittleTime(d: Deployment, records: ReturnType<typeof sqsRecord>[]): Promise<{ response: SQSBatchResponse; answeredInTime: boolean }> {
  const context = lambdaContext(INVOCATION_MS);
  const response = await d.handler({ Records: records }, context);
  return { response, answeredInTime: context.getRemainingTimeInMillis() > 0 };
}

/** Every listed connection got the notification at least once, and every copy carries its id. */
function expectDelivered(d: Deployment, connectionIds: string[], notificationId: string): void {
  for (const connectionId of connectionIds) {
    const ids = parsedFrames(d, connectionId).map((f) => f.id);
    expect({ connectionId, received: ids.length > 0, ids: [...new Set(ids)] }).toEqual({ connectionId, received: true, ids: [notificationId] });
  }
}

test('a DynamoDB too slow to answer: the record is given back before the timeout, and delivered once DynamoDB is back', async () => {
  const d = await deployBehindProxy();
  await d.connect('sd-a', { topics: ['slow/db'] });
  await d.connect('sd-b', { topics: ['slow/db'] });
  await d.connect('sd-c');
  slowQueries = true;
  const slow = sqsRecord(bridgeEvent({ topic: 'slow/db', id: 'n-slow-db', data: 1 }), d.queueUrl);
  // A shard names its connections, so it is delivered without reading DynamoDB.
  const fine = sqsRecord(shardBody('n-fine', ['sd-c']), d.queueUrl);

  const { response, answeredInTime } = await invokeWithLittleTime(d, [slow, fine]);

  expect(answeredInTime).toBe(true);
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: slow.messageId }]);
  expect(proxy.forwarded.get('Query') ?? 0).toBe(0);
  expect(d.frames.get('sd-a')).toEqual([]);
  expectDelivered(d, ['sd-c'], 'n-fine');

  // SQS delivers the record again once DynamoDB answers.
  slowQueries = false;
  const again = await d.handler({ Records: [sqsRecord(slow.body, d.queueUrl, 2)] }, lambdaContext());
  expect(again.batchItemFailures).toEqual([]);
  expectDelivered(d, ['sd-a', 'sd-b'], 'n-slow-db');
  expect(d.deadLetters()).toEqual([]);
});

test('a DynamoDB too slow on the last receive: the record is dead-lettered with its reason before the timeout', async () => {
  const d = await deployBehindProxy({ [envNameOf('delivery.maxReceiveCount')]: '2' });
  await d.connect('sl-a', { topics: ['slow/last'] });
  slowQueries = true;
  const body = bridgeEvent({ topic: 'slow/last', id: 'n-slow-last', data: 1 });

  const { response, answeredInTime } = await invokeWithLittleTime(d, [sqsRecord(body, d.queueUrl, 2)]);

  expect(answeredInTime).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const letters = d.deadLetters();
  expect(letters.map((m) => ({ body: m.body, reason: m.attributes.reason, notificationId: m.attributes.notificationId })))
    .toEqual([{ body, reason: 'RETRIES_EXHAUSTED', notificationId: 'n-slow-last' }]);
  expect(letters[0].attributes.reasonMessage).toMatch(/AbortError \(a DynamoDB or SQS call too slow for the time left\) on each of 2 receive/);
});

test('an SQS too slow to answer: the record is given back before the timeout, and nothing is lost', async () => {
  // Every connection of the audience goes to a shard message, so delivery needs SQS.
  const d = await deployBehindProxy({ [envNameOf('delivery.shardThreshold')]: '1', [envNameOf('delivery.shardSize')]: '1' });
  const audience = ['ss-a', 'ss-b', 'ss-c'];
  for (const connectionId of audience) await d.connect(connectionId, { topics: ['slow/sqs'] });
  await d.connect('ss-d');
  // SQS takes the shards at once but answers too late: deliver cannot know they were taken.
  services.sqsLatency = ({ queueUrl }) => (queueUrl === d.queueUrl ? TOO_SLOW_MS : undefined);
  const slow = sqsRecord(bridgeEvent({ topic: 'slow/sqs', id: 'n-slow-sqs', data: 1 }), d.queueUrl);
  const fine = sqsRecord(shardBody('n-fine', ['ss-d']), d.queueUrl);

  const { response, answeredInTime } = await invokeWithLittleTime(d, [slow, fine]);

  expect(answeredInTime).toBe(true);
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: slow.messageId }]);
  expectDelivered(d, ['ss-d'], 'n-fine');

  // SQS answers in time again: the shards it took are delivered, and so is the record received again.
  services.sqsLatency = () => undefined;
  await d.drainQueue();
  const again = await d.handler({ Records: [sqsRecord(slow.body, d.queueUrl, 2)] }, lambdaContext());
  expect(again.batchItemFailures).toEqual([]);
  await d.drainQueue();
  expectDelivered(d, audience, 'n-slow-sqs');
  expect(d.deadLetters()).toEqual([]);
});
