/**
 * The connect, message and disconnect handlers, called as API Gateway calls them, against the
 * embedded DynamoDB with the real SDK clients the handlers build for themselves.
 */
import type { RouteResponse, WebSocketEvent } from '../../../lambda/protocol/websocket-event';
import { handlerEnvironment } from '../../../lib/private/handlers';
import { localSettings } from '../../../local/settings';
import { SETTINGS } from '../../../lib/private/settings';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';
import { loadHandler } from '../../support/handlers';
import { connectEvent, disconnectEvent, messageEvent, newConnectionId } from '../../support/websocket-events';

type Handler = (event: WebSocketEvent) => Promise<RouteResponse>;
interface Frame { type: string; code?: string; message?: string; topic?: string; requestId?: string }

const MAX_SUBSCRIPTIONS = 3;
const TTL_SECONDS = 3 * 60 * 60;
const RULES = ['orders/*', 'news/**', 'users/{userId}/**', 'public'];

let db: TestDynamo;
let connect: Handler;
let message: Handler;
let disconnect: Handler;

beforeAll(async () => {
  db = await startTestDynamo();
  // What the construct gives these three functions, pointed at the test tables; nothing here posts.
  // (The per-user connection limit is out of the way: these rows belong to no live connection.)
  const settings = localSettings('http://127.0.0.1:9', { ...db.tables, 'connections.maxPerUser': SETTINGS['connections.maxPerUser'].max });
  const env = {
    ...db.env,
    ...handlerEnvironment('connect', settings),
    ...handlerEnvironment('disconnect', settings),
    ...handlerEnvironment('message', settings),
    CONNECTIONS_TTL_SECONDS: String(TTL_SECONDS),
    CONNECTIONS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
    TOPIC_RULES: JSON.stringify(RULES),
  };
  connect = loadHandler<{ handler: Handler }>('connect', env).handler;
  message = loadHandler<{ handler: Handler }>('message', env).handler;
  disconnect = loadHandler<{ handler: Handler }>('disconnect', env).handler;
});
afterAll(async () => {
  await db.stop();
});

const C = () => db.tables.connectionsTable;
const S = () => db.tables.subscriptionsTable;

async function connected(userId?: string): Promise<string> {
  const connectionId = newConnectionId();
  expect(await connect(connectEvent({ connectionId, userId }))).toEqual({ statusCode: 200 });
  return connectionId;
}

async function send(connectionId: string, body: unknown, userId?: string): Promise<Frame> {
  const raw = typeof body === 'string' || body === undefined ? body : JSON.stringify(body);
  const response = await message(messageEvent(raw, { connectionId, userId }));
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body ?? 'null') as Frame;
}

async function subscriptionsOf(connectionId: string): Promise<string[]> {
  return (await db.items(S())).filter((s) => s.connectionId === connectionId).map((s) => s.topic as string).sort();
}

async function countOf(connectionId: string): Promise<number | undefined> {
  return (await db.get(C(), { connectionId }))?.subscriptionCount as number | undefined;
}

describe('$connect', () => {
  test('registers the connection with its user, connectedAt and a TTL', async () => {
    const connectionId = newConnectionId();
    const connectedAt = Date.now() - 5;
    const before = Math.floor(Date.now() / 1000);
    expect(await connect(connectEvent({ connectionId, userId: 'alice', connectedAt }))).toEqual({ statusCode: 200 });
    const row = await db.get(C(), { connectionId });
    expect(row).toMatchObject({ connectionId, userId: 'alice', connectedAt });
    expect(row?.expiresAt).toBeGreaterThanOrEqual(before + TTL_SECONDS);
    expect(row?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + TTL_SECONDS);
  });

  test('a connection without authentication has no user', async () => {
    const connectionId = await connected();
    expect(await db.get(C(), { connectionId })).not.toHaveProperty('userId');
  });

  describe('subprotocols', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';
    test.each([
      ['this API\'s own', 'realtime.v1', 'realtime.v1'],
      ['this API\'s own beside the token', `realtime.v1, token.${token}`, 'realtime.v1'],
      ['the token first', `token.${token},realtime.v1`, 'realtime.v1'],
      ['one asked for by habit (Postman, tutorials)', 'websocket', 'websocket'],
      ['the first of several others', 'chat, superchat', 'chat'],
      ['another beside the token', `token.${token}, websocket`, 'websocket'],
    ])('answers with %s', async (_name, offered, answered) => {
      const connectionId = newConnectionId();
      const response = await connect(connectEvent({ connectionId, userId: 'alice', subprotocols: offered }));
      expect(response).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': answered } });
      expect(JSON.stringify(response)).not.toContain(token);
      expect(await db.get(C(), { connectionId })).toMatchObject({ userId: 'alice' });
    });

    test('answers without one when none was offered', async () => {
      expect(await connect(connectEvent({ userId: 'alice' }))).toEqual({ statusCode: 200 });
    });

    test('refuses (400), and registers nothing, when only a token was offered: no entry can be answered', async () => {
      const connectionId = newConnectionId();
      expect(await connect(connectEvent({ connectionId, userId: 'alice', subprotocols: `token.${token}` }))).toEqual({ statusCode: 400 });
      expect(await db.get(C(), { connectionId })).toBeUndefined();
    });
  });

  test('refuses (403), and registers nothing, a user id from a custom authorizer that no topic could hold', async () => {
    for (const userId of ['u'.repeat(513), 'u\n1']) {
      const connectionId = newConnectionId();
      expect(await connect(connectEvent({ connectionId, userId }))).toEqual({ statusCode: 403 });
      expect(await db.get(C(), { connectionId })).toBeUndefined();
    }
  });

  test('refuses the connection (500) when it cannot be registered', async () => {
    const broken = loadHandler<{ handler: Handler }>('connect', { ...db.env, CONNECTIONS_TABLE: 'no-such-table' }).handler;
    expect(await broken(connectEvent({ userId: 'alice' }))).toEqual({ statusCode: 500 });
  });
});

describe('ping', () => {
  test('answers pong, echoing the requestId', async () => {
    const id = await connected('alice');
    expect(await send(id, { action: 'ping' }, 'alice')).toEqual({ type: 'pong' });
    expect(await send(id, { action: 'ping', requestId: 'r1', extra: { ignored: true } }, 'alice'))
      .toEqual({ type: 'pong', requestId: 'r1' });
  });
});

describe('subscribe and unsubscribe', () => {
  test('subscribe writes one row that expires with the connection, and takes one slot', async () => {
    const id = await connected('alice');
    expect(await send(id, { action: 'subscribe', topic: 'orders/42', requestId: 'r1' }, 'alice'))
      .toEqual({ type: 'subscribed', topic: 'orders/42', requestId: 'r1' });
    const connection = await db.get(C(), { connectionId: id });
    expect(await db.get(S(), { topic: 'orders/42', connectionId: id })).toEqual({
      topic: 'orders/42', connectionId: id, expiresAt: connection?.expiresAt, userId: 'alice',
    });
    expect(connection?.subscriptionCount).toBe(1);
  });

  test('re-subscribing is idempotent and does not consume the cap', async () => {
    const id = await connected('alice');
    for (let i = 0; i < 5; i++) {
      expect(await send(id, { action: 'subscribe', topic: 'orders/1' }, 'alice')).toEqual({ type: 'subscribed', topic: 'orders/1' });
    }
    expect(await subscriptionsOf(id)).toEqual(['orders/1']);
    expect(await countOf(id)).toBe(1);
  });

  test('the cap refuses one subscription too many, writes nothing, and still allows re-subscribing', async () => {
    const id = await connected('alice');
    for (const topic of ['orders/1', 'orders/2', 'news/a/b']) {
      expect((await send(id, { action: 'subscribe', topic }, 'alice')).type).toBe('subscribed');
    }
    const frame = await send(id, { action: 'subscribe', topic: 'orders/4', requestId: 'r4' }, 'alice');
    expect(frame).toEqual({
      type: 'error',
      code: 'LIMIT_EXCEEDED',
      message: `This connection already has the maximum of ${MAX_SUBSCRIPTIONS} subscriptions. Unsubscribe from a topic first.`,
      requestId: 'r4',
    });
    expect(await subscriptionsOf(id)).toEqual(['news/a/b', 'orders/1', 'orders/2']);
    expect(await countOf(id)).toBe(MAX_SUBSCRIPTIONS);
    expect(await send(id, { action: 'subscribe', topic: 'orders/2' }, 'alice')).toEqual({ type: 'subscribed', topic: 'orders/2' });
    expect(await countOf(id)).toBe(MAX_SUBSCRIPTIONS);
  });

  test('concurrent subscribes on one connection never exceed the cap', async () => {
    const id = await connected('alice');
    const frames = await Promise.all(Array.from({ length: 10 }, (_, i) => send(id, { action: 'subscribe', topic: `orders/${i}` }, 'alice')));
    expect(frames.filter((f) => f.type === 'subscribed')).toHaveLength(MAX_SUBSCRIPTIONS);
    expect(frames.filter((f) => f.code === 'LIMIT_EXCEEDED')).toHaveLength(10 - MAX_SUBSCRIPTIONS);
    expect(await subscriptionsOf(id)).toHaveLength(MAX_SUBSCRIPTIONS);
    expect(await countOf(id)).toBe(MAX_SUBSCRIPTIONS);
  });

  test('unsubscribe removes the row and frees the slot; unsubscribing again is harmless', async () => {
    const id = await connected('alice');
    for (const topic of ['orders/1', 'orders/2', 'orders/3']) await send(id, { action: 'subscribe', topic }, 'alice');
    expect(await send(id, { action: 'unsubscribe', topic: 'orders/2', requestId: 'u' }, 'alice'))
      .toEqual({ type: 'unsubscribed', topic: 'orders/2', requestId: 'u' });
    expect(await subscriptionsOf(id)).toEqual(['orders/1', 'orders/3']);
    expect(await countOf(id)).toBe(2);
    expect(await send(id, { action: 'unsubscribe', topic: 'orders/2' }, 'alice')).toEqual({ type: 'unsubscribed', topic: 'orders/2' });
    expect(await countOf(id)).toBe(2);
    expect((await send(id, { action: 'subscribe', topic: 'orders/4' }, 'alice')).type).toBe('subscribed');
  });

  test('a user may subscribe to their own user topics', async () => {
    const id = await connected('alice');
    expect((await send(id, { action: 'subscribe', topic: 'users/alice/inbox' }, 'alice')).type).toBe('subscribed');
  });

  test('a message from a connection that is not registered gets INTERNAL and writes nothing', async () => {
    const ghost = newConnectionId();
    const frame = await send(ghost, { action: 'subscribe', topic: 'orders/1', requestId: 'g' }, 'alice');
    expect(frame).toMatchObject({ type: 'error', code: 'INTERNAL', requestId: 'g' });
    expect(await subscriptionsOf(ghost)).toEqual([]);
    expect(await db.get(C(), { connectionId: ghost })).toBeUndefined();
  });

  test('a subscribe after the connection was forgotten gets INTERNAL saying to reconnect, and writes nothing', async () => {
    const id = await connected('alice');
    await disconnect(disconnectEvent({ connectionId: id, userId: 'alice' }));
    expect(await send(id, { action: 'subscribe', topic: 'orders/1', requestId: 'gone' }, 'alice')).toEqual({
      type: 'error', code: 'INTERNAL', requestId: 'gone',
      message: 'This connection is no longer registered, so nothing would reach it: the server closes it. Reconnect (and resume) to be registered again.',
    });
    expect(await subscriptionsOf(id)).toEqual([]);
    expect(await db.get(C(), { connectionId: id })).toBeUndefined();
  });
});

describe('a connection without a user', () => {
  test.each([
    ['resume: it has no stream of its own', { action: 'resume', since: { epoch: 'e', seq: 0 }, requestId: 'n' }, /^Resuming needs a signed-in connection/],
    ['publish: messages carry their sender', { action: 'publish', topic: 'news/a', data: { text: 'hi' }, requestId: 'n' }, /^Publishing needs a signed-in connection: connect with a token/],
  ])('is refused FORBIDDEN to %s', async (_name, body, message) => {
    const id = await connected();
    const rowsBefore = { connections: await db.items(C()), subscriptions: await db.items(S()) };
    expect(await send(id, body)).toEqual({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(message), requestId: 'n' });
    expect({ connections: await db.items(C()), subscriptions: await db.items(S()) }).toEqual(rowsBefore);
  });
});

describe('bad input writes nothing and gets the documented error frame', () => {
  const BIG = 128 * 1024;
  const hostileTopics: Array<[string, string]> = [
    ['empty', ''],
    ['single-segment wildcard', '*'],
    ['wildcard segment', 'orders/*'],
    ['multi-segment wildcard', 'news/**'],
    ['MQTT multi-level wildcard', 'orders/#'],
    ['MQTT single-level wildcard', 'orders/+'],
    ['wildcard inside a segment', 'orders/4*'],
    ['parent segment', 'orders/../users/bob/inbox'],
    ['dot segment', 'orders/./1'],
    ['only dots', '..'],
    ['leading slash', '/orders/1'],
    ['trailing slash', 'orders/1/'],
    ['double slash', 'orders//1'],
    ['backslash', 'orders\\1'],
    ['space', 'orders/4 2'],
    ['newline', 'orders/1\nX-Injected: 1'],
    ['tab', 'orders/\t1'],
    ['NUL', 'orders/1\u0000'],
    ['DEL', 'orders/1\u007f'],
    ['RTL override', 'orders/\u202e24'],
    ['zero-width space', 'orders/4\u200b2'],
    ['BOM', '\ufefforders/1'],
    ['Cyrillic lookalike', 'оrders/1'],
    ['fullwidth digits', 'orders/４２'],
    ['fullwidth solidus', 'orders／1'],
    ['emoji', 'orders/🔥'],
    ['percent-encoded dots', 'orders/%2e%2e'],
    ['query-like', 'orders/1?x=1'],
    ['too long', `orders/${'a'.repeat(1018)}`],
    ['very long', 'a/'.repeat(5000) + 'a'],
  ];

  let id: string;
  let before: { connections: unknown[]; subscriptions: unknown[] };

  beforeEach(async () => {
    id = await connected('alice');
    await send(id, { action: 'subscribe', topic: 'orders/1' }, 'alice');
    before = { connections: await db.items(C()), subscriptions: await db.items(S()) };
  });

  afterEach(async () => {
    expect({ connections: await db.items(C()), subscriptions: await db.items(S()) }).toEqual(before);
  });

  test.each([
    ['no body', undefined, 'BAD_REQUEST'],
    ['an empty body', '', 'BAD_REQUEST'],
    ['malformed JSON', '{"action":"subscribe",', 'BAD_REQUEST'],
    ['not JSON', 'subscribe orders/1', 'BAD_REQUEST'],
    ['a JSON array', '[{"action":"ping"}]', 'BAD_REQUEST'],
    ['a JSON string', '"ping"', 'BAD_REQUEST'],
    ['JSON null', 'null', 'BAD_REQUEST'],
    ['a JSON number', '42', 'BAD_REQUEST'],
    ['no action', '{"topic":"orders/1"}', 'BAD_REQUEST'],
    ['a numeric action', '{"action":1}', 'BAD_REQUEST'],
    ['an object action', '{"action":{"name":"subscribe"}}', 'BAD_REQUEST'],
    ['an unknown action', '{"action":"shout","topic":"orders/1"}', 'UNKNOWN_ACTION'],
    ['an action in the wrong case', '{"action":"Subscribe","topic":"orders/2"}', 'UNKNOWN_ACTION'],
    ['a prototype-pollution action', '{"action":"__proto__","topic":"orders/2"}', 'UNKNOWN_ACTION'],
    ['subscribe without a topic', '{"action":"subscribe"}', 'BAD_REQUEST'],
    ['subscribe with a numeric topic', '{"action":"subscribe","topic":42}', 'BAD_REQUEST'],
    ['subscribe with a null topic', '{"action":"subscribe","topic":null}', 'BAD_REQUEST'],
    ['subscribe with a list of topics', '{"action":"subscribe","topic":["orders/2"]}', 'BAD_REQUEST'],
    ['unsubscribe without a topic', '{"action":"unsubscribe"}', 'BAD_REQUEST'],
    ['unsubscribe with an object topic', '{"action":"unsubscribe","topic":{"$ne":""}}', 'BAD_REQUEST'],
    ['a numeric requestId', '{"action":"subscribe","topic":"orders/2","requestId":7}', 'BAD_REQUEST'],
    ['a requestId over 128 characters', `{"action":"subscribe","topic":"orders/2","requestId":"${'r'.repeat(129)}"}`, 'BAD_REQUEST'],
    ['a frame over 128 KB', JSON.stringify({ action: 'subscribe', topic: 'orders/2', pad: 'x'.repeat(BIG) }), 'PAYLOAD_TOO_LARGE'],
    ['a frame of multi-byte characters over 128 KB', JSON.stringify({ action: 'ping', pad: 'é'.repeat(BIG / 2 + 1) }), 'PAYLOAD_TOO_LARGE'],
  ])('%s', async (_name, body, code) => {
    const frame = await send(id, body, 'alice');
    expect(frame).toEqual({ type: 'error', code, message: expect.any(String) });
    expect(frame.message!.length).toBeGreaterThan(10);
  });

  test('the requestId is echoed on errors when it is usable', async () => {
    expect(await send(id, { action: 'unknown', requestId: 'r9' }, 'alice')).toMatchObject({ code: 'UNKNOWN_ACTION', requestId: 'r9' });
    expect(await send(id, { action: 'subscribe', requestId: 'r9' }, 'alice')).toMatchObject({ code: 'BAD_REQUEST', requestId: 'r9' });
  });

  test('a binary frame is refused', async () => {
    const event = messageEvent(Buffer.from('{"action":"subscribe","topic":"orders/2"}').toString('base64'), { connectionId: id, userId: 'alice' });
    const response = await message({ ...event, isBase64Encoded: true });
    expect(JSON.parse(response.body!)).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  });

  test.each(hostileTopics)('subscribe to a hostile topic: %s', async (_name, topic) => {
    const frame = await send(id, { action: 'subscribe', topic, requestId: 'h' }, 'alice');
    expect(frame).toEqual({ type: 'error', code: 'BAD_REQUEST', message: expect.any(String), requestId: 'h' });
    // The message explains the rule; it never quotes the hostile input back.
    if (topic.length > 2) expect(frame.message).not.toContain(topic);
  });

  test.each(hostileTopics)('unsubscribe from a hostile topic: %s', async (_name, topic) => {
    expect(await send(id, { action: 'unsubscribe', topic }, 'alice')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  });

  test.each([
    ['another user\'s topic', 'users/bob/inbox', 'alice'],
    ['another user\'s topic root', 'users/bob', 'alice'],
    ['a user topic that differs only in case', 'users/Alice/inbox', 'alice'],
    ['a topic no rule allows', 'secret/plans', 'alice'],
    ['a topic deeper than "orders/*"', 'orders/1/items', 'alice'],
    ['"news/**" needs at least one segment', 'news', 'alice'],
    ['a user topic without authentication', 'users/alice/inbox', undefined],
    ['an unauthenticated connection and a {userId} rule', 'users/undefined/inbox', undefined],
  ])('FORBIDDEN: %s', async (_name, topic, userId) => {
    const conn = userId === undefined ? await connected() : id;
    const rowsBefore = { connections: await db.items(C()), subscriptions: await db.items(S()) };
    const frame = await send(conn, { action: 'subscribe', topic, requestId: 'f' }, userId);
    expect(frame).toEqual({ type: 'error', code: 'FORBIDDEN', message: expect.any(String), requestId: 'f' });
    expect({ connections: await db.items(C()), subscriptions: await db.items(S()) }).toEqual(rowsBefore);
    if (userId === undefined) await disconnect(disconnectEvent({ connectionId: conn }));
  });
});

describe('unexpected failures', () => {
  test('answer INTERNAL without internals, and give the reserved slot back', async () => {
    const broken = loadHandler<{ handler: Handler }>('message', {
      ...db.env,
      SUBSCRIPTIONS_TABLE: 'no-such-table',
      CONNECTIONS_MAX_SUBSCRIPTIONS: '3',
      TOPIC_RULES: JSON.stringify(RULES),
    }).handler;
    const id = await connected('alice');
    const response = await broken(messageEvent(JSON.stringify({ action: 'subscribe', topic: 'orders/1', requestId: 'x' }), { connectionId: id, userId: 'alice' }));
    const frame = JSON.parse(response.body!) as Frame;
    expect(response.statusCode).toBe(200);
    expect(frame).toEqual({ type: 'error', code: 'INTERNAL', message: expect.any(String), requestId: 'x' });
    expect(frame.message).not.toMatch(/no-such-table|ResourceNotFound|DynamoDB/i);
    expect(await countOf(id)).toBe(0);
  });

  test('a misconfigured topic rule fails the cold start, naming the rule', () => {
    expect(() => loadHandler('message', { ...db.env, TOPIC_RULES: JSON.stringify(['orders/**/x']) }))
      .toThrow(/Topic rule "orders\/\*\*\/x"/);
    expect(() => loadHandler('message', { ...db.env, TOPIC_RULES: 'orders/*' })).toThrow(/TOPIC_RULES must be a JSON array/);
    expect(() => loadHandler('message', { ...db.env, TOPIC_RULES: undefined, CONNECTIONS_MAX_SUBSCRIPTIONS: '0' }))
      .toThrow(/CONNECTIONS_MAX_SUBSCRIPTIONS is "0"/);
  });
});

describe('$disconnect', () => {
  test('removes the connection and all of its subscriptions, and nothing of others', async () => {
    const alice = await connected('alice');
    const bob = await connected('bob');
    for (const topic of ['orders/1', 'news/x', 'users/alice/inbox']) await send(alice, { action: 'subscribe', topic }, 'alice');
    await send(bob, { action: 'subscribe', topic: 'orders/1' }, 'bob');

    expect(await disconnect(disconnectEvent({ connectionId: alice, userId: 'alice' }))).toEqual({ statusCode: 200 });
    expect(await db.get(C(), { connectionId: alice })).toBeUndefined();
    expect(await subscriptionsOf(alice)).toEqual([]);
    expect(await db.get(C(), { connectionId: bob })).toBeDefined();
    expect(await subscriptionsOf(bob)).toEqual(['orders/1']);
  });

  test('an already-gone connection is fine', async () => {
    const id = await connected('alice');
    await disconnect(disconnectEvent({ connectionId: id }));
    expect(await disconnect(disconnectEvent({ connectionId: id }))).toEqual({ statusCode: 200 });
  });

  test('never throws, even when the tables cannot be reached', async () => {
    const broken = loadHandler<{ handler: Handler }>('disconnect', { ...db.env, CONNECTIONS_TABLE: 'no-such-table', SUBSCRIPTIONS_TABLE: 'nor-this' }).handler;
    expect(await broken(disconnectEvent())).toEqual({ statusCode: 200 });
  });
});
