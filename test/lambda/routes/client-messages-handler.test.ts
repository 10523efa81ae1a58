/**
 * The message handler's publish path against real components (embedded DynamoDB, the local
 * @connections and SQS APIs, the local event bus), for what the end-to-end suite cannot see:
 * the metrics it reports, and what happens when EventBridge refuses the ClientMessage event.
 */
import type { Context } from 'aws-lambda';
import type { RouteResponse, WebSocketEvent } from '../../../lambda/protocol/websocket-event';
import { CLIENT_MESSAGE_DETAIL, clientMessageEvent, firstViolation } from '../../../lib/private/protocol';
import { RuntimeSettings, handlerEnvironment } from '../../../lib/private/handlers';
import { SETTINGS } from '../../../lib/private/settings';
import { LocalEventBus } from '../../../local/bus/event-bus';
import { BusEvent } from '../../../local/bus/put-events';
import { LoopbackServer, serveOnLoopback } from '../../../local/loopback-server';
import { localSettings } from '../../../local/settings';
import { createStores, Stores } from '../../../lambda/stores';
import { loadHandler } from '../../support/handlers';
import { schemaMismatch } from '../../support/schema';
import { messageEvent } from '../../support/websocket-events';
import { captureMetrics, lambdaContext, recordMetrics, Services, startServices } from '../fanout/harness';
import { openLiveConnection } from './live-connections';

type Handler = (event: WebSocketEvent, context?: Context) => Promise<RouteResponse>;

const ROOM = 'rooms/lobby';
let services: Services;
let bus: LocalEventBus;
let busServer: LoopbackServer;
/** Answers every PutEvents entry with a failure, as EventBridge does when it cannot take it. */
let refusingBus: LoopbackServer;
let busEvents: BusEvent[];
let stores: Stores;
let restoreStdout: () => void;
const frames = new Map<string, string[]>();

beforeAll(async () => {
  restoreStdout = recordMetrics();
  services = await startServices();
  bus = new LocalEventBus({ name: 'chat-bus', region: 'us-east-1', account: '000000000000' });
  bus.addRule({ name: 'All', pattern: { 'detail-type': ['ClientMessage'] }, target: (event) => busEvents.push(event) });
  busServer = await serveOnLoopback((req, res) => bus.handle(req, res));
  refusingBus = await serveOnLoopback((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] }));
    return true;
  });
});
afterAll(async () => {
  await busServer.close();
  await refusingBus.close();
  await services.stop();
  restoreStdout();
});
beforeEach(() => {
  busEvents = [];
});

async function deployMessage(busEndpoint: string, overrides: Partial<RuntimeSettings> = {}): Promise<Handler> {
  const tables = await services.dynamo.freshTables();
  stores = createStores(tables, services.dynamo.doc);
  const settings = localSettings('http://127.0.0.1:9', {
    serviceName: 'notifications-test',
    ...tables,
    callbackUrl: services.connectionsApi.endpoint,
    queueUrl: services.sqs.queueUrl('deliveries'),
    deadLetterQueueUrl: services.sqs.queueUrl('dead-letters'),
    eventBusName: bus.name,
    publishRules: ['rooms/*'],
    'clientMessages.maxPerSecond': 2,
    ...overrides,
  });
  return loadHandler<{ handler: Handler }>('message', {
    ...services.dynamo.env,
    ...handlerEnvironment('message', settings),
    AWS_ENDPOINT_URL_EVENTBRIDGE: busEndpoint,
    POWERTOOLS_METRICS_DISABLED: 'false',
  }).handler;
}

/** A connection: its row, its subscription, and a live socket at the local @connections API. */
async function member(userId: string, handler: Handler): Promise<string> {
  const connectionId = await openLiveConnection(services, stores, frames, userId);
  expect(JSON.parse((await handler(messageEvent(JSON.stringify({ action: 'subscribe', topic: ROOM }), { connectionId, userId }))).body!))
    .toMatchObject({ type: 'subscribed' });
  return connectionId;
}

const publishTo = async (handler: Handler, topic: string, connectionId: string, userId: string, data: unknown) =>
  JSON.parse((await handler(messageEvent(JSON.stringify({ action: 'publish', topic, data }), { connectionId, userId }), lambdaContext(10_000))).body!);
const publish = (handler: Handler, connectionId: string, userId: string, data: unknown) => publishTo(handler, ROOM, connectionId, userId, data);

test('counts accepted and rate-limited messages in the construct\'s metrics', async () => {
  const handler = await deployMessage(busServer.origin);
  const alice = await member('alice', handler);
  const bob = await member('bob', handler);
  const { result: answers, metrics } = await captureMetrics(async () => {
    const out = [];
    // Six at a limit of two per second: even across one second boundary, some are refused.
    for (let i = 0; i < 6; i++) out.push(await publish(handler, alice, 'alice', { n: i }));
    return out;
  });
  const accepted = answers.filter((a) => a.type === 'published').length;
  const limited = answers.filter((a) => a.code === 'RATE_LIMITED').length;
  expect(accepted + limited).toBe(6);
  expect(limited).toBeGreaterThan(0);
  expect(metrics).toMatchObject({ ClientMessages: accepted, RateLimited: limited, Delivered: accepted });
  expect(frames.get(bob)).toHaveLength(accepted);
  expect(busEvents).toHaveLength(accepted);
  // Each as documented: docs/protocol.md and docs/asyncapi.json are generated from these schemas.
  for (const event of busEvents) {
    expect(schemaMismatch(event.detail, CLIENT_MESSAGE_DETAIL)).toBeUndefined();
    expect(firstViolation(event, clientMessageEvent(SETTINGS['clientMessages.detailType'].default))).toBeUndefined();
  }
});

test('a message EventBridge refuses is answered INTERNAL and delivered to nobody', async () => {
  const handler = await deployMessage(refusingBus.origin);
  const alice = await member('alice', handler);
  const bob = await member('bob', handler);
  expect(await publish(handler, alice, 'alice', 'lost?')).toMatchObject({ type: 'error', code: 'INTERNAL' });
  expect(frames.get(bob)).toEqual([]);
  expect(services.sqs.store.messages(services.sqs.queueUrl('deliveries'))).toEqual([]);
});

test('answers the position only to a sender who may read the topic', async () => {
  // Both keep history; clients may publish to both, but subscribe to rooms only.
  const handler = await deployMessage(busServer.origin, {
    topicRules: ['rooms/*'], publishRules: ['rooms/*', 'suggestions/*'], historyRules: ['rooms/*', 'suggestions/*'],
  });
  const alice = await member('alice', handler);
  const bob = await openLiveConnection(services, stores, frames, 'bob');
  expect(await publishTo(handler, ROOM, alice, 'alice', 'hi')).toEqual({ type: 'published', topic: ROOM, id: expect.any(String), seq: 1, epoch: expect.any(String) });

  // A seq would count the messages of a stream bob may not read.
  const topic = 'suggestions/menu';
  for (let i = 0; i < 2; i++) {
    expect(await publishTo(handler, topic, bob, 'bob', { n: i })).toEqual({ type: 'published', topic, id: expect.any(String) });
  }
  expect(JSON.parse((await handler(messageEvent(JSON.stringify({ action: 'history', topic }), { connectionId: bob, userId: 'bob' }))).body!))
    .toMatchObject({ type: 'error', code: 'FORBIDDEN' });
});
