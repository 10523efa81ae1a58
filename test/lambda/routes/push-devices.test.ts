/**
 * registerPush, unregisterPush and pushDevices through the message handler, against the embedded
 * DynamoDB: the endpoint allow-list, the per-user device limit (under racing registrations too),
 * and that a user only ever sees and changes their own devices.
 */
import { createECDH, randomBytes } from 'node:crypto';
import type { RouteResponse, WebSocketEvent } from '../../../lambda/protocol/websocket-event';
import { handlerEnvironment } from '../../../lib/private/handlers';
import { LOOPBACK_HTTP_ENDPOINTS } from '../../../lib/private/push-endpoints';
import { localSettings } from '../../../local/settings';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';
import { loadHandler } from '../../support/handlers';
import { messageEvent, newConnectionId } from '../../support/websocket-events';

type Handler = (event: WebSocketEvent) => Promise<RouteResponse>;
interface Device { id: string; endpoint: string; registeredAt: string }
interface Frame { type: string; code?: string; message?: string; devices?: Device[]; max?: number; requestId?: string }

const MAX_DEVICES = 3;

let db: TestDynamo;
let message: Handler;

beforeAll(async () => {
  db = await startTestDynamo();
  const settings = localSettings('http://127.0.0.1:9', {
    ...db.tables,
    'push.vapidKeys': 'arn:aws:secretsmanager:us-east-1:000000000000:secret:vapid-AbCdEf',
    'push.maxDevicesPerUser': MAX_DEVICES,
  });
  message = loadHandler<{ handler: Handler }>('message', { ...db.env, ...handlerEnvironment('message', settings) }).handler;
});
afterAll(async () => {
  await db.stop();
});

/** A subscription as a browser makes one: a fresh P-256 key pair and auth secret. */
function subscription(endpoint = `https://fcm.googleapis.com/fcm/send/${randomBytes(12).toString('base64url')}`) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

async function send(userId: string | undefined, body: unknown): Promise<Frame> {
  const response = await message(messageEvent(JSON.stringify(body), { connectionId: newConnectionId(), userId }));
  return JSON.parse(response.body ?? 'null') as Frame;
}

const register = (userId: string | undefined, sub: unknown) => send(userId, { action: 'registerPush', subscription: sub, requestId: 'w1' });

describe('registerPush', () => {
  test('keeps the subscription and answers with the user\'s devices', async () => {
    const sub = subscription();
    const answer = await register('reg-alice', sub);
    expect(answer).toMatchObject({ type: 'pushDevices', max: MAX_DEVICES, requestId: 'w1' });
    expect(answer.devices).toEqual([expect.objectContaining({ endpoint: sub.endpoint })]);
    // Registering the same endpoint again is one device, with its new keys.
    const again = await register('reg-alice', { ...sub, keys: subscription().keys });
    expect(again.devices).toHaveLength(1);
  });

  test.each([
    ['another host', 'https://attacker.example.com/push'],
    ['plain http to a push service', 'http://fcm.googleapis.com/fcm/send/x'],
    ['loopback http (only the local runtime accepts it)', 'http://127.0.0.1:8080/push'],
    ['a push host with another port', 'https://fcm.googleapis.com:8443/fcm/send/x'],
    ['a look-alike host', 'https://fcm.googleapis.com.example.com/x'],
    ['credentials in the URL', 'https://user:pw@fcm.googleapis.com/fcm/send/x'],
    ['not a URL', 'fcm.googleapis.com/fcm/send/x'],
  ])('refuses an endpoint outside the allowed push services: %s', async (_name, endpoint) => {
    const answer = await register('reg-bob', subscription(endpoint));
    expect(answer).toMatchObject({ type: 'error', code: 'BAD_REQUEST', requestId: 'w1' });
    expect(answer.message).toMatch(/endpoint/);
    expect((await send('reg-bob', { action: 'pushDevices' })).devices).toEqual([]);
  });

  test('accepts the subdomains a pattern names (Mozilla, Apple, Windows)', async () => {
    for (const endpoint of ['https://updates.push.services.mozilla.com/wpush/v2/x', 'https://web.push.apple.com/QG', 'https://wns2-par02p.notify.windows.com/w/?token=x']) {
      expect(await register('reg-carol', subscription(endpoint))).toMatchObject({ type: 'pushDevices' });
    }
  });

  test.each([
    ['no keys', { endpoint: 'https://fcm.googleapis.com/fcm/send/x' }, /"subscription.keys" must be an object/],
    ['a p256dh that is no P-256 point', { endpoint: 'https://fcm.googleapis.com/fcm/send/x', keys: { p256dh: randomBytes(65).toString('base64url'), auth: 'a'.repeat(22) } }, /P-256/],
    ['a short auth secret', { endpoint: 'https://fcm.googleapis.com/fcm/send/x', keys: { p256dh: subscription().keys.p256dh, auth: 'abc' } }, /auth/],
    ['no subscription', undefined, /needs exactly one of "subscription"/],
  ])('refuses a malformed subscription: %s', async (_name, sub, words) => {
    const answer = await register('reg-dave', sub);
    expect(answer).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(answer.message).toMatch(words);
  });

  test('refuses a connection without a user', async () => {
    expect(await register(undefined, subscription())).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });

  test(`refuses the device after ${MAX_DEVICES}, and admits it once one is removed`, async () => {
    const subs = Array.from({ length: MAX_DEVICES }, () => subscription());
    for (const sub of subs) expect(await register('reg-erin', sub)).toMatchObject({ type: 'pushDevices' });
    const refused = await register('reg-erin', subscription());
    expect(refused).toMatchObject({ type: 'error', code: 'LIMIT_EXCEEDED' });
    expect(refused.message).toMatch(/unregisterPush/);
    await send('reg-erin', { action: 'unregisterPush', endpoint: subs[0].endpoint });
    expect(await register('reg-erin', subscription())).toMatchObject({ type: 'pushDevices' });
  });

  test('racing registrations of one user admit exactly the limit, every round', async () => {
    for (let round = 0; round < 5; round++) {
      const userId = `race-${round}`;
      const answers = await Promise.all(Array.from({ length: 12 }, () => register(userId, subscription())));
      expect(answers.filter((a) => a.type === 'pushDevices')).toHaveLength(MAX_DEVICES);
      expect(answers.filter((a) => a.code === 'LIMIT_EXCEEDED')).toHaveLength(12 - MAX_DEVICES);
      expect((await send(userId, { action: 'pushDevices' })).devices).toHaveLength(MAX_DEVICES);
    }
  });
});

describe('a user\'s devices are their own', () => {
  test('another user never lists, removes or replaces them', async () => {
    const sub = subscription();
    await register('own-alice', sub);
    expect((await send('own-mallory', { action: 'pushDevices' })).devices).toEqual([]);
    await send('own-mallory', { action: 'unregisterPush', endpoint: sub.endpoint });
    // Mallory registering Alice's endpoint gets a device of Mallory's; Alice's keys stay hers.
    await register('own-mallory', { ...sub, keys: subscription().keys });
    const alices = await send('own-alice', { action: 'pushDevices' });
    expect(alices.devices).toEqual([expect.objectContaining({ endpoint: sub.endpoint })]);
    const item = await db.get(db.tables.countersTable, { pk: 'push#own-alice', sk: 'devices' });
    expect(Object.values(item?.devices as Record<string, { p256dh: string }>)[0].p256dh).toBe(sub.keys.p256dh);
  });
});

describe('without push.vapidKeys', () => {
  test('registering is refused, saying what to configure', async () => {
    const settings = localSettings('http://127.0.0.1:9', db.tables);
    const off = loadHandler<{ handler: Handler }>('message', { ...db.env, ...handlerEnvironment('message', settings), PUSH_VAPID_KEYS: '' }).handler;
    const response = await off(messageEvent(JSON.stringify({ action: 'registerPush', subscription: subscription() }), { connectionId: newConnectionId(), userId: 'off' }));
    expect(JSON.parse(response.body!)).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(/push\.vapidKeys/) });
  });
});

test('the loopback entry is what admits local http endpoints', () => {
  expect(LOOPBACK_HTTP_ENDPOINTS).toBe('http://loopback');
});
