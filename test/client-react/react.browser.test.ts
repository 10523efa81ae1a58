/**
 * The React bindings in Chromium against the local runtime, under StrictMode (React's development
 * build, which mounts every effect twice): the frames the page sends are counted per topic.
 *   - a double mount opens one socket and sends one subscribe, no unsubscribe;
 *   - fast topic changes leave exactly the last topic subscribed (the server's presence agrees);
 *   - chat: publish, presence, history and the connection state across a dropped connection;
 *   - the inbox: two pages of one user, the count and read state following mark-reads on either.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { connect, eventBridgeClient, publish, TestClient, useLocalRuntime } from '../e2e/support/clients';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

const ROOT = join(__dirname, '..', '..');
const runtime = useLocalRuntime({ settings: { publishRules: ['rooms/*'], presenceRules: ['rooms/*'], historyRules: ['rooms/*'] } });
let browser: Browser;
let bundle: string;
let events: EventBridgeClient;
/** Serves the app from 127.0.0.1 (Chromium lets a loopback page, not a routed one, open loopback sockets) and passes /dev/token on to the runtime. */
let server: Server;
let appUrl: string;
const pages: Page[] = [];

beforeAll(async () => {
  const built = await build({
    entryPoints: [join(__dirname, 'browser-app.ts')], bundle: true, format: 'iife', target: 'es2020', write: false, logLevel: 'warning',
    alias: { 'cdk-realtime-notifications-client': join(ROOT, 'client', 'src', 'index.ts') },
    define: { 'process.env.NODE_ENV': '"development"' }, // StrictMode double-mounts in development builds only
  });
  bundle = built.outputFiles[0].text;
  browser = await launchChromium();
  events = eventBridgeClient(runtime());
  server = createServer((req, res) => {
    if (req.url?.startsWith('/dev/token')) {
      fetch(`${runtime().url}${req.url}`).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      }, (error: Error) => res.writeHead(502).end(error.message));
    } else if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="root"></div><script src="/app.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  events?.destroy();
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** What a page sent: sockets opened, and subscribe/unsubscribe frames per topic, in order. */
interface Sent {
  sockets: number;
  frames: Array<{ action: string; topic?: string }>;
}

/** Retries `read` until it returns what `expected` says, or fails with the last value. */
async function poll<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) expect(value).toEqual(expected);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The page of `user` (its connections carry the user agent `react-test-<user>`). */
async function open(query: string): Promise<{ page: Page; sent: Sent }> {
  const user = new URLSearchParams(query).get('user')!;
  const page = await browser.newPage({ userAgent: `react-test-${user}` });
  pages.push(page);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  const sent: Sent = { sockets: 0, frames: [] };
  page.on('websocket', (ws) => {
    sent.sockets++;
    ws.on('framesent', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { action: string; topic?: string };
      if (frame.action !== 'ping') sent.frames.push({ action: frame.action, topic: frame.topic });
    });
  });
  await page.goto(`${appUrl}?${query}&ws=${encodeURIComponent(runtime().wsUrl)}`);
  (page as Page & { errors?: string[] }).errors = errors;
  await page.locator('#state', { hasText: 'open' }).waitFor({ timeout: 15_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\npage errors: ${errors.join('\n')}\n${await page.content()}`);
  });
  return { page, sent };
}

const pageConnections = (user: string) => runtime().registry.ids().filter((id) => runtime().registry.get(id)?.userAgent === `react-test-${user}`);
const count = (sent: Sent, action: string, topic: string) => sent.frames.filter((f) => f.action === action && f.topic === topic).length;

/** Who the server says is on `topic`. */
async function membersOf(observer: TestClient, topic: string): Promise<string[]> {
  const answer = await observer.request({ action: 'presence', topic });
  return (answer.members as Array<{ userId: string }>).map((m) => m.userId);
}

test('a StrictMode double mount opens one socket and sends one subscribe', async () => {
  const { page, sent } = await open('user=alice&topic=rooms/strict');
  await page.locator('#topic[data-ready="true"]').waitFor();
  // Mounted while the client is open: StrictMode runs its effect, its cleanup, and the effect again.
  await page.evaluate(() => window.app.showLate('rooms/late'));
  await page.locator('#late[data-ready="true"]').waitFor({ state: 'attached' });
  await publish(events, runtime(), { topic: 'rooms/strict', data: 1 });
  await publish(events, runtime(), { topic: 'rooms/late', data: 2 });
  await page.locator('#messages li').first().waitFor();
  await page.locator('#late li').first().waitFor();
  await runtime().drained();
  expect(await page.locator('#messages li').allTextContents()).toEqual(['rooms/strict: 1']);
  expect(await page.locator('#late li').allTextContents()).toEqual(['2']);
  expect(sent.sockets).toBe(1);
  expect(sent.frames).toEqual([{ action: 'subscribe', topic: 'rooms/strict' }, { action: 'subscribe', topic: 'rooms/late' }]);
  expect((page as Page & { errors?: string[] }).errors).toEqual([]);
});

test('fast topic changes leave exactly the last topic subscribed', async () => {
  const { page, sent } = await open('user=switcher&topic=rooms/f0');
  await page.locator('#topic[data-ready="true"]').waitFor();
  const topics = ['rooms/f1', 'rooms/f2', 'rooms/f3', 'rooms/f4', 'rooms/f5'];
  // Each change lands while the previous subscribe may still be on its way; some within one task.
  await page.evaluate(async (list) => {
    for (const [i, topic] of list.entries()) {
      window.app.setTopic(topic);
      if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }, topics);
  await page.locator('#topic[data-ready="true"]', { hasText: 'rooms/f5' }).waitFor();
  const observer = await connect(runtime(), 'observer');
  try {
    // Once every unsubscribe has been answered, only the last topic has the page's user on it.
    await poll(async () => {
      const on: string[] = [];
      for (const topic of ['rooms/f0', ...topics]) if ((await membersOf(observer, topic)).includes('switcher')) on.push(topic);
      return on;
    }, ['rooms/f5']);
  } finally {
    await observer.close();
  }
  for (const topic of ['rooms/f0', ...topics]) {
    expect(count(sent, 'subscribe', topic)).toBeLessThanOrEqual(1);
    expect(count(sent, 'subscribe', topic) - count(sent, 'unsubscribe', topic)).toBe(topic === 'rooms/f5' ? 1 : 0);
  }
  expect(count(sent, 'subscribe', 'rooms/f0')).toBe(1);
  await publish(events, runtime(), { topic: 'rooms/f1', data: 'old' });
  await publish(events, runtime(), { topic: 'rooms/f5', data: 'new' });
  await runtime().drained();
  await page.locator('#messages li').first().waitFor();
  expect(await page.locator('#messages li').allTextContents()).toEqual(['rooms/f5: "new"']);
  expect(sent.sockets).toBe(1);
  // Unmounting the tree closes the client: the page leaves the gateway.
  await page.evaluate(() => window.app.unmount());
  await poll(async () => pageConnections('switcher').length, 0);
});

test('chat: publish, presence, history, and the connection state across a dropped connection', async () => {
  const room = 'rooms/chat';
  const alice = await open(`user=alice&chat=1&room=${room}`);
  await alice.page.locator('#members[data-loaded="true"]', { hasText: 'alice' }).waitFor();
  const bob = await open(`user=bob&chat=1&room=${room}`);
  await bob.page.locator('#members', { hasText: 'alice,bob' }).waitFor();
  await alice.page.locator('#members', { hasText: 'alice,bob' }).waitFor(); // bob's join, live

  await bob.page.evaluate(() => window.app.say('hi from bob'));
  await alice.page.locator('#chat li', { hasText: 'bob: hi from bob' }).waitFor();
  await bob.page.locator('#chat li', { hasText: 'bob: hi from bob' }).waitFor(); // echo

  // Dropped: reconnecting, then open; what was said meanwhile arrives once.
  const ids = pageConnections('alice');
  expect(ids).toHaveLength(1);
  runtime().gateway.loseConnection(ids[0]);
  await alice.page.locator('#state', { hasText: 'reconnecting' }).waitFor();
  await bob.page.evaluate(() => window.app.say('while you were away'));
  await alice.page.locator('#state', { hasText: 'open' }).waitFor();
  await alice.page.locator('#chat li', { hasText: 'while you were away' }).waitFor();
  await bob.page.evaluate(() => window.app.say('after'));
  await alice.page.locator('#chat li', { hasText: 'bob: after' }).waitFor();
  expect(await alice.page.locator('#chat li').allTextContents()).toEqual(['bob: hi from bob', 'bob: while you were away', 'bob: after']);
  await alice.page.locator('#members', { hasText: 'alice,bob' }).waitFor();

  // Bob leaves (his tree unmounts): alice sees it; a new page of carol loads the history.
  await bob.page.evaluate(() => window.app.unmount());
  await alice.page.locator('#members', { hasText: /^alice$/ }).waitFor();
  const carol = await open(`user=carol&chat=1&room=${room}`);
  await carol.page.locator('#history[data-loading="false"] li').first().waitFor();
  expect(await carol.page.locator('#history li').allTextContents()).toEqual(['hi from bob', 'while you were away', 'after']);
  for (const { page } of [alice, bob, carol]) expect((page as Page & { errors?: string[] }).errors).toEqual([]);
  expect(alice.sent.sockets).toBe(2); // the first, and the one after the drop
});

test('inbox: two pages of one user keep the same count and read state, whichever marks read', async () => {
  const user = 'inboxer';
  // Sorted: the list is in stream order (seq), which follows the order deliveries took positions.
  const items = async (page: Page) => (await page.locator('#inbox li').allTextContents()).sort();
  const a = await open(`user=${user}&inbox=1`);
  const b = await open(`user=${user}&inbox=1`);
  for (const { page } of [a, b]) await page.locator('#unread', { hasText: /^0$/ }).waitFor();
  for (const id of ['n1', 'n2', 'n3']) await publish(events, runtime(), { userId: user, id, data: { text: id } });
  await runtime().drained();
  for (const { page } of [a, b]) {
    await page.locator('#unread', { hasText: /^3$/ }).waitFor();
    await poll(() => items(page), ['n1', 'n2', 'n3']);
  }

  // Read on one page: the other's badge and list follow.
  expect(await a.page.evaluate(() => window.app.markRead(['n2']))).toBe(2);
  await poll(() => items(a.page), ['n1', 'n2 (read)', 'n3']);
  await b.page.locator('#unread', { hasText: /^2$/ }).waitFor();
  await poll(() => items(b.page), ['n1', 'n2 (read)', 'n3']);

  // A new one while one page is away: both count it; then everything read from the other page.
  runtime().gateway.loseConnection(pageConnections(user)[0]);
  await publish(events, runtime(), { userId: user, id: 'n4', data: { text: 'n4' } });
  await runtime().drained();
  for (const { page } of [a, b]) {
    await page.locator('#state', { hasText: 'open' }).waitFor();
    await page.locator('#unread', { hasText: /^3$/ }).waitFor();
    await poll(() => items(page), ['n1', 'n2 (read)', 'n3', 'n4']);
  }
  expect(await b.page.evaluate(() => window.app.markAllRead())).toBe(0);
  for (const { page } of [a, b]) {
    await page.locator('#unread', { hasText: /^0$/ }).waitFor();
    await poll(() => items(page), ['n1 (read)', 'n2 (read)', 'n3 (read)', 'n4 (read)']);
  }
  for (const { page } of [a, b]) expect((page as Page & { errors?: string[] }).errors).toEqual([]);
});
