/**
 * The demo page's connection (the client library) in Chromium, when the server closes it:
 *   - dropped without a word while messages are published to the room: the page shows
 *     `reconnecting`, then `open` again, and every missed message once, in order;
 *   - replaced before the gateway's maximum age (make-before-break): no `reconnecting`, no gap.
 * Saves test-artifacts/reconnect.png (the page after it caught up).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Browser, Page } from 'playwright-core';
import { LocalRuntime, LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle, handlerBundles, Bundles } from './support/bundles';
import { eventBridgeClient, publish } from './support/clients';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ROOM = 'rooms/lobby';
/** The pages' user agent: tells their connections from any other in the gateway. */
const USER_AGENT = 'reconnect-test-page';

describe('demo page reconnects in Chromium', () => {
  let bundles: Bundles;
  let client: ClientBundle;
  let browser: Browser;
  const running: Array<{ runtime: LocalRuntime; events: EventBridgeClient }> = [];

  beforeAll(async () => {
    bundles = handlerBundles();
    client = clientBundle();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const { runtime, events } of running) {
      events.destroy();
      await runtime.stop();
    }
    bundles?.dispose();
    client?.dispose();
  });

  /** A local runtime as `npm start` (rooms/* keep history), and a backend's EventBridge client for it. */
  async function start(options: Partial<LocalRuntimeOptions> = {}) {
    const runtime = await startLocalRuntime({
      port: 0,
      assetsDir: bundles.assetsDir,
      clientBundle: client.file,
      ttlSweepIntervalMs: 0,
      settings: { publishRules: ['rooms/*'], presenceRules: ['rooms/*'], historyRules: ['rooms/*'] },
      ...options,
    });
    const started = { runtime, events: eventBridgeClient(runtime) };
    running.push(started);
    return started;
  }

  /** A page connected as alice, in the room. */
  async function aliceInTheRoom(runtime: LocalRuntime, pageErrors: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, userAgent: USER_AGENT });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${runtime.url}/`);
    await page.fill('#user-id', 'alice');
    await page.click('#connect-button');
    await page.locator('#status[data-state="open"]', { hasText: 'Connected as alice' }).waitFor();
    await page.click('#chat-join');
    await page.locator('#chat-state', { hasText: `In ${ROOM} as alice.` }).waitFor();
    return page;
  }

  /** Publishes through PutEvents and waits until deliver handled it, so the room's order is the order of the calls. */
  async function say(runtime: LocalRuntime, events: EventBridgeClient, text: string): Promise<void> {
    await publish(events, runtime, { topic: ROOM, data: { text } });
    await runtime.drained();
  }

  const pageConnections = (runtime: LocalRuntime) => runtime.registry.ids().filter((id) => runtime.registry.get(id)?.userAgent === USER_AGENT);
  const messages = (page: Page) => page.locator('#chat-messages .chat-message .chat-text').allTextContents();
  /** The live feed's entry titles, oldest first (as the feed shows them). */
  const feedTitles = (page: Page) => page.locator('#feed .entry-head strong').allTextContents();

  it('shows reconnecting, then open, and every message missed meanwhile once, in order', async () => {
    const { runtime, events } = await start();
    const pageErrors: string[] = [];
    await say(runtime, events, 'before the drop');
    const page = await aliceInTheRoom(runtime, pageErrors);
    // Joining loaded the room's latest message.
    await page.locator('#chat-messages .chat-message', { hasText: 'before the drop' }).waitFor();

    // Hold the page's next token, so it stays disconnected while the room moves on.
    let releaseToken!: () => void;
    const tokenHeld = new Promise<void>((resolve) => (releaseToken = resolve));
    await page.route('**/dev/token?*', async (route) => {
      await tokenHeld;
      await route.continue();
    });

    const [connectionId] = pageConnections(runtime);
    expect(runtime.gateway.loseConnection(connectionId)).toBe(true);
    await page.locator('#status[data-state="reconnecting"]', { hasText: 'Reconnecting…' }).waitFor();

    const missed = ['missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5'];
    for (const text of missed) await say(runtime, events, text);
    expect(await messages(page)).toEqual(['before the drop']);
    expect(await page.getAttribute('#status', 'data-state')).toBe('reconnecting');

    releaseToken();
    await page.locator('#status[data-state="open"]', { hasText: 'Connected as alice' }).waitFor();
    await page.locator('#chat-messages .chat-message', { hasText: 'missed 5' }).waitFor();
    await say(runtime, events, 'after the reconnect');
    await page.locator('#chat-messages .chat-message', { hasText: 'after the reconnect' }).waitFor();
    expect(await messages(page)).toEqual(['before the drop', ...missed, 'after the reconnect']);

    // The feed tells the story in order; the conversation notes it too.
    const titles = await feedTitles(page);
    expect(titles.indexOf('Reconnecting')).toBeGreaterThan(titles.indexOf('Connected'));
    expect(titles.indexOf('Reconnected')).toBeGreaterThan(titles.indexOf('Reconnecting'));
    expect(await page.locator('#chat-messages .chat-note').allTextContents()).toEqual([
      `You joined ${ROOM}.`, 'Connection lost: reconnecting…', 'Reconnected: anything missed meanwhile follows.',
    ]);
    expect(await page.locator('#chat-members-title').textContent()).toBe('Here now · 1');

    // The missed messages came after the "Reconnected" line, before the live one.
    expect(await page.locator('#chat-messages li').allTextContents()).toEqual([
      expect.stringContaining('before the drop'), `You joined ${ROOM}.`, 'Connection lost: reconnecting…',
      'Reconnected: anything missed meanwhile follows.', ...missed.map((text) => expect.stringContaining(text)),
      expect.stringContaining('after the reconnect'),
    ]);

    // The page's own Drop connection button: the same story, told a second time.
    await page.click('#drop-button');
    await page.locator('.chat-note', { hasText: 'Reconnected' }).nth(1).waitFor();
    await page.locator('#status[data-state="open"]').waitFor();
    expect((await feedTitles(page)).filter((title) => title === 'Reconnected')).toHaveLength(2);
    await say(runtime, events, 'after the second reconnect');
    await page.locator('#chat-messages .chat-message', { hasText: 'after the second reconnect' }).waitFor();
    expect(await messages(page)).toEqual(['before the drop', ...missed, 'after the reconnect', 'after the second reconnect']);

    // The screenshot shows the conversation from the first drop on.
    await page.locator('.chat-note', { hasText: 'Connection lost' }).first().evaluate((note) => {
      note.parentElement!.scrollTop = (note as HTMLElement).offsetTop - note.parentElement!.offsetTop - 8;
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'reconnect.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('replaces the connection before the maximum age with no reconnecting and no gap', async () => {
    // The gateway closes connections after 3 s; the page's client replaces them before.
    const { runtime, events } = await start({ maxConnectionMs: 3_000 });
    const pageErrors: string[] = [];
    const page = await aliceInTheRoom(runtime, pageErrors);

    // Keep talking until the page has been on three connections (two replacements).
    const seen = new Set<string>();
    const said: string[] = [];
    for (let i = 1; seen.size < 3; i++) {
      if (i > 200) throw new Error(`The page was on ${seen.size} connection(s) after ${said.length} messages: it should have replaced them.`);
      pageConnections(runtime).forEach((id) => seen.add(id));
      said.push(`tick ${i}`);
      await say(runtime, events, `tick ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.locator('#chat-messages .chat-message', { hasText: said[said.length - 1] }).waitFor();
    expect(await messages(page)).toEqual(said);

    const titles = await feedTitles(page);
    expect(titles).not.toContain('Reconnecting');
    expect(titles.filter((title) => title === 'New connection').length).toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('#status', 'data-state')).toBe('open');
    // The page closed each old connection itself (1000), before the gateway's cap (1001).
    const closes = await page.locator('#feed .entry', { hasText: 'Socket closed' }).locator('pre').allTextContents();
    expect(closes.length).toBeGreaterThanOrEqual(2);
    expect(closes.every((text) => text.startsWith('close code 1000'))).toBe(true);
    expect(await page.locator('#chat-messages .chat-note').allTextContents()).toEqual([`You joined ${ROOM}.`]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
