/**
 * Connections that end with their token, through the real handler bundles behind the local
 * gateway, bus and queue: the `reauth` frame before the expiry, a renewal that keeps the
 * connection, no delivery once the token expired (even while the socket is still open), the close
 * after the grace, another user's token refused, and a `reauth` racing the close, many times.
 */
import WebSocket from 'ws';
import { connect as connectClient, ConnectionState, Notification } from '../../client/src';
import { connect, eventBridgeClient, publish, TestClient, useLocalRuntime } from './support/clients';

const GRACE_SECONDS = 2;

const runtime = useLocalRuntime({ settings: { 'connections.tokenExpiryGrace': GRACE_SECONDS } });

const open: TestClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => (c.closeCode === undefined ? c.close() : undefined)));
});

/** A connection whose token lives `seconds`; resolves with the client and the token's expiry. */
async function openFor(userId: string, seconds: number): Promise<{ client: TestClient; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + seconds;
  const client = await connect(runtime(), userId, { token: await runtime().token(userId, { expiresInSeconds: seconds }) });
  open.push(client);
  return { client, exp };
}

/** Resolves once the clock has passed `epochSeconds`. */
async function until(epochSeconds: number): Promise<void> {
  const wait = epochSeconds * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

async function send(topic: string, data: unknown): Promise<void> {
  await publish(eventBridgeClient(runtime()), runtime(), { topic, data });
}

it('a connection with a 20-second token is asked for a fresh one, renews, and keeps receiving past the first expiry', async () => {
  const { client, exp } = await openFor('renewing', 20);
  await client.subscribe('orders/renew');
  const asked = await client.waitFor((f) => f.type === 'reauth', 'the reauth frame', 30_000);
  expect(asked.expiresAt).toBe(exp);
  const answer = await client.request({ action: 'reauth', token: await runtime().token('renewing', { expiresInSeconds: 120 }) });
  expect(answer).toMatchObject({ type: 'reauthed' });
  expect(answer.expiresAt as number).toBeGreaterThan(exp);
  await until(exp + GRACE_SECONDS + 2);
  await send('orders/renew', { n: 1 });
  await client.waitForNotifications(1);
  await client.sync();
  expect(client.closeCode).toBeUndefined();
}, 60_000);

it('the client library renews through its token function, on the same connection, and keeps receiving', async () => {
  let tokens = 0;
  const states: ConnectionState[] = [];
  const received: Notification[] = [];
  const exp = Math.floor(Date.now() / 1000) + 6;
  const client = connectClient({
    url: runtime().wsUrl,
    WebSocket: WebSocket as never,
    token: () => {
      tokens++;
      return runtime().token('library', { expiresInSeconds: tokens === 1 ? 6 : 600 });
    },
  });
  client.on('state', (state) => states.push(state));
  try {
    await client.subscribe('orders/library', (n) => received.push(n)).ready;
    await until(exp + GRACE_SECONDS + 2);
    await send('orders/library', { n: 1 });
    const deadline = Date.now() + 20_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((n) => n.data)).toEqual([{ n: 1 }]);
    // One token to connect, one to renew; never a reconnect.
    expect(tokens).toBe(2);
    expect(states).not.toContain('reconnecting');
  } finally {
    client.close();
  }
}, 60_000);

it('a connection that does not renew gets nothing after exp, though still open, and is closed with TOKEN_EXPIRED', async () => {
  const { client: lapsing, exp } = await openFor('lapsing', 5);
  const { client: watcher } = await openFor('watcher', 600);
  await lapsing.subscribe('orders/lapse');
  await watcher.subscribe('orders/lapse');
  await lapsing.waitFor((f) => f.type === 'reauth', 'the reauth frame');
  await until(exp);
  // Right after exp, within the grace: the socket is open, the notification must not reach it.
  await send('orders/lapse', { n: 'after exp' });
  await watcher.waitForNotifications(1);
  expect(lapsing.closeCode).toBeUndefined();
  // Nor may it read anything itself until it renews: a replay or a page of history would leak what a fresh token might not allow.
  for (const frame of [{ action: 'subscribe', topic: 'orders/other' }, { action: 'presence', topic: 'orders/lapse' }, { action: 'resume' }]) {
    expect(await lapsing.request(frame)).toMatchObject({ type: 'error', code: 'UNAUTHORIZED', message: expect.stringContaining('reauth') });
  }
  const closing = await lapsing.waitFor((f) => f.type === 'closing', 'the closing frame', 20_000);
  expect(closing.code).toBe('TOKEN_EXPIRED');
  await lapsing.waitForClose();
  expect(lapsing.notifications).toEqual([]);
}, 60_000);

it('after exp, a user\'s notification and the unread counts that follow reach only their connections with a valid token', async () => {
  const { client: lapsing, exp } = await openFor('counting', 5);
  const { client: valid } = await openFor('counting', 600);
  await lapsing.waitFor((f) => f.type === 'reauth', 'the reauth frame');
  await until(exp);
  await publish(eventBridgeClient(runtime()), runtime(), { userId: 'counting', id: 'after-exp', data: { n: 1 } });
  await valid.waitForNotifications(1);
  await valid.waitFor((f) => f.type === 'unread' && f.count === 1, 'the count after the notification');
  expect(await valid.request({ action: 'markRead', ids: ['after-exp'] })).toMatchObject({ type: 'unread', count: 0 });
  await lapsing.sync();
  expect(lapsing.notifications).toEqual([]);
  expect(lapsing.frames.filter((f) => f.type === 'unread')).toEqual([]);
}, 60_000);

it('a reauth with another user\'s token is refused and the connection closed', async () => {
  const { client } = await openFor('mallory', 600);
  await client.subscribe('orders/steal');
  client.send({ action: 'reauth', token: await runtime().token('victim', { expiresInSeconds: 600 }) });
  // The connection is closed before the route's answer could travel back: the closing frame says why.
  await client.waitForClose();
  expect(client.frames.find((f) => f.type === 'closing')).toMatchObject({ code: 'UNAUTHORIZED' });
  expect(client.frames.some((f) => f.type === 'reauthed')).toBe(false);
});

it('a reauth that is not a valid token, or expires no later, is refused and the connection stays', async () => {
  const { client } = await openFor('careless', 600);
  expect(await client.request({ action: 'reauth', token: 'not-a-jwt' })).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
  expect(await client.request({ action: 'reauth', token: await runtime().token('careless', { expiresInSeconds: 60 }) }))
    .toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
  expect(await client.request({ action: 'reauth' })).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  await client.sync();
  expect(client.closeCode).toBeUndefined();
});

describe('a reauth racing the expiry close', () => {
  const TRIALS = 12;

  it(`each connection either renews and stays, or is closed with TOKEN_EXPIRED, never both (${TRIALS} trials)`, async () => {
    // All trials at once: each token expires in 3 s; its reauth goes out at a different moment around the close.
    const results = await Promise.all(Array.from({ length: TRIALS }, async (_, trial) => {
      const userId = `racer-${trial}`;
      const { client, exp } = await openFor(userId, 3);
      await client.subscribe(`race/${trial}`);
      const token = await runtime().token(userId, { expiresInSeconds: 600 });
      await new Promise((resolve) => setTimeout(resolve, (exp + GRACE_SECONDS) * 1000 - Date.now() - 1000 + trial * 200));
      client.send({ action: 'reauth', token, requestId: 'race' });
      const answer = await client.waitFor((f) => f.requestId === 'race' || f.type === 'closing', 'an answer or the close', 20_000);
      if (answer.type === 'reauthed') {
        await until(exp + GRACE_SECONDS + 2);
        await send(`race/${trial}`, { trial });
        await client.waitForNotifications(1);
        return client.closeCode === undefined && !client.frames.some((f) => f.type === 'closing') ? 'renewed' : 'renewed-but-closed';
      }
      await client.waitForClose();
      return client.frames.some((f) => f.type === 'reauthed') ? 'renewed-but-closed' : 'closed';
    }));
    expect(results.filter((r) => r === 'renewed-but-closed')).toEqual([]);
    expect(results.length).toBe(TRIALS);
    // Both outcomes occur across the trials' spread of moments (logged, not asserted: it depends on timing).
    console.info(`reauth racing the close: ${results.filter((r) => r === 'renewed').length} renewed, ${results.filter((r) => r === 'closed').length} closed`);
  }, 90_000);
});
