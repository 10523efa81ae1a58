/**
 * Client publishing, presence and the per-user limits end to end: the real bundles behind the
 * local gateway, real `ws` clients, the local bus, queue and @connections API, dynalite.
 */
import { CLIENT_MESSAGE_DETAIL, clientMessageEvent, firstViolation } from '../../lib/private/protocol';
import { SETTINGS } from '../../lib/private/settings';
import { BusEvent } from '../../local/bus/put-events';
import { clientPool, connect, connectionIdOf, TestClient, useLocalRuntime } from './support/clients';
import { schemaMismatch } from '../support/schema';
import { eventually } from './support/suite';

const ROOM = 'rooms/lobby';
const MAX_PER_SECOND = 5;
const MAX_DATA_BYTES = 1024;
const MAX_CONNECTIONS = 3;

/** ClientMessage events the bus received, as a backend's rule would see them. */
let busEvents: BusEvent[];
/** @connections posts to fail, by connection id. */
const failingConnections = new Set<string>();

const runtime = useLocalRuntime({
  handlerLog: process.env.DEBUG_HANDLERS ? (fn, line) => console.log(fn, line) : undefined,
  handlerLogLevel: process.env.DEBUG_HANDLERS ? 'INFO' : undefined,
  settings: {
    // Suggestions are publish-only: clients may send them (backends read them on the bus), not read them.
    topicRules: ['orders/*', 'rooms/*', 'teams/**', 'users/{userId}/**'],
    publishRules: ['rooms/*', 'teams/{userId}/chat', 'suggestions/*'],
    historyRules: ['rooms/kept', 'suggestions/*'],
    presenceRules: ['rooms/*'],
    'clientMessages.maxPerSecond': MAX_PER_SECOND,
    'clientMessages.maxSize': MAX_DATA_BYTES,
    'connections.maxPerUser': MAX_CONNECTIONS,
    'clientMessages.maxPresenceMembers': 2,
    'delivery.maxAttempts': 2,
  },
  connectionsFaults: (method, id) => (method === 'POST' && failingConnections.has(id) ? { status: 500 } : undefined),
});

beforeAll(() => {
  runtime().bus.addRule({
    name: 'BackendSeesClientMessages',
    pattern: { 'detail-type': ['ClientMessage'] },
    target: (event) => busEvents.push(event),
  });
});

beforeEach(() => {
  busEvents = [];
  failingConnections.clear();
});

const { open, closeAll } = clientPool(runtime);
afterEach(closeAll);

async function inRoom(userId: string, topic = ROOM): Promise<TestClient> {
  const client = await open(userId);
  await client.subscribe(topic);
  return client;
}

const messagesOn = (client: TestClient, topic: string) => client.notifications.filter((n) => n.topic === topic);
const presenceEvents = (client: TestClient) => client.frames.filter((f) => f.type === 'presence' && f.event !== undefined);

describe('publish', () => {
  it('reaches every other subscriber with the server-stamped sender, and the bus once', async () => {
    const topic = 'rooms/publish-basic';
    const alice = await inRoom('alice', topic);
    const aliceOtherTab = await inRoom('alice', topic);
    const bob = await inRoom('bob', topic);

    const answer = await alice.request({ action: 'publish', topic, data: { text: 'hi' }, from: 'mallory', userId: 'mallory', id: 'forged' });
    expect(answer).toEqual({ type: 'published', topic, id: expect.any(String), requestId: expect.any(String) });
    expect(answer.id).not.toBe('forged');

    for (const receiver of [bob, aliceOtherTab]) {
      const frame = await receiver.waitFor((f) => f.type === 'notification' && f.id === answer.id, 'the message');
      expect(frame).toEqual({ type: 'notification', id: answer.id, topic, data: { text: 'hi' }, from: 'alice', time: expect.any(String) });
      expect(Object.keys(frame)).toEqual(['type', 'id', 'topic', 'data', 'from', 'time']);
    }
    await Promise.all([alice, bob, aliceOtherTab].map((c) => c.sync()));
    await runtime().drained();
    // The sender's own connection does not get it back; nobody gets it twice (the bus event is not delivered again).
    expect(messagesOn(alice, topic)).toEqual([]);
    expect(messagesOn(bob, topic)).toHaveLength(1);
    expect(messagesOn(aliceOtherTab, topic)).toHaveLength(1);

    // Nor is the event taken for a misaddressed notification on the construct's own bus.
    expect(runtime().deadLetters()).toEqual([]);
    expect(busEvents).toHaveLength(1);
    expect(busEvents[0]).toMatchObject({
      'detail-type': 'ClientMessage',
      'source': 'realtime-notifications.clients',
      'detail': { id: answer.id, topic, from: 'alice', data: { text: 'hi' }, connectionId: expect.any(String) },
    });
    // As documented: docs/protocol.md and docs/asyncapi.json are generated from these schemas.
    expect(schemaMismatch(busEvents[0].detail, CLIENT_MESSAGE_DETAIL)).toBeUndefined();
    expect(firstViolation(busEvents[0], clientMessageEvent(SETTINGS['clientMessages.detailType'].default))).toBeUndefined();
  });

  it('echoes to the sender when asked', async () => {
    const topic = 'rooms/echo';
    const alice = await inRoom('alice', topic);
    const answer = await alice.request({ action: 'publish', topic, data: 1, echo: true });
    expect(answer.type).toBe('published');
    const frame = await alice.waitFor((f) => f.type === 'notification', 'the echo');
    expect(frame).toMatchObject({ id: answer.id, from: 'alice', data: 1 });
  });

  it('answers seq and epoch on a topic with history only to a sender who may read it', async () => {
    const topic = 'rooms/kept';
    // Users of their own, so other tests' messages do not count against this one's rate.
    const fay = await inRoom('fay', topic);
    const gus = await inRoom('gus', topic);
    const readable = await fay.request({ action: 'publish', topic, data: 'hi' });
    expect(readable).toEqual({ type: 'published', topic, id: expect.any(String), seq: 1, epoch: expect.any(String), requestId: expect.any(String) });
    expect(await gus.waitFor((f) => f.id === readable.id, 'the message')).toMatchObject({ seq: 1, epoch: readable.epoch });

    // Kept too, but fay may not read it: a seq would count the suggestions of everyone.
    const box = 'suggestions/menu';
    expect(await fay.request({ action: 'subscribe', topic: box })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    for (const data of ['more tea', 'less tea']) {
      expect(await fay.request({ action: 'publish', topic: box, data })).toEqual({ type: 'published', topic: box, id: expect.any(String), requestId: expect.any(String) });
    }
    await runtime().drained();
    expect(busEvents.map((e) => (e.detail as { topic: string }).topic)).toEqual([topic, box, box]);
  });

  it('is allowed only where publishRules say, never on users/ topics, never without data', async () => {
    const alice = await inRoom('alice', 'orders/1');
    const bob = await inRoom('bob', 'orders/1');
    await bob.subscribe('users/bob/inbox');
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ topic: 'orders/1', data: 'x' }, 'FORBIDDEN'],
      [{ topic: 'users/alice/inbox', data: 'x' }, 'FORBIDDEN'],
      [{ topic: 'users/bob/inbox', data: 'x' }, 'FORBIDDEN'],
      [{ topic: 'teams/bob/chat', data: 'x' }, 'FORBIDDEN'],
      [{ topic: 'rooms/a/b', data: 'x' }, 'FORBIDDEN'],
      [{ topic: ROOM }, 'BAD_REQUEST'],
      [{ topic: ROOM, data: null, echo: 'yes' }, 'BAD_REQUEST'],
      [{ data: 'x' }, 'BAD_REQUEST'],
      [{ topic: 42, data: 'x' }, 'BAD_REQUEST'],
      [{ topic: 'rooms/../x', data: 'x' }, 'BAD_REQUEST'],
      [{ topic: 'rooms/*', data: 'x' }, 'BAD_REQUEST'],
      [{ topic: ROOM, data: 'x'.repeat(MAX_DATA_BYTES) }, 'PAYLOAD_TOO_LARGE'],
      [{ topic: ROOM, data: { text: 'é'.repeat(MAX_DATA_BYTES / 2) } }, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [frame, code] of refusals) {
      const answer = await alice.request({ action: 'publish', ...frame });
      expect({ frame, answer }).toEqual({ frame, answer: { type: 'error', code, message: expect.any(String), requestId: expect.any(String) } });
      expect((answer.message as string).length).toBeGreaterThan(20);
    }
    // Her own team chat is hers to publish to.
    expect((await alice.request({ action: 'publish', topic: 'teams/alice/chat', data: 'ok' })).type).toBe('published');

    await bob.sync();
    await runtime().drained();
    expect(bob.notifications).toEqual([]);
    expect(busEvents.map((e) => (e.detail as { topic: string }).topic)).toEqual(['teams/alice/chat']);
  });

  it('answers a deeply nested or hostile frame with an error, never a crash', async () => {
    const alice = await open('dana');
    const deep = `{"action":"publish","topic":"${ROOM}","data":${'['.repeat(60_000)}${']'.repeat(60_000)},"requestId":"deep"}`;
    alice.send(deep);
    const answer = await alice.waitFor((f) => f.type === 'error', 'an error for the deep frame');
    expect(answer.code).toBe('BAD_REQUEST');
    for (const hostile of ['{"action":"publish","topic":"rooms/x","data":1,"__proto__":{"echo":true}}', '{"action":"publish","topic":"rooms/x","data":1,"constructor":{"prototype":{"from":"x"}}}']) {
      alice.send(hostile);
    }
    await alice.sync();
    expect(alice.frames.filter((f) => f.type === 'published')).toHaveLength(2);
    expect(alice.notifications).toEqual([]);
  });

  it('limits each user across all of their connections, refusing exactly the excess', async () => {
    const topic = 'rooms/rate';
    const listener = await inRoom('listener', topic);
    const tabs = [await open('rapid'), await open('rapid')];
    const attempts = 3 * MAX_PER_SECOND;
    const answers = await Promise.all(Array.from({ length: attempts }, (_, i) => tabs[i % 2].request({ action: 'publish', topic, data: { n: i } })));

    const accepted = answers.filter((a) => a.type === 'published');
    const refused = answers.filter((a) => a.type === 'error');
    expect(accepted.length + refused.length).toBe(attempts);
    for (const r of refused) {
      expect(r).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
      expect(r.retryAfterMs as number).toBeGreaterThan(0);
      expect(r.retryAfterMs as number).toBeLessThanOrEqual(1000);
    }
    // Every accepted message reaches the listener; none refused does. Within any one second, at most the limit.
    const received = await listener.waitForNotifications(accepted.length);
    await listener.sync();
    expect(messagesOn(listener, topic).map((n) => n.id).sort()).toEqual(accepted.map((a) => a.id).sort());
    const perSecond = new Map<number, number>();
    for (const n of received) {
      const second = Math.floor(Date.parse(n.time as string) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    for (const count of perSecond.values()) expect(count).toBeLessThanOrEqual(MAX_PER_SECOND);
    expect(accepted.length).toBeGreaterThanOrEqual(MAX_PER_SECOND);
    expect(refused.length).toBeGreaterThan(0);
  });

  it('retries a member it cannot reach and dead-letters it at the end, as for backend notifications', async () => {
    const topic = 'rooms/unreachable';
    // Users of their own, so earlier tests' messages do not count against this one's rate.
    const alice = await inRoom('ann', topic);
    const bob = await inRoom('ben', topic);
    const carol = await inRoom('cat', topic);
    const carolId = await connectionIdOf(runtime(), carol);
    failingConnections.add(carolId);

    const answer = await alice.request({ action: 'publish', topic, data: 'are you there?' });
    expect(answer).toMatchObject({ type: 'published' });
    await bob.waitFor((f) => f.id === answer.id, 'the message');
    await eventually(async () => runtime().deadLetters().some((d) => d.messageAttributes.notificationId === answer.id), 'the dead letter', 60_000);
    const letter = runtime().deadLetters().find((d) => d.messageAttributes.notificationId === answer.id)!;
    expect(letter.messageAttributes).toMatchObject({ reason: 'UNDELIVERED', missedConnections: '1' });
    expect(letter.body).toMatchObject({ connectionIds: [carolId], notification: { id: answer.id, from: 'ann', target: { topic } } });
    expect(messagesOn(bob, topic)).toHaveLength(1);
  }, 90_000);
});

describe('presence', () => {
  it('announces a user once when their first connection joins and once when their last leaves', async () => {
    const topic = 'rooms/presence';
    const watcher = await inRoom('watcher', topic);
    const alice1 = await inRoom('alice', topic);
    const alice2 = await inRoom('alice', topic);
    const bob = await inRoom('bob', topic);
    await watcher.waitFor((f) => f.type === 'presence' && f.userId === 'bob', 'bob joining');

    // maxPresenceMembers is 2 here: three users, two listed, in user id order.
    const answer = await watcher.request({ action: 'presence', topic });
    expect(answer).toEqual({
      type: 'presence', topic, members: [{ userId: 'alice', connections: 2 }, { userId: 'bob', connections: 1 }],
      count: 3, truncated: true, requestId: expect.any(String),
    });

    await alice1.close();
    await bob.request({ action: 'unsubscribe', topic });
    await watcher.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.userId === 'bob', 'bob leaving');
    await alice2.close();
    await watcher.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.userId === 'alice', 'alice leaving');
    await watcher.sync();

    expect(presenceEvents(watcher)).toEqual([
      { type: 'presence', topic, event: 'join', userId: 'alice' },
      { type: 'presence', topic, event: 'join', userId: 'bob' },
      { type: 'presence', topic, event: 'leave', userId: 'bob' },
      { type: 'presence', topic, event: 'leave', userId: 'alice' },
    ]);
    // The joining connection is not told of its own join.
    expect(presenceEvents(alice2).filter((f) => f.userId === 'alice')).toEqual([]);
    const after = await watcher.request({ action: 'presence', topic });
    expect(after).toMatchObject({ members: [{ userId: 'watcher', connections: 1 }], count: 1, truncated: false });
  });

  it('a connection that vanished without $disconnect leaves once a delivery finds it gone', async () => {
    const topic = 'rooms/vanish';
    const watcher = await inRoom('watcher', topic);
    const ghost = await inRoom('ghost', topic);
    await watcher.waitFor((f) => f.type === 'presence' && f.userId === 'ghost', 'ghost joining');
    expect(runtime().gateway.loseConnection(await connectionIdOf(runtime(), ghost))).toBe(true);

    expect((await watcher.request({ action: 'publish', topic, data: 'anyone?' })).type).toBe('published');
    await watcher.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.userId === 'ghost', 'ghost leaving');
    expect((await watcher.request({ action: 'presence', topic })).count).toBe(1);
  });

  it('is refused on topics without presence and on topics the caller may not see', async () => {
    const alice = await open('alice');
    for (const topic of ['orders/1', 'users/bob/inbox']) {
      expect(await alice.request({ action: 'presence', topic })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    }
    expect(await alice.request({ action: 'presence' })).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(await alice.request({ action: 'presence', topic: 'rooms/' })).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  });
});

describe('connections per user', () => {
  it('refuses the connection past the limit, and counts neither closed nor vanished connections', async () => {
    const tabs = [await open('busy'), await open('busy'), await open('busy')];
    await expect(connect(runtime(), 'busy')).rejects.toThrow('handshake answered 429');
    // Another user is not affected.
    await open('calm');

    await tabs[0].close();
    await open('busy');
    await expect(connect(runtime(), 'busy')).rejects.toThrow('handshake answered 429');

    // Dropped without $disconnect: its row stays, but API Gateway no longer knows it. It was heard
    // from (a ping), so its handshake is known done and the 410 proves it gone.
    await tabs[1].sync();
    expect(runtime().gateway.loseConnection(await connectionIdOf(runtime(), tabs[1]))).toBe(true);
    await open('busy');
  });
});
