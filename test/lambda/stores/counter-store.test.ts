/** The counters table against the embedded DynamoDB: exact under concurrency, as the limits and presence need. */
import { CounterStore } from '../../../lambda/stores/counter-store';
import { rateWindowKey, presenceKey } from '../../../lambda/stores/keys';
import { createStores } from '../../../lambda/stores';
import { removeConnection, SubscriptionEndings } from '../../../lambda/stores/remove-connection';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';

let db: TestDynamo;
let counters: CounterStore;
let tables: Awaited<ReturnType<TestDynamo['freshTables']>>;

beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(async () => {
  tables = await db.freshTables();
  counters = new CounterStore(db.doc, tables.countersTable);
});

const expiresAt = () => Math.floor(Date.now() / 1000) + 3600;

describe('message rate', () => {
  const second = Date.UTC(2026, 10, 28, 12, 0, 0);

  test('allows exactly the limit per second however many race, and says when to retry', async () => {
    const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => counters.takeMessageToken('alice', 5, second + 100 + i)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    for (const d of decisions.filter((d) => !d.allowed)) {
      expect(d).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
      expect((d as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      expect((d as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(900);
    }
    // The next second starts afresh; another sender has a limit of their own.
    expect(await counters.takeMessageToken('alice', 5, second + 1000)).toEqual({ allowed: true });
    expect(await counters.takeMessageToken('bob', 5, second + 999)).toEqual({ allowed: true });
  });

  test('windows expire on their own (TTL) shortly after their second', async () => {
    await counters.takeMessageToken('alice', 5, second);
    const item = await db.get(tables.countersTable, rateWindowKey('alice', second / 1000) as unknown as Record<string, string>);
    expect(item).toMatchObject({ messages: 1 });
    expect(item?.expiresAt).toBeGreaterThan(second / 1000);
    expect(item?.expiresAt).toBeLessThanOrEqual(second / 1000 + 300);
  });
});

describe('presence counts', () => {
  test('counts a user once per connection and forgets them at zero', async () => {
    expect(await Promise.all([counters.addPresence('rooms/a', 'alice', expiresAt()), counters.addPresence('rooms/a', 'alice', expiresAt())]))
      .toEqual(expect.arrayContaining([1, 2]));
    expect(await counters.addPresence('rooms/a', 'bob', expiresAt())).toBe(1);
    expect(await counters.presence('rooms/a', 10)).toEqual({
      members: [{ userId: 'alice', connections: 2 }, { userId: 'bob', connections: 1 }], count: 2,
    });

    expect(await counters.removePresence('rooms/a', 'alice')).toBe(1);
    expect(await counters.removePresence('rooms/a', 'alice')).toBe(0);
    // Counted down already: a second cleanup of the same connection says so.
    expect(await counters.removePresence('rooms/a', 'alice')).toBeUndefined();
    expect(await db.get(tables.countersTable, presenceKey('rooms/a', 'alice') as unknown as Record<string, string>)).toBeUndefined();
    expect(await counters.presence('rooms/a', 10)).toEqual({ members: [{ userId: 'bob', connections: 1 }], count: 1 });
  });

  test('the expiry only moves later: an older connection subscribing again does not make the user read as gone', async () => {
    const now = Date.now();
    const nowS = Math.floor(now / 1000);
    // Tab B (newer, expires later) subscribes, then tab A (connected earlier, expires sooner) again, many times at once.
    await counters.addPresence('rooms/ttl', 'alice', nowS + 7200);
    const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => counters.addPresence('rooms/ttl', 'alice', nowS + 60 + i)));
    expect(counts.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const item = await db.get(tables.countersTable, presenceKey('rooms/ttl', 'alice') as unknown as Record<string, string>);
    expect(item).toMatchObject({ connections: 11, expiresAt: nowS + 7200 });
    // Once the older tabs' expiry has passed, alice is still there (tab B).
    expect(await counters.presenceOf('rooms/ttl', 'alice', now + 120_000)).toBe(11);
    expect((await counters.presence('rooms/ttl', 10, now + 120_000)).count).toBe(1);
    // A later expiry moves it.
    await counters.addPresence('rooms/ttl', 'alice', nowS + 9000);
    expect(await db.get(tables.countersTable, presenceKey('rooms/ttl', 'alice') as unknown as Record<string, string>)).toMatchObject({ expiresAt: nowS + 9000 });
  });

  test('lists at most the limit and still counts everyone', async () => {
    const users = Array.from({ length: 7 }, (_, i) => `user-${i}`);
    for (const u of users) await counters.addPresence('rooms/big', u, expiresAt());
    const { members, count } = await counters.presence('rooms/big', 3);
    expect(members.map((m) => m.userId)).toEqual(users.slice(0, 3));
    expect(count).toBe(7);
    expect(await counters.presence('rooms/empty', 3)).toEqual({ members: [], count: 0 });
  });
});

describe('removing a connection ends each presence subscription exactly once', () => {
  test('removals that race (a $disconnect and a 410) report each subscription once between them', async () => {
    const stores = createStores(tables, db.doc);
    const ended: string[] = [];
    const endings: SubscriptionEndings = {
      concerns: (topic) => topic.startsWith('rooms/'),
      mayConcern: (topic) => topic.startsWith('rooms/'),
      ended: async (topic, userId) => { ended.push(`${userId}@${topic}`); },
    };
    for (let run = 0; run < 5; run++) {
      const id = `c${run}=`;
      await stores.connections.putConnection({ connectionId: id, userId: 'alice', connectedAt: 1, expiresAt: expiresAt() });
      for (const topic of ['rooms/a', 'rooms/b', 'orders/1']) await stores.subscriptions.subscribe(topic, id, expiresAt(), 'alice');
      // Either may take the connection row; the other learns the user from the subscription rows.
      const removed = await Promise.all([removeConnection(stores, id, endings), removeConnection(stores, id, endings)]);
      expect(removed[0] + removed[1]).toBeGreaterThanOrEqual(3);
    }
    expect(ended.sort()).toEqual(Array.from({ length: 5 }, () => ['alice@rooms/a', 'alice@rooms/b']).flat().sort());
    expect(await db.items(tables.subscriptionsTable)).toEqual([]);
  });

  test('without the row, only topics some user\'s presence may be counted on are deleted one by one', async () => {
    const stores = createStores(tables, db.doc);
    for (const topic of ['rooms/a', 'orders/1', 'orders/2']) await stores.subscriptions.subscribe(topic, 'norow=', expiresAt(), 'bob');
    const concerned: string[] = [];
    await removeConnection(stores, 'norow=', {
      concerns: (topic) => topic.startsWith('rooms/'),
      mayConcern: (topic) => { concerned.push(topic); return topic.startsWith('rooms/'); },
      ended: async () => undefined,
    });
    expect(concerned.sort()).toEqual(['orders/1', 'orders/2', 'rooms/a']);
    expect(await db.items(tables.subscriptionsTable)).toEqual([]);
  });

  test('a removal after the row expired still ends the presence it held', async () => {
    const stores = createStores(tables, db.doc);
    await stores.subscriptions.subscribe('rooms/a', 'gone=', expiresAt(), 'bob');
    const ended: string[] = [];
    await removeConnection(stores, 'gone=', {
      concerns: () => true,
      mayConcern: () => true,
      ended: async (topic, userId) => { ended.push(`${userId}@${topic}`); },
    });
    expect(ended).toEqual(['bob@rooms/a']);
  });
});
