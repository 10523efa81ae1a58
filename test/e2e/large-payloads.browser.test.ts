/**
 * Payloads over the 128 KB frame, end to end through the local runtime and moto's S3 server:
 *   - a backend puts a 5 MB payload in the payload bucket and publishes a reference: a Node client
 *     (the client library) and a page in Chromium (the same library, from /client.js) get `data`
 *     equal to it, fetched through the presigned `dataUrl` and checked against its sha256;
 *   - an event whose frame would be over 128 KB is stored by delivery once per notification id
 *     and posted by reference; history, replays and the inbox keep the reference and answer with a
 *     fresh URL;
 *   - an object that does not match its reference is refused by the client (PAYLOAD_REFUSED);
 *   - a reference outside the payload prefix is dead-lettered (BAD_PAYLOAD), never posted.
 */
import { createHash } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Browser, Page } from 'playwright-core';
import { connect, Notification, RealtimeClient, RealtimeError } from '../../client/src';
import { createPayloadBucket, PayloadBucket } from '../../lambda/payloads/payload-bucket';
import { LOCAL_AWS } from '../../local/dynamodb';
import { LocalS3, startLocalS3 } from '../../local/s3';
import { LOCAL_REGION } from '../../local/settings';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle } from './support/bundles';
import { eventBridgeClient, publish, useLocalRuntime } from './support/clients';

const TOPIC = 'reports/q4';
const MB = 1024 * 1024;

/** About 5 MB of JSON with multi-byte characters, so bytes and characters differ. */
function report(size: number, seed: string): { title: string; rows: string[] } {
  const row = `${seed} résumé ✓ ${'x'.repeat(100)}`;
  return { title: `Q4 ${seed}`, rows: Array.from({ length: Math.ceil(size / Buffer.byteLength(JSON.stringify(row))) }, (_, i) => `${i} ${row}`) };
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

describe('large payloads through the payload bucket', () => {
  let s3: LocalS3;
  let client: ClientBundle;
  let browser: Browser;
  let events: EventBridgeClient;
  let bucket: PayloadBucket;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    client = clientBundle();
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    events?.destroy();
    await browser?.close();
    client?.dispose();
    await s3?.stop();
  });
  const runtime = useLocalRuntime(() => ({ s3Endpoint: s3.endpoint, clientBundle: client.file, settings: { historyRules: ['reports/*'] } }));

  beforeAll(() => {
    events = eventBridgeClient(runtime());
    // What a backend granted grantPutPayload does, with the same SigV4 S3 requests.
    bucket = createPayloadBucket({ bucket: runtime().settings.payloadBucket, region: LOCAL_REGION, endpoint: s3.endpoint, credentials: LOCAL_AWS.credentials });
  });

  const token = async (userId: string) => ((await (await fetch(`${runtime().url}/dev/token?userId=${userId}`)).json()) as { token: string }).token;

  /** A Node client (the client library) subscribed to the topic, collecting notifications and errors. */
  async function nodeClient(userId: string) {
    const jwt = await token(userId);
    const c = connect({ url: runtime().wsUrl, token: () => jwt });
    clients.push(c);
    const received: Notification[] = [];
    const errors: RealtimeError[] = [];
    c.on('error', (e) => errors.push(e));
    await c.subscribe(TOPIC, (n) => received.push(n)).ready;
    return { c, received, errors };
  }

  /** A page that loads the client library from the runtime and subscribes to the topic. */
  async function browserClient(userId: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${runtime().url}/`);
    // Source text, not a function: a module import must reach the page untranspiled.
    const options = JSON.stringify({ wsUrl: runtime().wsUrl, jwt: await token(userId), topic: TOPIC });
    await page.evaluate(`(async () => {
      const { wsUrl, jwt, topic } = ${options};
      const { connect } = await import('/client.js');
      window.received = [];
      window.errors = [];
      const c = connect({ url: wsUrl, token: () => jwt });
      c.on('error', (e) => window.errors.push(e.code));
      await c.subscribe(topic, (n) => window.received.push(n)).ready;
    })()`);
    return page;
  }

  /** The page's notifications: each one's id, the sha256 of its data's JSON, and whether it still carries a URL. */
  async function receivedInPage(page: Page, count: number) {
    await page.waitForFunction((n) => (window as unknown as { received: unknown[] }).received.length >= n, count, { timeout: 30_000 });
    return page.evaluate(async () => {
      const hex = async (text: string) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))),
        (b) => b.toString(16).padStart(2, '0')).join('');
      const w = window as unknown as { received: Array<{ id: string; data: unknown; dataUrl?: string }>; errors: string[] };
      return { errors: w.errors, notifications: await Promise.all(w.received.map(async (n) => ({ id: n.id, sha: await hex(JSON.stringify(n.data)), dataUrl: n.dataUrl }))) };
    });
  }

  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('a 5 MB payload a backend put and published by reference reaches a Node client and a browser page as data', async () => {
    const node = await nodeClient('alice');
    const page = await browserClient('bob');
    const data = report(5 * MB, 'by-reference');
    const body = Buffer.from(JSON.stringify(data));
    expect(body.byteLength).toBeGreaterThan(5 * MB);
    await bucket.put('payloads/reports/q4.json', body, 'application/json');
    await publish(events, runtime(), { topic: TOPIC, id: 'q4-report', payload: { key: 'payloads/reports/q4.json', size: body.byteLength, sha256: sha256(body) } });

    await until(() => node.received.length === 1, 'the Node client');
    expect(node.received[0]).toMatchObject({ id: 'q4-report', topic: TOPIC, data });
    expect(node.received[0]).not.toHaveProperty('dataUrl');
    expect(node.errors).toEqual([]);
    const seen = await receivedInPage(page, 1);
    expect(seen).toEqual({ errors: [], notifications: [{ id: 'q4-report', sha: sha256(JSON.stringify(data)), dataUrl: undefined }] });
    await page.close();
  });

  it('an event over the frame limit is stored once by delivery, posted by reference, and kept by reference in history', async () => {
    const node = await nodeClient('carol');
    const other = await nodeClient('dave');
    const data = report(200 * 1024, 'by-delivery');
    await publish(events, runtime(), { topic: TOPIC, id: 'big-event', data });

    await until(() => node.received.length === 1 && other.received.length === 1, 'both clients');
    expect(node.received[0]).toMatchObject({ id: 'big-event', data });
    expect(other.received[0]).toMatchObject({ id: 'big-event', data });
    // One object for the notification, however many connections it reached.
    const listing = await (await fetch(`${s3.endpoint}/${runtime().settings.payloadBucket}?list-type=2&prefix=payloads/n/`)).text();
    expect([...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1])).toEqual([`payloads/n/${sha256('big-event')}.json`]);
    // History keeps the reference (a small frame), and answers with a URL presigned now.
    const page = await node.c.history(TOPIC);
    const kept = page.notifications.find((n) => n.id === 'big-event')!;
    expect(kept.data).toEqual(data);

    // A replay (subscribe with since) posts the kept frame with a fresh URL, never the object's key.
    const { seq, epoch } = node.received[0];
    const ws = new WebSocket(`${runtime().wsUrl}?token=${await token('heidi')}`);
    const frames: Array<Record<string, unknown>> = [];
    ws.onmessage = (m) => frames.push(JSON.parse(String(m.data)));
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.send(JSON.stringify({ action: 'subscribe', topic: TOPIC, since: { epoch, seq: seq! - 1 } }));
    await until(() => frames.some((f) => f.type === 'subscribed'), 'the replay');
    ws.close();
    const replayed = frames.find((f) => f.id === 'big-event')!;
    expect(replayed).not.toHaveProperty('dataKey');
    expect(replayed).not.toHaveProperty('data');
    const bytes = Buffer.from(await (await fetch(String(replayed.dataUrl))).arrayBuffer());
    expect([bytes.byteLength, sha256(bytes)]).toEqual([replayed.size, replayed.sha256]);
    expect(JSON.parse(bytes.toString())).toEqual(data);
  });

  it('a user\'s own notification over the frame limit arrives by reference and is listed in the inbox with a fresh URL', async () => {
    const jwt = await token('ivan');
    const c = connect({ url: runtime().wsUrl, token: () => jwt });
    clients.push(c);
    const received: Notification[] = [];
    c.onUserNotification((n) => received.push(n));
    await c.inbox.page({ limit: 1 }); // connected
    const data = report(200 * 1024, 'to-ivan');
    await publish(events, runtime(), { userId: 'ivan', id: 'ivan-report', data });
    await until(() => received.length === 1, 'ivan\'s notification');
    expect(received[0]).toMatchObject({ id: 'ivan-report', userId: 'ivan', data });
    const page = await c.inbox.page({ limit: 5 });
    expect(page.notifications.map((n) => [n.id, n.data])).toEqual([['ivan-report', data]]);
  });

  it('refuses an object that does not match its reference, or is missing, in Node and in the browser', async () => {
    const node = await nodeClient('erin');
    const page = await browserClient('frank');
    const genuine = Buffer.from(JSON.stringify({ amount: 100 }));
    const tampered = Buffer.from(JSON.stringify({ amount: 999 }));
    await bucket.put('payloads/reports/tampered.json', tampered, 'application/json');
    await publish(events, runtime(), { topic: TOPIC, id: 'tampered', payload: { key: 'payloads/reports/tampered.json', size: genuine.byteLength, sha256: sha256(genuine) } });
    // Never put (S3 answers 404): refused the same way.
    await publish(events, runtime(), { topic: TOPIC, id: 'missing', payload: { key: 'payloads/reports/missing.json', size: genuine.byteLength, sha256: sha256(genuine) } });
    await publish(events, runtime(), { topic: TOPIC, id: 'after-tampered', data: { ok: true } });

    // Events taken in one batch may be positioned in any order: wait for all three outcomes.
    await until(() => node.received.length === 1 && node.errors.length === 2, 'the notification after the tampered one, and two refusals');
    expect(node.received.map((n) => n.id)).toEqual(['after-tampered']);
    expect(node.errors.map((e) => e.code)).toEqual(['PAYLOAD_REFUSED', 'PAYLOAD_REFUSED']);
    await page.waitForFunction(() => (window as unknown as { errors: string[] }).errors.length >= 2, undefined, { timeout: 30_000 });
    const seen = await receivedInPage(page, 1);
    expect(seen.errors).toEqual(['PAYLOAD_REFUSED', 'PAYLOAD_REFUSED']);
    expect(seen.notifications.map((n) => n.id)).toEqual(['after-tampered']);
    await page.close();
  });

  it('dead-letters a reference outside the payload prefix: no client is sent another object', async () => {
    const node = await nodeClient('grace');
    await bucket.put('payloads/ok.json', Buffer.from('1'), 'application/json');
    await publish(events, runtime(), { topic: TOPIC, id: 'escape', payload: { key: 'payloads/../secrets.json', size: 1, sha256: sha256('1') } });
    await until(() => runtime().deadLetters().some((d) => d.messageAttributes.reason === 'BAD_PAYLOAD'), 'the dead letter');
    expect(node.received).toEqual([]);
  });
});
