/**
 * Continuity with stream positions: the client resubscribes from each topic's last position and
 * resumes the user's own stream after every reconnect, so forced and server-side closes during
 * bursts lose nothing and show nothing twice; a stored position brings back what was published
 * while no client was connected (the offline inbox); history pages back through a topic.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Notification, PositionStore } from '../../client/src';
import { LocalRuntime } from '../../local/runtime';
import { clientTests, expectEachOnce, publish, settled, waitUntil } from './support';

const { start, app, fresh } = clientTests({ historyRules: ['feeds/*', 'rooms/*'], publishRules: ['rooms/*'], presenceRules: ['rooms/*'] });

/** A position store in memory, as localStorage would keep it across page loads. */
function memoryStore(): PositionStore & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, get: (key) => entries.get(key), set: (key, value) => void entries.set(key, value) };
}

/** Seqs strictly increasing: no duplicate position, none handed over twice. */
function expectSeqsUnique(received: Notification[]): void {
  const seqs = received.map((n) => n.seq);
  expect(seqs.every((s) => typeof s === 'number')).toBe(true);
  expect(new Set(seqs).size).toBe(seqs.length);
}

describe('with API Gateway’s usual limits', () => {
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start());
  }, 120_000);

  it('loses nothing and repeats nothing when connections are dropped during a burst', async () => {
    const topic = fresh('feeds');
    const alice = app(runtime, 'alice');
    alice.onUserNotifications();
    await alice.subscribe(topic);

    const sent: number[] = [];
    const toUser: number[] = [];
    const burst = (async () => {
      for (let i = 0; i < 60; i++) {
        await publish(events, runtime, i % 3 === 0 ? { userId: 'alice', data: i } : { topic, data: i });
        (i % 3 === 0 ? toUser : sent).push(i);
        // A steady stream rather than a flood: the server's replay waits only briefly for
        // notifications still being kept, and a flood on a loaded machine outlasts that wait.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Three forced closes while the burst runs, each once a few more notifications arrived.
    for (const [n, close] of [[5, 'lose'], [15, 'delete'], [25, 'lose']] as const) {
      await alice.waitForCount(topic, n);
      const [id] = alice.connections();
      if (close === 'lose') runtime.gateway.loseConnection(id);
      else runtime.registry.get(id)!.close();
      await waitUntil(() => alice.connections().length === 1 && alice.connections()[0] !== id, 'a new connection');
    }
    await burst;
    await alice.waitForCount(topic, sent.length);
    await alice.waitForCount('', toUser.length);
    await settled(runtime, alice);
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), toUser);
    expectSeqsUnique(alice.list(topic));
    expectSeqsUnique(alice.list(''));
    // One reconnect per forced close at least (a loaded machine may need a second attempt for one).
    expect(alice.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3);
    expect(alice.gaps).toEqual([]);
  });

  it('brings back what was published while no client was connected, from the stored positions', async () => {
    const topic = fresh('feeds');
    const store = memoryStore();
    const firstVisit = app(runtime, 'bob', { positions: store });
    firstVisit.onUserNotifications();
    await firstVisit.subscribe(topic);
    await publish(events, runtime, { userId: 'bob', data: 1 });
    await publish(events, runtime, { topic, data: 1 });
    await firstVisit.waitForCount('', 1);
    await firstVisit.waitForCount(topic, 1);
    firstVisit.close();
    expect(JSON.parse(store.entries.get('user')!)).toEqual({ epoch: expect.any(String), seq: expect.any(Number) });
    expect(JSON.parse(store.entries.get(`topic:${topic}`)!)).toEqual({ epoch: expect.any(String), seq: expect.any(Number) });

    // Away: nobody of bob's is connected while these are published.
    for (const data of [2, 3, 4]) {
      await publish(events, runtime, { userId: 'bob', data });
      await publish(events, runtime, { topic, data });
    }
    await runtime.drained();

    const nextVisit = app(runtime, 'bob', { positions: store });
    nextVisit.onUserNotifications();
    await nextVisit.subscribe(topic);
    await nextVisit.waitForCount('', 3);
    await nextVisit.waitForCount(topic, 3);
    await settled(runtime, nextVisit);
    expect(nextVisit.list('').map((n) => n.data)).toEqual([2, 3, 4]); // in order, from the replay
    expect(nextVisit.list(topic).map((n) => n.data)).toEqual([2, 3, 4]);
    expect(nextVisit.gaps).toEqual([]);
  });

  it('reports a gap for a stored position the server cannot continue from, and carries on from the current one', async () => {
    const topic = fresh('feeds');
    await publish(events, runtime, { topic, data: 0 });
    await runtime.drained();
    const store = memoryStore();
    store.set(`topic:${topic}`, JSON.stringify({ epoch: 'an-epoch-long-gone', seq: 3 }));
    store.set('user', JSON.stringify({ epoch: 'an-epoch-long-gone', seq: 1_000_000 }));
    const carol = app(runtime, 'carol', { positions: store });
    carol.onUserNotifications();
    await carol.subscribe(topic);
    await waitUntil(() => carol.gaps.length === 2, 'a gap on each stream');
    expect(carol.gaps).toEqual(expect.arrayContaining([{ topic }, {}]));
    await publish(events, runtime, { topic, data: 1 });
    await publish(events, runtime, { userId: 'carol', data: 2 });
    await carol.waitForCount(topic, 1);
    await carol.waitForCount('', 1);
    expect(carol.errors).toEqual([]);
  });

  it('pages back through a topic’s history, oldest first within each page', async () => {
    const topic = fresh('feeds');
    for (let data = 1; data <= 7; data++) await publish(events, runtime, { topic, data });
    await runtime.drained();
    const dave = app(runtime, 'dave');
    const pages: number[][] = [];
    const data: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await dave.client.history(topic, { limit: 3, ...(before === undefined ? {} : { before }) });
      pages.push(page.notifications.map((n) => n.seq as number));
      data.push(...page.notifications.map((n) => n.data as number));
      if (!page.hasMore) break;
      before = page.notifications[0].seq;
    }
    expect(pages).toEqual([[5, 6, 7], [2, 3, 4], [1]]);
    // Deliver instances take batches side by side, so positions follow arrival, not publishing, order.
    expect(data.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await expect(dave.client.history(topic, { limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('does not hand the app its own message on a replay when it published without echo', async () => {
    const room = fresh('rooms');
    const erin = app(runtime, 'erin');
    const frank = app(runtime, 'frank');
    await Promise.all([erin.subscribe(room), frank.subscribe(room)]);
    await erin.client.publish(room, 'mine');
    await frank.client.publish(room, 'theirs');
    await erin.waitForCount(room, 1);
    const [id] = erin.connections();
    runtime.gateway.loseConnection(id);
    await erin.waitForState('open', erin.states.indexOf('reconnecting'));
    await frank.client.publish(room, 'after');
    await erin.waitForCount(room, 2);
    await settled(runtime, erin);
    expect(erin.list(room).map((n) => n.data)).toEqual(['theirs', 'after']);
  });
});

describe('with short idle and maximum connection times on the server', () => {
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start({ idleTimeoutMs: 700, maxConnectionMs: 2000 }));
  }, 120_000);

  it('loses nothing and repeats nothing across idle and maximum-duration closes during a burst', async () => {
    const topic = fresh('feeds');
    // One that never pings (closed whenever idle), one that pings but keeps its connections past the cap.
    const idle = app(runtime, 'alice', { pingIntervalMs: 60_000 });
    const capped = app(runtime, 'bob', { pingIntervalMs: 200, maxConnectionMs: 60_000 });
    for (const a of [idle, capped]) a.onUserNotifications();
    await Promise.all([idle.subscribe(topic), capped.subscribe(topic)]);

    const sent: number[] = [];
    for (let i = 0; i < 50; i++) {
      await publish(events, runtime, { topic, data: i });
      sent.push(i);
      if (i % 10 === 0) await Promise.all(['alice', 'bob'].map((userId) => publish(events, runtime, { userId, data: i })));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const toUser = sent.filter((i) => i % 10 === 0);
    for (const a of [idle, capped]) {
      await a.waitForCount(topic, sent.length);
      await a.waitForCount('', toUser.length);
    }
    await settled(runtime, idle, capped);
    for (const a of [idle, capped]) {
      expect(a.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
      expectEachOnce(a.list(topic), sent);
      expectEachOnce(a.list(''), toUser);
      expectSeqsUnique(a.list(topic));
      expect(a.gaps).toEqual([]);
    }
  });
});
