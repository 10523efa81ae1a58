/**
 * Delivery under failure, end to end through the local runtime: the real handler bundles, the
 * real queue semantics (visibility timeout, partial batch responses, re-queues, DLQ) and real
 * WebSocket clients, with faults injected into the @connections API and a deliver instance that
 * dies in the middle of a batch. Each test checks what the clients actually received:
 * every live subscriber gets every notification, a duplicate is the same frame with the same id,
 * and the DLQ holds exactly the connections that could not be reached, with their reasons.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_POST_TIMEOUT_MS } from '../../lambda/fanout/connections-poster';
import { useLocalRuntime } from '../e2e/support/clients';
import { connectClients, eventually, publish, TestClient } from './support/clients';
import { ConnectionFaultPlan } from './support/connection-faults';

const CLIENTS = 24;
const plan = new ConnectionFaultPlan();
let clients: TestClient[];
let topicCounter = 0;

// Declared before useLocalRuntime, so the clients close before the runtime stops.
afterAll(() => {
  for (const c of clients ?? []) c.close();
});
const runtime = useLocalRuntime({
  connectionsFaults: plan.injector,
  // A crashed batch comes back after seconds instead of six minutes; still longer than any
  // invocation here takes (the slowest waits out one post timeout), as in AWS, where the
  // construct sets six times the function timeout.
  queue: { visibilityTimeoutSeconds: Math.ceil(DEFAULT_POST_TIMEOUT_MS / 1000) + 2 },
  // One re-queue before the DLQ keeps the test short; the path is the same for any number.
  settings: { 'delivery.maxAttempts': 2 },
  log: () => undefined,
  handlerLog: () => undefined,
});

beforeAll(async () => {
  clients = await connectClients(runtime(), CLIENTS, 'fault-user-');
});

beforeEach(() => {
  plan.reset();
  runtime().deadLetterQueue.purge();
});

/** A fresh topic every live client is subscribed to. */
async function subscribedTopic(subscribers: readonly TestClient[]): Promise<string> {
  const topic = `faults/t${topicCounter++}`;
  await Promise.all(subscribers.map((c) => c.subscribe(topic)));
  return topic;
}

/** Every client got every id at least once, and every copy of a notification is the same frame. */
function expectAtLeastOnce(receivers: readonly TestClient[], ids: readonly string[]): void {
  for (const c of receivers) {
    const byId = c.framesById();
    for (const id of ids) {
      const frames = byId.get(id) ?? [];
      expect({ connectionId: c.connectionId, id, received: frames.length > 0 }).toEqual({ connectionId: c.connectionId, id, received: true });
      expect(new Set(frames).size).toBe(1);
    }
  }
}

function copies(c: TestClient, id: string): number {
  return c.framesById().get(id)?.length ?? 0;
}

test('429s, 500s, reset sockets and slow answers are retried for the failed connections only, and everyone gets it exactly once', async () => {
  const topic = await subscribedTopic(clients);
  // Six kinds of connection: healthy; one 429; one 500; one reset socket; one slow answer;
  // three 500s in a row, which outlasts the in-invocation retries and sends it back to the queue.
  const kinds = ['healthy', '429', '500', 'reset', 'slow', 'requeued'] as const;
  const kindOf = (i: number) => kinds[i % kinds.length];
  clients.forEach((c, i) => {
    const kind = kindOf(i);
    if (kind === '429') plan.script(c.connectionId, [{ status: 429 }]);
    if (kind === '500') plan.script(c.connectionId, [{ status: 500 }]);
    if (kind === 'reset') plan.script(c.connectionId, [{ reset: true }]);
    if (kind === 'slow') plan.script(c.connectionId, [{ delayMs: 300 }]);
    if (kind === 'requeued') plan.script(c.connectionId, [{ status: 500 }, { status: 500 }, { status: 500 }]);
  });

  await publish(runtime(), [{ topic, id: 'n-transient', data: { step: 1 } }]);
  await runtime().drained();
  await eventually(() => clients.forEach((c) => expect(copies(c, 'n-transient')).toBeGreaterThan(0)));

  clients.forEach((c, i) => {
    // Exactly once: a failed post never reached the client, and a delivered one is never re-sent.
    expect({ kind: kindOf(i), copies: copies(c, 'n-transient') }).toEqual({ kind: kindOf(i), copies: 1 });
    const expectedPosts = { healthy: 1, '429': 2, '500': 2, reset: 2, slow: 1, requeued: 4 }[kindOf(i)];
    expect({ kind: kindOf(i), posts: plan.postsTo(c.connectionId) }).toEqual({ kind: kindOf(i), posts: expectedPosts });
  });
  expect(runtime().deadLetters()).toEqual([]);
});

test('a post answered after the client gave up is delivered twice, as the same frame with the same id', async () => {
  const topic = await subscribedTopic(clients);
  // Longer than the poster's request timeout: the client retries while the first post still lands.
  const slow = clients.slice(0, 2);
  for (const c of slow) plan.script(c.connectionId, [{ delayMs: DEFAULT_POST_TIMEOUT_MS + 500 }]);

  await publish(runtime(), [{ topic, id: 'n-slow', data: { step: 2 } }]);
  await runtime().drained();
  await eventually(() => slow.forEach((c) => expect(copies(c, 'n-slow')).toBe(2)), DEFAULT_POST_TIMEOUT_MS + 3_000);

  expectAtLeastOnce(clients, ['n-slow']);
  for (const c of clients.slice(2)) expect(copies(c, 'n-slow')).toBe(1);
  expect(runtime().deadLetters()).toEqual([]);
});

test('connections that keep failing end in the DLQ with their reasons; gone ones are removed; the rest get it once', async () => {
  const live = clients.slice(0, CLIENTS - 1);
  const topic = await subscribedTopic(clients);
  // The last client vanishes without a close frame: the gateway answers 410 for it from now on.
  const vanished = clients[CLIENTS - 1];
  runtime().gateway.loseConnection(vanished.connectionId);
  const failing500 = live.slice(0, 2);
  const failing429 = live.slice(2, 4);
  for (const c of failing500) plan.always(c.connectionId, { status: 500 });
  for (const c of failing429) plan.always(c.connectionId, { status: 429 });
  const healthy = live.slice(4);

  const ids = ['n-dlq-1', 'n-dlq-2'];
  await publish(runtime(), ids.map((id, i) => ({ topic, id, data: { step: 3, i } })));
  await runtime().drained();
  await eventually(() => healthy.forEach((c) => ids.forEach((id) => expect(copies(c, id)).toBe(1))));

  for (const c of [...failing500, ...failing429]) for (const id of ids) expect(copies(c, id)).toBe(0);

  // The DLQ holds, per notification, exactly the connections that could not be reached, and why.
  const deadLetters = runtime().deadLetters();
  expect(deadLetters.length).toBeGreaterThan(0);
  const missed = new Map<string, Record<string, string>>();
  for (const letter of deadLetters) {
    expect(letter.messageAttributes).toMatchObject({ reason: 'UNDELIVERED', attempts: '2' });
    const body = letter.body as { notification: { id: string }; connectionIds: string[]; reasons: Record<string, string> };
    expect(letter.messageAttributes.notificationId).toBe(body.notification.id);
    const reasons = missed.get(body.notification.id) ?? {};
    for (const id of body.connectionIds) reasons[id] = body.reasons[id];
    missed.set(body.notification.id, reasons);
  }
  const expected = Object.fromEntries([
    ...failing500.map((c) => [c.connectionId, 'SERVER_ERROR']),
    ...failing429.map((c) => [c.connectionId, 'THROTTLED']),
  ]);
  expect(Object.fromEntries(missed)).toEqual(Object.fromEntries(ids.map((id) => [id, expected])));

  // The vanished connection is not a failure: it was cleaned up, subscription and all.
  const { Items } = await runtime().dynamo.client.send(new QueryCommand({
    TableName: runtime().settings.subscriptionsTable,
    KeyConditionExpression: 'topic = :t',
    ExpressionAttributeValues: { ':t': { S: topic } },
  }));
  const subscribers = (Items ?? []).map((item) => item.connectionId.S);
  expect(subscribers).not.toContain(vanished.connectionId);
  expect(subscribers).toHaveLength(live.length);
  // Later tests use only the clients still connected.
  clients.pop();
});

test('a deliver instance that dies mid-batch loses nothing: the batch comes back and duplicates carry the same id', async () => {
  const topic = await subscribedTopic(clients);
  const ids = ['n-crash-1', 'n-crash-2', 'n-crash-3', 'n-crash-4', 'n-crash-5'];
  const failedBefore = runtime().eventSourceMapping.stats.failedInvocations;
  const audience = clients.length * ids.length;
  let crashed = false;
  // After a third of the posts, the execution environment dies, as on an out-of-memory kill.
  plan.onPost((_id, total) => {
    if (crashed || total < Math.floor(audience / 3)) return;
    crashed = true;
    void runtime().functions.deliver.crash();
  });

  // One PutEvents call: the five notifications reach deliver as one batch.
  await publish(runtime(), ids.map((id, i) => ({ topic, id, data: { step: 4, i } })));
  await runtime().drained();
  await eventually(() => expectAtLeastOnce(clients, ids), 8_000);

  expect(crashed).toBe(true);
  expect(runtime().eventSourceMapping.stats.failedInvocations).toBeGreaterThan(failedBefore);
  // The crash came after some posts had landed: those clients saw the notification twice.
  const duplicated = clients.flatMap((c) => ids.filter((id) => copies(c, id) > 1));
  expect(duplicated.length).toBeGreaterThan(0);
  expect(runtime().deadLetters()).toEqual([]);
});
