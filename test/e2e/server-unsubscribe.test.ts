/**
 * A backend takes a topic from a user (ConnectionControl `unsubscribe`) through the real bus,
 * queue and handler bundles: delivery stops at once on every connection of the user, each is
 * told, presence announces the leave, and neither a new subscribe nor the client library's
 * reconnect brings the topic back.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import WebSocket from 'ws';
import { connect as connectClient, RealtimeError } from '../../client/src';
import { clientPool, eventBridgeClient, publish, useLocalRuntime } from './support/clients';
import { eventually } from './support/suite';

// Topic rules allow teams/* only: private/* is reachable through a backend's subscribe alone.
const runtime = useLocalRuntime({ settings: { presenceRules: ['teams/*'], topicRules: ['teams/*'] } });

const { open: openAs, closeAll } = clientPool(runtime);
afterEach(closeAll);

async function unsubscribeUser(userId: string, topic: string, action = 'unsubscribe'): Promise<void> {
  const output = await eventBridgeClient(runtime()).send(new PutEventsCommand({
    Entries: [{ EventBusName: runtime().eventBusName, Source: 'e2e.backend', DetailType: 'ConnectionControl', Detail: JSON.stringify({ action, userId, topic }) }],
  }));
  if (output.FailedEntryCount) throw new Error(JSON.stringify(output.Entries));
}

it('stops delivery on every connection of the user at once, tells them, announces the leave, and refuses a new subscribe', async () => {
  const [phone, laptop] = await Promise.all([openAs('removed'), openAs('removed')]);
  const teammate = await openAs('teammate');
  await Promise.all([phone.subscribe('teams/7'), laptop.subscribe('teams/7'), teammate.subscribe('teams/7')]);
  await unsubscribeUser('removed', 'teams/7');
  for (const c of [phone, laptop]) await c.waitFor((f) => f.type === 'unsubscribed' && f.byServer === true, 'the server unsubscribe');
  await teammate.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.userId === 'removed', 'the leave');
  await publish(eventBridgeClient(runtime()), runtime(), { topic: 'teams/7', data: 'after removal' });
  await teammate.waitForNotifications(1);
  await runtime().drained();
  await Promise.all([phone.sync(), laptop.sync()]);
  expect([...phone.notifications, ...laptop.notifications]).toEqual([]);
  expect(await phone.request({ action: 'subscribe', topic: 'teams/7' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  // After a reconnect too.
  const again = await openAs('removed');
  expect(await again.request({ action: 'subscribe', topic: 'teams/7' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  // Nor who is there: every read of the topic is closed to the user, not only subscribing.
  expect(await again.request({ action: 'presence', topic: 'teams/7' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringContaining('removed') });
  expect(await teammate.request({ action: 'presence', topic: 'teams/7' })).toMatchObject({ type: 'presence' });
});

it('the client library drops the topic, reports it, and does not resubscribe it after a reconnect', async () => {
  const errors: RealtimeError[] = [];
  const received: unknown[] = [];
  const client = connectClient({ url: runtime().wsUrl, WebSocket: WebSocket as never, token: () => runtime().token('library-removed') });
  client.on('error', (e) => errors.push(e));
  try {
    await client.subscribe('teams/9', (n) => received.push(n.data)).ready;
    await unsubscribeUser('library-removed', 'teams/9');
    await eventually(async () => errors.some((e) => e.topic === 'teams/9'), 'the client to report the removal');
    expect(errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
    // A dropped connection: the client reconnects, and must not bring teams/9 back.
    for (const id of runtime().registry.ids()) runtime().gateway.loseConnection(id);
    await eventually(async () => runtime().registry.ids().length > 0, 'the reconnect');
    await client.presence('teams/other').catch(() => undefined);
    await publish(eventBridgeClient(runtime()), runtime(), { topic: 'teams/9', data: 'after reconnect' });
    await runtime().drained();
    expect(received).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
  } finally {
    client.close();
  }
});

it('a backend\'s subscribe adds a topic the rules refuse to every connection, tells the client, survives a reconnect, and ends with its unsubscribe', async () => {
  const [a, b] = await Promise.all([openAs('granted'), openAs('granted')]);
  expect(await a.request({ action: 'subscribe', topic: 'private/9' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  await unsubscribeUser('granted', 'private/9', 'subscribe');
  for (const c of [a, b]) await c.waitFor((f) => f.type === 'subscribed' && f.byServer === true && f.topic === 'private/9', 'the server subscribe');
  await publish(eventBridgeClient(runtime()), runtime(), { topic: 'private/9', data: 1 });
  await Promise.all([a.waitForNotifications(1), b.waitForNotifications(1)]);
  // A new connection of the user may subscribe to it itself (what a client library does on reconnect).
  const later = await openAs('granted');
  expect(await later.request({ action: 'subscribe', topic: 'private/9' })).toMatchObject({ type: 'subscribed' });
  await unsubscribeUser('granted', 'private/9');
  await later.waitFor((f) => f.type === 'unsubscribed' && f.byServer === true, 'the server unsubscribe');
  expect(await later.request({ action: 'subscribe', topic: 'private/9' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
});

describe('a subscribe racing a backend\'s unsubscribe of the user', () => {
  const TRIALS = 24;

  it(`never leaves the topic subscribed once the backend took it (${TRIALS} trials)`, async () => {
    const watcher = await openAs('race-watcher');
    const trials = await Promise.all(Array.from({ length: TRIALS }, async (_, trial) => {
      const userId = `race-${trial}`;
      const topic = `teams/race-${trial}`;
      const [client] = await Promise.all([openAs(userId), watcher.subscribe(topic)]);
      // The revoke travels through the bus and the queue; the subscribe goes out from 40 ms before
      // it was sent to 52 ms after.
      const lead = (trial * 4) % 96 - 40;
      const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
      const [answer] = await Promise.all([
        later(lead).then(() => client.request({ action: 'subscribe', topic })),
        later(-lead).then(() => unsubscribeUser(userId, topic)),
      ]);
      return { client, topic, answer: answer.type === 'subscribed' ? 'subscribed' : String(answer.code) };
    }));
    await runtime().drained();
    for (const { topic } of trials) await publish(eventBridgeClient(runtime()), runtime(), { topic, data: 'after the revoke' });
    await watcher.waitForNotifications(TRIALS);
    await runtime().drained();
    await Promise.all(trials.map(({ client }) => client.sync()));
    const answers = trials.reduce<Record<string, number>>((counts, t) => ({ ...counts, [t.answer]: (counts[t.answer] ?? 0) + 1 }), {});
    console.info(`subscribe racing a revoke: ${JSON.stringify(answers)}`);
    expect(trials.filter(({ client }) => client.notifications.length > 0).map(({ topic }) => topic)).toEqual([]);
  }, 60_000);
});
