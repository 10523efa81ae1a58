/**
 * The events the local runtime hands to handlers, checked field by field against the typed shapes
 * of real ones: the Powertools parser schemas (API Gateway WebSocket, SQS, EventBridge) and the
 * @types/aws-lambda interfaces. Every field must be there with the right type, and no field may
 * be there that AWS does not send.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { APIGatewayProxyWebsocketEventSchema, EventBridgeSchema, SqsRecordSchema, SqsSchema } from '@aws-lambda-powertools/parser/schemas';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyWebsocketEventV2, APIGatewayRequestAuthorizerEvent, SQSEvent } from 'aws-lambda';
import WebSocket from 'ws';
import { z } from 'zod';
import { LocalEventBus } from '../../local/bus/event-bus';
import { md5OfMessageAttributes } from '../../local/queue/checksums';
import { EventSourceMapping } from '../../local/queue/event-source-mapping';
import { LocalQueue } from '../../local/queue/queue';
import { handleSqsRequest, LocalQueueStore } from '../../local/sqs-api';
import { RecordedEvent, startGateway, TEST_API } from './support/gateway-harness';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RequestContext = APIGatewayProxyWebsocketEventSchema.shape.requestContext;
const AuthorizerContext = z.object({ userId: z.string(), principalId: z.string(), integrationLatency: z.number() }).strict();

/** The authorizer's event: Powertools' schema is exactly the REQUEST authorizer event of a WebSocket API. */
const AuthorizerEventSchema = APIGatewayProxyWebsocketEventSchema.extend({ requestContext: RequestContext.strict() }).strict();
/** $connect: the same headers and query, no type/methodArn, and the authorizer's context. */
const ConnectEventSchema = APIGatewayProxyWebsocketEventSchema
  .omit({ type: true, methodArn: true, stageVariables: true, body: true })
  .extend({ requestContext: RequestContext.extend({ authorizer: AuthorizerContext }).strict() })
  .strict();
/** Message routes: @types/aws-lambda's APIGatewayProxyWebsocketEventV2 (messageId, body), no headers. */
const MessageEventSchema = z.object({
  requestContext: RequestContext.extend({ messageId: z.string(), authorizer: AuthorizerContext }).strict(),
  body: z.string(),
  isBase64Encoded: z.boolean(),
}).strict();
/** $disconnect: API Gateway's few headers, the close code and reason. */
const DisconnectEventSchema = z.object({
  headers: z.record(z.string(), z.string()),
  multiValueHeaders: z.record(z.string(), z.array(z.string())),
  requestContext: RequestContext.extend({
    disconnectStatusCode: z.number(),
    disconnectReason: z.string(),
    authorizer: AuthorizerContext,
  }).strict(),
  isBase64Encoded: z.literal(false),
}).strict();

const API_GATEWAY_ID = /^[A-Za-z0-9_-]{15}=$/;
const REQUEST_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

describe('API Gateway WebSocket events', () => {
  let events: RecordedEvent[];
  let byIntegration: (name: string) => Record<string, any>[];

  beforeAll(async () => {
    const harness = await startGateway();
    events = harness.events;
    byIntegration = (name) => events.filter((e) => e.integration === name).map((e) => e.event);
    const ws = new WebSocket(`${harness.wsUrl}?token=alice&lang=en&lang=fr`, { headers: { 'User-Agent': 'fidelity-test/1.0', 'X-Custom': 'one' } });
    await new Promise((resolve) => ws.once('open', resolve));
    const replies: string[] = [];
    ws.on('message', (data) => replies.push(data.toString()));
    ws.send(JSON.stringify({ action: 'ping' }));
    ws.send('not json');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    while (replies.length < 3) await new Promise((resolve) => ws.once('message', resolve));
    ws.close(4000, 'bye');
    await new Promise((resolve) => ws.once('close', resolve));
    await harness.stop();
  });

  it('gives the authorizer a REQUEST event as Powertools parses it', () => {
    const [event] = byIntegration('authorizer');
    expect(() => AuthorizerEventSchema.parse(event)).not.toThrow();
    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:${TEST_API.accountId}:${TEST_API.apiId}/local/$connect`,
      queryStringParameters: { token: 'alice', lang: 'fr' },
      multiValueQueryStringParameters: { token: ['alice'], lang: ['en', 'fr'] },
      stageVariables: {},
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({ 'User-Agent': 'fidelity-test/1.0', 'X-Custom': 'one', 'X-Forwarded-For': '127.0.0.1' });
    expect(event.headers['Sec-WebSocket-Key']).toEqual(expect.any(String));
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one']);
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event.requestContext).not.toHaveProperty('messageId');
    // The shape the authorizer handler is typed against.
    const typed: Pick<APIGatewayRequestAuthorizerEvent, 'type' | 'methodArn' | 'headers' | 'queryStringParameters'> = event as any;
    expect(typed.type).toBe('REQUEST');
  });

  it('gives $connect the handshake headers and query and the authorizer context', () => {
    const [event] = byIntegration('connect');
    expect(() => ConnectEventSchema.parse(event)).not.toThrow();
    expect(event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', authorizer: { userId: 'alice', principalId: 'alice' } });
    expect(event.queryStringParameters).toEqual({ token: 'alice', lang: 'fr' });
  });

  it('gives message routes the frame in body, the route key, a messageId and the authorizer context', () => {
    const ping = byIntegration('ping');
    const fallback = byIntegration('$default');
    expect(ping).toHaveLength(1);
    expect(fallback).toHaveLength(2);
    for (const event of [...ping, ...fallback]) {
      expect(() => MessageEventSchema.parse(event)).not.toThrow();
      const typed: APIGatewayProxyWebsocketEventV2 = event as APIGatewayProxyWebsocketEventV2;
      expect(typed.requestContext.eventType).toBe('MESSAGE');
      expect(event.requestContext.authorizer).toMatchObject({ userId: 'alice', principalId: 'alice' });
    }
    expect(ping[0]).toMatchObject({ body: '{"action":"ping"}', isBase64Encoded: false, requestContext: { routeKey: 'ping' } });
    expect(fallback[0]).toMatchObject({ body: 'not json', isBase64Encoded: false, requestContext: { routeKey: '$default' } });
    // Binary frames reach $default base64-encoded.
    expect(fallback[1]).toMatchObject({ body: Buffer.from([1, 2, 3]).toString('base64'), isBase64Encoded: true });
  });

  it('gives $disconnect the close code and reason', () => {
    const [event] = byIntegration('disconnect');
    expect(() => DisconnectEventSchema.parse(event)).not.toThrow();
    expect(event.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 4000, disconnectReason: 'bye' });
  });

  it('keeps one connection id and connectedAt across its events, with fresh request and message ids', () => {
    const contexts = events.map((e) => e.event.requestContext);
    expect(new Set(contexts.map((c) => c.connectionId)).size).toBe(1);
    expect(contexts[0].connectionId).toMatch(API_GATEWAY_ID);
    expect(new Set(contexts.map((c) => c.connectedAt)).size).toBe(1);
    for (const c of contexts) {
      expect(c.requestId).toMatch(API_GATEWAY_ID);
      expect(c.extendedRequestId).toBe(c.requestId);
      expect(c.requestTime).toMatch(REQUEST_TIME);
      expect(c.requestTimeEpoch).toBeGreaterThanOrEqual(c.connectedAt);
      expect(c).toMatchObject({ stage: 'local', apiId: TEST_API.apiId, messageDirection: 'IN', identity: { sourceIp: '127.0.0.1' } });
      expect(c.domainName).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    const requestIds = contexts.map((c) => c.requestId);
    expect(new Set(requestIds).size).toBe(requestIds.length);
    const messageIds = events.filter((e) => e.event.requestContext.eventType === 'MESSAGE').map((e) => e.event.requestContext.messageId);
    expect(new Set(messageIds).size).toBe(messageIds.length);
  });
});

describe('SQS events from the event source mapping', () => {
  it('hands deliver EventBridge events as SQS records, as the rule target and Lambda shape them', async () => {
    const queue = new LocalQueue({ name: 'q', url: 'http://127.0.0.1:1/000000000000/q', arn: 'arn:aws:sqs:us-east-1:000000000000:q' });
    const bus = new LocalEventBus({ name: 'bus', region: 'us-east-1', account: '000000000000' });
    bus.addRule({ name: 'r', pattern: { 'detail-type': ['Notification'] }, target: (event) => queue.send(JSON.stringify(event)) });
    const received: SQSEvent[] = [];
    const mapping = new EventSourceMapping({ queue, region: 'us-east-1', invoke: async (event) => { received.push(event as SQSEvent); } });
    mapping.start();
    const put = bus.putEvents({ Entries: [{ EventBusName: 'bus', Source: 'my.app', DetailType: 'Notification', Detail: '{"topic":"a","data":1}', Resources: ['arn:aws:s3:::x'] }] });
    await mapping.drained();
    await mapping.stop();

    const event = SqsSchema.parse(received[0]);
    const record = received[0].Records[0];
    expect(() => SqsRecordSchema.strict().parse(record)).not.toThrow();
    expect(Object.keys(record.attributes).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
    expect(record).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: queue.arn, awsRegion: 'us-east-1', messageAttributes: {} });
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(event.Records).toHaveLength(1);

    const body = EventBridgeSchema.strict().parse(JSON.parse(record.body));
    expect(body).toMatchObject({
      version: '0',
      id: (put.Entries[0] as { EventId: string }).EventId,
      'detail-type': 'Notification',
      source: 'my.app',
      account: '000000000000',
      region: 'us-east-1',
      resources: ['arn:aws:s3:::x'],
      detail: { topic: 'a', data: 1 },
    });
    expect(JSON.parse(record.body).time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('carries message attributes with the digest SQS computes (the one the SQS SDK verifies)', async () => {
    const store = new LocalQueueStore();
    const server = createServer((req, res) => { if (!handleSqsRequest(req, res, { store })) res.writeHead(404).end(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sqs = new SQSClient({ endpoint: origin, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const attributes = { reason: { DataType: 'String', StringValue: 'UNDELIVERED' }, attempts: { DataType: 'Number', StringValue: '3' } };
    try {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: `${origin}/000000000000/q`, MessageBody: 'x', MessageAttributes: attributes }));
      expect(md5OfMessageAttributes(attributes)).toBe(sent.MD5OfMessageAttributes);

      const queue = new LocalQueue({ name: 'q', url: `${origin}/000000000000/q`, arn: 'arn:aws:sqs:us-east-1:000000000000:q' });
      queue.send('x', { messageAttributes: attributes });
      const received: SQSEvent[] = [];
      const mapping = new EventSourceMapping({ queue, region: 'us-east-1', invoke: async (event) => { received.push(event as SQSEvent); } });
      mapping.start();
      await mapping.drained();
      await mapping.stop();
      const record = SqsRecordSchema.strict().parse(received[0].Records[0]);
      expect(record.md5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
      expect(record.messageAttributes.reason).toEqual({ stringValue: 'UNDELIVERED', stringListValues: [], binaryListValues: [], dataType: 'String' });
    } finally {
      sqs.destroy();
      server.close();
    }
  });
});
