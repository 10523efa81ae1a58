/**
 * Nothing missed across reconnects, end to end: positions on streams with history, replay on
 * `subscribe` with `since`, the offline inbox (`resume`), and `history` pages. The real bundles
 * behind the local gateway, real `ws` clients, backends publishing with the EventBridge SDK.
 */
import { LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { handlerBundles, Bundles } from './support/bundles';
import { clientPool, connectionIdOf, eventBridgeClient, Frame, publish, TestClient } from './support/clients';

const MAX_REPLAY = 30;
/** @connections posts to fail, by connection id. */
const failingConnections = new Set<string>();

let bundles: Bundles;
let runtime: LocalRuntime;
const events = () => eventBridgeClient(runtime);

beforeAll(async () => {
  bundles = handlerBundles();
  runtime = await startLocalRuntime({
    port: 0,
    assetsDir: bundles.assetsDir,
    ttlSweepIntervalMs: 0,
    settings: { historyRules: ['orders/*', 'rooms/*'], publishRules: ['rooms/*'], 'history.maxReplay': MAX_REPLAY, 'clientMessages.maxPerSecond': 1000 },
    connectionsFaults: (method, id) => (method === 'POST' && failingConnections.has(id) ? { status: 500 } : undefined),
  });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  bundles?.dispose();
});

const { open, closeAll } = clientPool(() => runtime);
afterEach(closeAll);

async function publishAll(details: unknown[]): Promise<void> {
  const bus = events();
  for (const detail of details) await publish(bus, runtime, detail);
  await runtime.drained();
}

/** Drops the connection the way a network does: no close frame, no $disconnect. */
async function cutOff(client: TestClient): Promise<void> {
  const id = await connectionIdOf(runtime, client);
  runtime.gateway.loseConnection(id);
  await client.waitForClose();
}

describe('subscribe with since', () => {
  it('a client cut off for 20 notifications gets exactly those 20 on reconnect, in order, recovered', async () => {
    const topic = 'orders/cut-off';
    const first = await open('alice');
    const ack = await first.request({ action: 'subscribe', topic });
    expect(ack).toMatchObject({ type: 'subscribed', topic, seq: 0, epoch: expect.any(String) });
    await publishAll([{ topic, id: 'n-0', data: 0 }]);
    const seen = await first.waitFor((f) => f.id === 'n-0', 'the first notification');
    expect(seen).toMatchObject({ type: 'notification', id: 'n-0', seq: 1, epoch: ack.epoch, topic, data: 0 });
    expect(Object.keys(seen)).toEqual(['type', 'id', 'seq', 'epoch', 'topic', 'data', 'time']);

    await cutOff(first);
    await publishAll(Array.from({ length: 20 }, (_, i) => ({ topic, id: `n-${i + 1}`, data: i + 1 })));

    const again = await open('alice');
    const answer = await again.request({ action: 'subscribe', topic, since: { epoch: seen.epoch, seq: seen.seq } });
    expect(answer).toEqual({ type: 'subscribed', topic, requestId: expect.any(String), recovered: true, epoch: ack.epoch, seq: 21 });
    // Exactly the 20 missed, in stream order. (Stream order is the order deliver gave positions,
    // which need not be publish order: the delivery queue does not keep it.)
    const replayed = again.notifications;
    expect(replayed.map((n) => n.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `n-${i + 1}`).sort());
    expect(replayed.map((n) => n.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    // The replay arrived before the answer: the frames came first on the one socket.
    expect(again.frames.indexOf(answer)).toBe(20);
    await again.sync();
    expect(again.notifications).toHaveLength(20);
  });

  it('says recovered: false, and replays nothing, for another epoch or more than the replay cap', async () => {
    const topic = 'orders/gap';
    const client = await open('alice');
    const ack = await client.request({ action: 'subscribe', topic });
    await publishAll(Array.from({ length: MAX_REPLAY + 5 }, (_, i) => ({ topic, id: `g-${i}`, data: i })));
    await client.close();

    const other = await open('alice');
    expect(await other.request({ action: 'subscribe', topic, since: { epoch: 'not-this-one', seq: 3 } }))
      .toMatchObject({ type: 'subscribed', recovered: false, epoch: ack.epoch, seq: MAX_REPLAY + 5 });
    expect(await other.request({ action: 'subscribe', topic, since: { epoch: ack.epoch, seq: 0 } }))
      .toMatchObject({ type: 'subscribed', recovered: false, seq: MAX_REPLAY + 5 });
    // Within the cap it replays.
    expect(await other.request({ action: 'subscribe', topic, since: { epoch: ack.epoch, seq: 10 } }))
      .toMatchObject({ type: 'subscribed', recovered: true, seq: MAX_REPLAY + 5 });
    await other.sync();
    expect(other.notifications.map((n) => n.seq)).toEqual(Array.from({ length: MAX_REPLAY + 5 - 10 }, (_, i) => i + 11));
  });

  it('live notifications published during the reconnect are never lost; duplicates carry the same id and seq', async () => {
    const topic = 'orders/busy';
    const reader = await open('alice');
    const ack = await reader.request({ action: 'subscribe', topic });
    const bus = events();
    let stop = false;
    let published = 0;
    const publisher = (async () => {
      // At most the replay cap after the fifth, however slow the reconnect: more would be answered
      // `recovered: false` by the cap, which another test covers.
      while (!stop && published < MAX_REPLAY + 5) {
        await publish(bus, runtime, { topic, id: `b-${published}`, data: published });
        published++;
      }
    })();
    await reader.waitFor((f) => f.type === 'notification' && (f.seq as number) >= 5, 'a few notifications');
    const last = reader.notifications.reduce((max, n) => Math.max(max, n.seq as number), 0);
    await reader.close();
    const back = await open('alice');
    const answer = await back.request({ action: 'subscribe', topic, since: { epoch: ack.epoch, seq: last } });
    expect(answer).toMatchObject({ recovered: true });
    stop = true;
    await publisher;
    await runtime.drained();
    await back.sync();

    const received = back.notifications;
    const seqs = new Set(received.map((n) => n.seq as number));
    const total = published;
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: total - last }, (_, i) => last + 1 + i));
    const idBySeq = new Map<number, unknown>();
    for (const n of received) {
      if (idBySeq.has(n.seq as number)) expect(n.id).toBe(idBySeq.get(n.seq as number));
      idBySeq.set(n.seq as number, n.id);
    }
  });

  it('a replay that cannot reach the connection is not called recovered', async () => {
    const topic = 'orders/unreachable';
    const first = await open('alice');
    const ack = await first.request({ action: 'subscribe', topic });
    await first.close();
    await publishAll([{ topic, id: 'u-1', data: 1 }, { topic, id: 'u-2', data: 2 }]);
    const again = await open('alice');
    failingConnections.add(await connectionIdOf(runtime, again));
    try {
      expect(await again.request({ action: 'subscribe', topic, since: { epoch: ack.epoch, seq: 0 } }))
        .toMatchObject({ type: 'subscribed', recovered: false, seq: 2 });
      expect(again.notifications).toEqual([]);
    } finally {
      failingConnections.clear();
    }
  });

  it('topics without history answer as before; with since, recovered is false', async () => {
    const client = await open('alice');
    expect(await client.request({ action: 'subscribe', topic: 'news/plain' })).toEqual({ type: 'subscribed', topic: 'news/plain', requestId: expect.any(String) });
    expect(await client.request({ action: 'subscribe', topic: 'news/plain', since: { epoch: 'x', seq: 1 } }))
      .toEqual({ type: 'subscribed', topic: 'news/plain', requestId: expect.any(String), recovered: false });
  });
});

describe('the offline inbox (resume)', () => {
  it('delivers what was sent to the user while no connection of theirs was open', async () => {
    const bob = await open('bob-inbox');
    const start = await bob.request({ action: 'resume' });
    expect(start).toEqual({ type: 'resumed', recovered: false, epoch: expect.any(String), seq: 0, unread: 0, readVersion: 0, requestId: expect.any(String) });
    await publishAll([{ userId: 'bob-inbox', id: 'u-1', data: 'while online' }]);
    const online = await bob.waitFor((f) => f.id === 'u-1', 'the first');
    expect(online).toMatchObject({ seq: 1, epoch: start.epoch, userId: 'bob-inbox' });
    await bob.close();

    await publishAll([1, 2, 3].map((i) => ({ userId: 'bob-inbox', id: `u-off-${i}`, data: `while away ${i}` })));
    const back = await open('bob-inbox');
    const answer = await back.request({ action: 'resume', since: { epoch: online.epoch, seq: online.seq } });
    expect(answer).toMatchObject({ type: 'resumed', recovered: true, seq: 4 });
    // Replayed in seq order, each once. Events published one after the other may take their
    // positions in another order: the queue delivers them in batches that run at once.
    expect(back.notifications.map((n) => n.seq)).toEqual([2, 3, 4]);
    expect(back.notifications.map((n) => n.id).sort()).toEqual(['u-off-1', 'u-off-2', 'u-off-3']);
  });

  it('replays the caller\'s own stream only, whatever user the resume names', async () => {
    const bob = await open('bob-own');
    const start = await bob.request({ action: 'resume' });
    await bob.close();
    await publishAll([
      { userId: 'bob-own', id: 'b-missed', data: 'for bob' },
      { userId: 'carol-private', id: 'c-secret', data: 'secret' },
    ]);
    // The secret is kept where a replay reaches it: carol's own resume gets it.
    const carol = await open('carol-private');
    const carolHead = await carol.request({ action: 'resume' });
    expect(await carol.request({ action: 'resume', since: { epoch: carolHead.epoch, seq: 0 } }))
      .toMatchObject({ type: 'resumed', recovered: true, seq: 1 });
    expect(carol.notifications.map((n) => [n.id, n.data])).toEqual([['c-secret', 'secret']]);

    const back = await open('bob-own');
    const answer = await back.request({
      action: 'resume', userId: 'carol-private', user: 'carol-private', target: { userId: 'carol-private' },
      since: { epoch: start.epoch, seq: start.seq },
    });
    // Bob's own stream ran (his missed notification is replayed), and nothing of carol's.
    expect(answer).toMatchObject({ type: 'resumed', recovered: true, epoch: start.epoch, seq: 1 });
    await back.sync();
    expect(back.notifications.map((n) => [n.id, n.userId])).toEqual([['b-missed', 'bob-own']]);
    expect(back.frames.filter((f) => JSON.stringify(f).includes('carol'))).toEqual([]);
  });

  it.each(['users/carol-private/inbox', 'users/carol-private'])('refuses the history of another user\'s topic %s', async (topic) => {
    const mallory = await open('mallory');
    expect(await mallory.request({ action: 'history', topic })).toEqual({
      type: 'error', code: 'FORBIDDEN', requestId: expect.any(String),
      message: 'Topics under "users/" are private to their user; this connection may only use "users/mallory/…".',
    });
  });
});

describe('history', () => {
  it('pages back through a room, oldest first, and client messages keep positions too', async () => {
    const room = 'rooms/history';
    const alice = await open('alice');
    const ack = await alice.request({ action: 'subscribe', topic: room });
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const published = await alice.request({ action: 'publish', topic: room, data: { text: `m${i}` } });
      expect(published).toMatchObject({ type: 'published', seq: i + 1, epoch: ack.epoch });
      ids.push(published.id as string);
    }
    const page1 = await alice.request({ action: 'history', topic: room, limit: 4 });
    expect(page1).toMatchObject({ type: 'history', topic: room, epoch: ack.epoch, hasMore: true });
    const notes1 = page1.notifications as Frame[];
    expect(notes1.map((n) => n.seq)).toEqual([6, 7, 8, 9]);
    expect(notes1[0]).toMatchObject({ type: 'notification', id: ids[5], from: 'alice', data: { text: 'm5' } });
    const page2 = await alice.request({ action: 'history', topic: room, limit: 4, before: 6 });
    expect((page2.notifications as Frame[]).map((n) => n.seq)).toEqual([2, 3, 4, 5]);
    const page3 = await alice.request({ action: 'history', topic: room, limit: 4, before: 2 });
    expect(page3).toMatchObject({ hasMore: false });
    expect((page3.notifications as Frame[]).map((n) => n.seq)).toEqual([1]);
  });
});

describe('bad input', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['since as a number', { action: 'subscribe', topic: 'orders/1', since: 41 }, 'BAD_REQUEST', /"since" must be an object such as \{"epoch"/],
    ['since without an epoch', { action: 'subscribe', topic: 'orders/1', since: { seq: 1 } }, 'BAD_REQUEST', /"since\.epoch" must be the epoch string/],
    ['a numeric epoch', { action: 'subscribe', topic: 'orders/1', since: { epoch: 5, seq: 1 } }, 'BAD_REQUEST', /"since\.epoch" must be the epoch string/],
    ['a huge epoch', { action: 'subscribe', topic: 'orders/1', since: { epoch: 'e'.repeat(65), seq: 1 } }, 'BAD_REQUEST', /"since\.epoch" must be the epoch string/],
    ['a negative seq', { action: 'subscribe', topic: 'orders/1', since: { epoch: 'e', seq: -1 } }, 'BAD_REQUEST', /"since\.seq" must be .* a whole number, 0 or more/],
    ['a fractional seq', { action: 'resume', since: { epoch: 'e', seq: 1.5 } }, 'BAD_REQUEST', /"since\.seq" must be .* a whole number, 0 or more/],
    ['a seq as a string', { action: 'resume', since: { epoch: 'e', seq: '3' } }, 'BAD_REQUEST', /"since\.seq" must be .* a whole number, 0 or more/],
    ['history without a topic', { action: 'history' }, 'BAD_REQUEST', /"history" needs a "topic"/],
    ['a huge limit', { action: 'history', topic: 'rooms/lobby', limit: 1_000_000 }, 'BAD_REQUEST', new RegExp(`"limit" may be at most ${MAX_REPLAY}\\. Ask for fewer`)],
    ['a zero limit', { action: 'history', topic: 'rooms/lobby', limit: 0 }, 'BAD_REQUEST', /"limit" must be a whole number of at least 1/],
    ['a negative before', { action: 'history', topic: 'rooms/lobby', before: -5 }, 'BAD_REQUEST', /"before" must be a whole number of at least 1/],
    ['history of another user\'s topic', { action: 'history', topic: 'users/bob/inbox' }, 'FORBIDDEN', /private to their user; this connection may only use "users\/eve\//],
    ['history of a topic that keeps none', { action: 'history', topic: 'news/plain' }, 'FORBIDDEN', /keeps no history\. Ask the server team to add it to historyRules/],
  ])('%s gets %s', async (_name, frame, code, words) => {
    const client = await open('eve');
    const answer = await client.request(frame);
    expect(answer).toMatchObject({ type: 'error', code, message: expect.any(String) });
    expect((answer.message as string).length).toBeGreaterThan(20);
    expect(answer.message).toMatch(words);
  });

  it('a seq ahead of the stream is refused, and nothing is subscribed', async () => {
    const client = await open('eve');
    const ack = await client.request({ action: 'subscribe', topic: 'orders/ahead' });
    const answer = await client.request({ action: 'subscribe', topic: 'orders/ahead', since: { epoch: ack.epoch, seq: 999 } });
    expect(answer).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringContaining('ahead of the stream') });
  });
});
