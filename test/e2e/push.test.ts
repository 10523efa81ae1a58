/**
 * Web Push end to end through the local runtime: a device registered over the WebSocket, a
 * user-targeted notification with a `push` part, and a push server written here on 127.0.0.1
 * (not the runtime's own) that checks the VAPID authorization itself and decrypts the aes128gcm
 * body with the subscription's private key using `http_ece`, an implementation independent of
 * the one that encrypted it.
 */
import { createECDH, createPublicKey, randomBytes, verify, ECDH } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { encodeTopicSegment } from '../../lib/private/topic-segment';
import { collapseKeyOf } from '../../lambda/push/web-push-sender';
import { AddressInfo } from 'node:net';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ece = require('http_ece') as { decrypt(body: Buffer, params: { version: string; privateKey: ECDH; authSecret: string }): Buffer };
import { clientPool, connect, connectionIdOf, eventBridgeClient, Frame, publish, useLocalRuntime } from './support/clients';

/** Connections whose every post fails (500), as if @connections could not reach them. */
const failingConnections = new Set<string>();
const runtime = useLocalRuntime({
  settings: { 'delivery.maxAttempts': 2 },
  connectionsFaults: (method, id) => (method === 'POST' && failingConnections.has(id) ? { status: 500 } : undefined),
});
const { open, closeAll } = clientPool(runtime);
afterEach(closeAll);

interface Received { readonly id: string; readonly headers: IncomingHttpHeaders; readonly body: Buffer }

/** A push service on 127.0.0.1: each subscription answers with its scripted statuses in turn, then 201. */
class TestPushServer {
  readonly received: Received[] = [];
  private readonly keys = new Map<string, { ecdh: ECDH; auth: string }>();
  private readonly scripts = new Map<string, number[]>();
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = (req.url ?? '').split('/').pop()!;
        this.received.push({ id, headers: req.headers, body: Buffer.concat(chunks) });
        const status = this.scripts.get(id)?.shift() ?? 201;
        res.writeHead(status, status === 429 ? { 'retry-after': '1' } : {}).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A subscription as a browser makes one; this side keeps its private key. */
  subscription(answers: number[] = []) {
    const id = randomBytes(8).toString('hex');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    this.keys.set(id, { ecdh, auth });
    this.scripts.set(id, [...answers]);
    return { id, endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } };
  }

  to(id: string): Received[] {
    return this.received.filter((r) => r.id === id);
  }

  decrypt(r: Received): unknown {
    const { ecdh, auth } = this.keys.get(r.id)!;
    return JSON.parse(ece.decrypt(r.body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }).toString('utf8'));
  }
}

/** Checks RFC 8292 here, independently: `vapid t=<JWT>, k=<key>`, ES256 by k, aud the origin, exp within 24 h, a contact. */
function checkVapid(authorization: string | undefined, origin: string, serverKey: string): Record<string, unknown> {
  const match = /^vapid t=([^,\s]+),\s*k=([\w-]+)$/.exec(authorization ?? '');
  expect(match).not.toBeNull();
  const [, jwt, k] = match!;
  expect(k).toBe(serverKey);
  const raw = Buffer.from(k, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
  const [header, claims, signature] = jwt.split('.');
  expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
  expect(verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  expect(body.aud).toBe(origin);
  expect(body.exp).toBeGreaterThan(Date.now() / 1000);
  expect(body.exp).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 60 * 60);
  expect(body.sub).toMatch(/^mailto:|^https:/);
  return body;
}

const server = new TestPushServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

let users = 0;
const freshUser = (name: string) => `${name}-${++users}`;

/** Registers the subscription for `userId` over a WebSocket, then closes that connection. */
async function registered(userId: string, sub: { endpoint: string; keys: object }): Promise<Frame> {
  const client = await open(userId);
  const answer = await client.request({ action: 'registerPush', subscription: sub });
  client.ws.close();
  await new Promise((resolve) => client.ws.once('close', resolve));
  return answer;
}

async function notify(detail: object): Promise<void> {
  await publish(eventBridgeClient(runtime()), runtime(), detail);
  await runtime().drained();
}

describe('a user with no connection', () => {
  it('is pushed the notification: RFC 8291 aes128gcm, a valid VAPID Authorization, decrypting to the notification', async () => {
    const alice = freshUser('alice');
    const sub = server.subscription();
    expect(await registered(alice, sub)).toMatchObject({ type: 'pushDevices', devices: [{ endpoint: sub.endpoint }] });

    await notify({ userId: alice, id: 'order-42', data: { orderId: 42 }, push: { title: 'Your order shipped', body: 'Order 42 is on its way.', url: '/orders/42', urgency: 'high', ttl: 600 } });

    const [push] = server.to(sub.id);
    expect(server.to(sub.id)).toHaveLength(1);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(push.headers.ttl).toBe('600');
    expect(push.headers.urgency).toBe('high');
    // Every push of this notification has the same Topic: a push service replaces an undelivered one of it.
    expect(push.headers.topic).toBe(collapseKeyOf('order-42'));
    checkVapid(push.headers.authorization, server.origin, runtime().vapidPublicKey);
    expect(server.decrypt(push)).toEqual({
      id: 'order-42', userId: alice, time: expect.any(String), title: 'Your order shipped', body: 'Order 42 is on its way.', url: '/orders/42',
    });
  });

  it('is pushed even when the push part has only a title, and never another user\'s notification', async () => {
    const bob = freshUser('bob');
    const carol = freshUser('carol');
    const bobs = server.subscription();
    await registered(bob, bobs);
    await notify({ userId: carol, data: {}, push: { title: 'for carol' } });
    expect(server.to(bobs.id)).toHaveLength(0);
    await notify({ userId: bob, data: {}, push: { title: 'for bob' } });
    expect(server.to(bobs.id).map((r) => server.decrypt(r))).toEqual([expect.objectContaining({ title: 'for bob', userId: bob })]);
  });
});

describe('a user whose every connection failed to take it', () => {
  it('is pushed it', async () => {
    const kim = freshUser('kim');
    const sub = server.subscription();
    await registered(kim, sub);
    const unreachable = await open(kim);
    failingConnections.add(await connectionIdOf(runtime(), unreachable));
    await notify({ userId: kim, id: `failed-${kim}`, data: {}, push: { title: 'no post arrived' } });
    expect(unreachable.notifications).toHaveLength(0);
    expect(server.to(sub.id).map((r) => server.decrypt(r))).toEqual([expect.objectContaining({ id: `failed-${kim}`, title: 'no post arrived' })]);
  });
});

describe('unreadAfter: a user who took it live', () => {
  it('is pushed it later if it is still unread then, and not if it was marked read', async () => {
    const quinn = freshUser('quinn');
    const sub = server.subscription();
    await registered(quinn, sub);
    const live = await open(quinn);
    // The delay leaves ample time to mark the second one read before its push is due.
    await publish(eventBridgeClient(runtime()), runtime(), { userId: quinn, id: `unread-${quinn}`, data: {}, push: { title: 'still unread', unreadAfter: 3 } });
    await publish(eventBridgeClient(runtime()), runtime(), { userId: quinn, id: `read-${quinn}`, data: {}, push: { title: 'read in time', unreadAfter: 3 } });
    await live.waitForNotifications(2);
    expect(server.to(sub.id)).toHaveLength(0);
    expect(await live.request({ action: 'markRead', ids: [`read-${quinn}`] })).toMatchObject({ type: 'unread' });
    await runtime().drained();
    expect(server.to(sub.id).map((r) => server.decrypt(r))).toEqual([expect.objectContaining({ id: `unread-${quinn}`, title: 'still unread' })]);
  });
});

describe('no push', () => {
  it('when a connection of the user took it live', async () => {
    const dave = freshUser('dave');
    const sub = server.subscription();
    await registered(dave, sub);
    const live = await open(dave);
    await notify({ userId: dave, id: 'live-1', data: { x: 1 }, push: { title: 'live' } });
    await live.waitForNotifications(1);
    expect(server.to(sub.id)).toHaveLength(0);
  });

  it('for a notification without a push part, or for a topic', async () => {
    const erin = freshUser('erin');
    const sub = server.subscription();
    await registered(erin, sub);
    await notify({ userId: erin, data: { x: 1 } });
    await notify({ topic: `users/${erin}/orders`, data: { x: 1 }, push: { title: 'topic' } });
    expect(server.to(sub.id)).toHaveLength(0);
  });
});

describe('push.userTopics', () => {
  it('pushes a notification to a user\'s own topic to that user, and never another topic\'s', async () => {
    const other = await runtime.another({ settings: { 'push.userTopics': true } });
    try {
      const rae = 'rae|ü 1';
      const client = await connect(other, rae);
      const sub = server.subscription();
      expect(await client.request({ action: 'registerPush', subscription: sub })).toMatchObject({ type: 'pushDevices' });
      client.ws.close();
      await new Promise((resolve) => client.ws.once('close', resolve));
      const bus = eventBridgeClient(other);
      await publish(bus, other, { topic: `users/${encodeTopicSegment(rae)}/orders`, id: 'own-topic', data: {}, push: { title: 'on her topic' } });
      await publish(bus, other, { topic: 'orders/42', id: 'shared-topic', data: {}, push: { title: 'on a shared topic' } });
      await other.drained();
      expect(server.to(sub.id).map((r) => server.decrypt(r))).toEqual([expect.objectContaining({ id: 'own-topic', userId: rae })]);
    } finally {
      await other.stop();
    }
  });
});

describe('the push service\'s answers', () => {
  it('410 removes the device', async () => {
    const frank = freshUser('frank');
    const sub = server.subscription([410]);
    await registered(frank, sub);
    await notify({ userId: frank, data: {}, push: { title: 'gone' } });
    expect(server.to(sub.id)).toHaveLength(1);
    const client = await open(frank);
    expect(await client.request({ action: 'pushDevices' })).toMatchObject({ devices: [] });
    expect(runtime().deadLetters().filter((d) => d.messageAttributes.reason === 'PUSH_UNDELIVERED')).toHaveLength(0);
  });

  it('429 is tried again, and the push arrives once', async () => {
    const gina = freshUser('gina');
    const sub = server.subscription([429]);
    await registered(gina, sub);
    await notify({ userId: gina, data: {}, push: { title: 'after a 429' } });
    const pushes = server.to(sub.id);
    expect(pushes).toHaveLength(2);
    expect(server.decrypt(pushes[1])).toMatchObject({ title: 'after a 429' });
    const client = await open(gina);
    expect(await client.request({ action: 'pushDevices' })).toMatchObject({ devices: [{ endpoint: sub.endpoint }] });
  });

  it('5xx on every attempt goes to the dead-letter queue with its reason', async () => {
    const hank = freshUser('hank');
    const sub = server.subscription([503, 503]);
    await registered(hank, sub);
    await notify({ userId: hank, id: `dl-${hank}`, data: {}, push: { title: 'never' } });
    expect(server.to(sub.id)).toHaveLength(2);
    const [dead] = runtime().deadLetters().filter((d) => d.messageAttributes.notificationId === `dl-${hank}`);
    expect(dead.messageAttributes).toMatchObject({ reason: 'PUSH_UNDELIVERED', attempts: '2' });
    expect(dead.messageAttributes.reasonMessage).toMatch(/SERVER_ERROR 503/);
  });
});

describe('a push refused for good', () => {
  it('(another 4xx) is dead-lettered at once, not retried, and the device kept', async () => {
    const pat = freshUser('pat');
    const sub = server.subscription([400]);
    await registered(pat, sub);
    await notify({ userId: pat, id: `refused-${pat}`, data: {}, push: { title: 'refused' } });
    expect(server.to(sub.id)).toHaveLength(1);
    const [dead] = runtime().deadLetters().filter((d) => d.messageAttributes.notificationId === `refused-${pat}`);
    expect(dead.messageAttributes).toMatchObject({ reason: 'PUSH_UNDELIVERED', attempts: '1' });
    expect(dead.messageAttributes.reasonMessage).toMatch(/REFUSED 400/);
    const client = await open(pat);
    expect(await client.request({ action: 'pushDevices' })).toMatchObject({ devices: [{ endpoint: sub.endpoint }] });
  });
});

describe('mobile apps, through SNS', () => {
  it('a device token becomes an SNS endpoint; an offline user\'s push is published to it for APNs and FCM', async () => {
    const lee = freshUser('lee');
    const token = `fcm-token-${lee}`;
    const client = await open(lee);
    const answer = await client.request({ action: 'registerPush', mobile: { platform: 'fcm', token } });
    expect(answer).toMatchObject({ type: 'pushDevices', devices: [{ platform: 'fcm', token }] });
    client.ws.close();
    await new Promise((resolve) => client.ws.once('close', resolve));
    const endpointArn = runtime().sns.endpointOf(token)!;
    expect(endpointArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:endpoint\/GCM\/local-app\//);

    await notify({ userId: lee, id: `m-${lee}`, data: {}, push: { title: 'To your phone', body: 'hello', ttl: 120 } });
    const [published] = runtime().sns.published.filter((p) => p.endpointArn === endpointArn);
    expect(JSON.parse(published.message.GCM)).toEqual({ notification: { title: 'To your phone', body: 'hello' }, data: { payload: expect.any(String) } });
    expect(JSON.parse(JSON.parse(published.message.GCM).data.payload)).toMatchObject({ id: `m-${lee}`, userId: lee, title: 'To your phone' });
    expect(JSON.parse(published.message.APNS)).toMatchObject({ aps: { alert: { title: 'To your phone', body: 'hello' } } });
    expect(published.attributes).toMatchObject({ 'AWS.SNS.MOBILE.FCM.TTL': '120', 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID': collapseKeyOf(`m-${lee}`) });
  });

  it('an endpoint SNS reports disabled removes the device', async () => {
    const max = freshUser('max');
    const token = `apns-token-${max}`;
    const client = await open(max);
    await client.request({ action: 'registerPush', mobile: { platform: 'apns', token } });
    client.ws.close();
    await new Promise((resolve) => client.ws.once('close', resolve));
    runtime().sns.disable(runtime().sns.endpointOf(token)!);
    await notify({ userId: max, data: {}, push: { title: 'never arrives' } });
    const again = await open(max);
    expect(await again.request({ action: 'pushDevices' })).toMatchObject({ devices: [] });
    expect(runtime().sns.endpointOf(token)).toBeUndefined();
  });

  it('a backend registers and removes a user\'s device with a PushDevice event; a bad one is dead-lettered with its reason', async () => {
    const olga = freshUser('olga');
    const token = `backend-token-${olga}`;
    const putDevice = async (detail: object) => {
      await eventBridgeClient(runtime()).send(new PutEventsCommand({
        Entries: [{ EventBusName: runtime().eventBusName, Source: 'app.backend', DetailType: 'PushDevice', Detail: JSON.stringify(detail) }],
      }));
      await runtime().drained();
    };
    await putDevice({ userId: olga, mobile: { platform: 'fcm', token } });
    const client = await open(olga);
    expect(await client.request({ action: 'pushDevices' })).toMatchObject({ devices: [{ platform: 'fcm', token }] });
    await putDevice({ userId: olga, mobile: { platform: 'fcm', token }, remove: true });
    expect(await client.request({ action: 'pushDevices' })).toMatchObject({ devices: [] });

    await putDevice({ userId: olga, mobile: { platform: 'webos', token } });
    const [dead] = runtime().deadLetters().filter((d) => d.messageAttributes.reason === 'BAD_PUSH_DEVICE');
    expect(dead.messageAttributes.reasonMessage).toBe('"mobile.platform" must be "apns" or "fcm".');
  });

  it('refuses a registration that names both or neither kind of device', async () => {
    const client = await open(freshUser('ned'));
    for (const frame of [{ action: 'registerPush' }, { action: 'registerPush', subscription: server.subscription(), mobile: { platform: 'fcm', token: 't' } }]) {
      expect(await client.request(frame)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringMatching(/exactly one of "subscription".*or "mobile"/) });
    }
  });
});

describe('bad input', () => {
  it('an endpoint outside the allowed push services is refused at registration', async () => {
    const ivy = freshUser('ivy');
    const client = await open(ivy);
    const answer = await client.request({ action: 'registerPush', subscription: { ...server.subscription(), endpoint: 'https://example.com/steal' } });
    expect(answer).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringMatching(/https URL of a push service/) });
  });

  it('a push part that breaks the contract is dead-lettered with BAD_PUSH', async () => {
    await notify({ userId: freshUser('jo'), id: 'bad-push', data: {}, push: { body: 'no title' } });
    const [dead] = runtime().deadLetters().filter((d) => d.messageAttributes.reason === 'BAD_PUSH');
    expect(dead.messageAttributes.reasonMessage).toMatch(/push\.title/);
  });
});
