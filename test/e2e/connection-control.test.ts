/**
 * Backends' ConnectionControl events through the real bus, queue and handler bundles: a kick
 * closes every connection of the user with the reason, the client library does not reconnect, a
 * ban refuses the user until it ends, a bad event is dead-lettered, and a kick during a fan-out
 * (many times) closes every connection, counting what was still posted in the moment between.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import WebSocket from 'ws';
import { connect as connectClient, ConnectionState, RealtimeError } from '../../client/src';
import { clientPool, eventBridgeClient, publish, refusedStatus, useLocalRuntime } from './support/clients';
import { eventually } from './support/suite';

const runtime = useLocalRuntime({ settings: { publishRules: ['rooms/*'], 'clientMessages.maxPerSecond': 1000 } });

const { open: openAs, closeAll } = clientPool(runtime);
afterEach(closeAll);

async function control(detail: Record<string, unknown>): Promise<void> {
  const output = await eventBridgeClient(runtime()).send(new PutEventsCommand({
    Entries: [{ EventBusName: runtime().eventBusName, Source: 'e2e.backend', DetailType: 'ConnectionControl', Detail: JSON.stringify(detail) }],
  }));
  if (output.FailedEntryCount) throw new Error(JSON.stringify(output.Entries));
}

it('a kick closes every connection of the user, each told KICKED with the reason; other users stay', async () => {
  const [a, b, c] = await Promise.all([openAs('kicked'), openAs('kicked'), openAs('kicked')]);
  const bystander = await openAs('bystander');
  await control({ action: 'disconnect', userId: 'kicked', reason: 'Your account was suspended.' });
  for (const client of [a, b, c]) {
    await client.waitForClose();
    expect(client.frames.find((f) => f.type === 'closing')).toEqual({ type: 'closing', code: 'KICKED', message: 'Your account was suspended.' });
  }
  await bystander.sync();
  expect(bystander.closeCode).toBeUndefined();
  // Kicked without a ban: the user may connect again.
  await openAs('kicked');
});

it('a kick of one connection closes that one only, and only when it is the user\'s', async () => {
  const [first, second] = await Promise.all([openAs('one'), openAs('one')]);
  const ids = [...runtime().registry.ids()];
  const other = await openAs('someone-else');
  const otherId = [...runtime().registry.ids()].find((id) => !ids.includes(id))!;
  await control({ action: 'disconnect', userId: 'one', connectionId: otherId });
  await control({ action: 'disconnect', userId: 'one', connectionId: ids.find((id) => runtime().registry.ids().includes(id))! });
  await eventually(async () => [first, second].some((c) => c.closeCode !== undefined), 'one connection closed');
  await runtime().drained();
  expect([first, second].filter((c) => c.closeCode !== undefined)).toHaveLength(1);
  await other.sync();
  expect(other.closeCode).toBeUndefined();
});

it('the client library reports KICKED and does not reconnect', async () => {
  let tokens = 0;
  const states: ConnectionState[] = [];
  const errors: RealtimeError[] = [];
  const client = connectClient({ url: runtime().wsUrl, WebSocket: WebSocket as never, token: () => { tokens++; return runtime().token('library-kicked'); } });
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  await client.subscribe('rooms/kick', () => undefined).ready;
  await control({ action: 'disconnect', userId: 'library-kicked', reason: 'Removed by an admin.' });
  await eventually(async () => states.includes('closed'), 'the client closed');
  await runtime().drained();
  expect(errors.map((e) => [e.code, e.message])).toEqual([['KICKED', 'Removed by an admin.']]);
  expect(tokens).toBe(1);
  expect(states).not.toContain('reconnecting');
});

it('a banned user cannot connect until the ban ends', async () => {
  const client = await openAs('banned');
  await control({ action: 'disconnect', userId: 'banned', banSeconds: 3 });
  await client.waitForClose();
  const bannedAt = Date.now();
  const url = `${runtime().wsUrl}?token=${encodeURIComponent(await runtime().token('banned'))}`;
  expect(await refusedStatus(url)).toBe(403);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, bannedAt + 4_000 - Date.now())));
  await openAs('banned');
});

it('a ConnectionControl event that does not match its schema is dead-lettered with BAD_CONNECTION_CONTROL', async () => {
  await control({ action: 'explode', userId: 'x' });
  await control({ action: 'disconnect', userId: 'x', banSeconds: -5 });
  await runtime().drained();
  const reasons = runtime().deadLetters().map((d) => d.messageAttributes.reason).filter((r) => r === 'BAD_CONNECTION_CONTROL');
  expect(reasons).toHaveLength(2);
});

describe('a kick during a fan-out', () => {
  const TRIALS = 15;
  const NOTIFICATIONS = 20;

  // A fan-out that read its audience before the kick removed the rows may still post until the
  // connection is closed: that window is counted and reported, not hidden (README, "Revoking").
  it(`every kicked connection is told and closed while notifications are in flight (${TRIALS} trials)`, async () => {
    const events = eventBridgeClient(runtime());
    let afterClosing = 0;
    let before = 0;
    let closed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const userId = `fanout-kicked-${trial}`;
      const topic = `rooms/fanout-${trial}`;
      const clients = await Promise.all([openAs(userId), openAs(userId)]);
      await Promise.all(clients.map((c) => c.subscribe(topic)));
      const send = (n: number) => publish(events, runtime(), { topic, data: { n } });
      // Half the notifications are on their way when the kick is put on the bus, half follow it at once.
      const first = Array.from({ length: NOTIFICATIONS / 2 }, (_, n) => send(n));
      await Promise.all([...first, control({ action: 'disconnect', userId }),
        ...Array.from({ length: NOTIFICATIONS / 2 }, (_, n) => send(NOTIFICATIONS / 2 + n))]);
      await Promise.all(clients.map((c) => c.waitForClose()));
      await runtime().drained();
      for (const c of clients) {
        const closingAt = c.frames.findIndex((f) => f.type === 'closing');
        expect(c.frames[closingAt]).toMatchObject({ code: 'KICKED' });
        if (c.closeCode !== undefined) closed++;
        afterClosing += c.frames.slice(closingAt + 1).length;
        before += c.frames.slice(0, closingAt).filter((f) => f.type === 'notification').length;
      }
    }
    console.info(`kick during fan-out: ${before} of ${TRIALS * NOTIFICATIONS * 2} notifications before the closing frame, ${afterClosing} frames after it`);
    expect(closed).toBe(TRIALS * 2);
  }, 120_000);
});
