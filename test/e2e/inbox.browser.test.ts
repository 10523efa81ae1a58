/**
 * The demo page's inbox bell in Chromium, two tabs of one user: a notification for the user
 * raises both badges; marking all read in one tab brings the other's to 0. Saves
 * test-artifacts/inbox-bell-before.png and inbox-bell-after.png (the second tab).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle, handlerBundles, Bundles } from './support/bundles';
import { eventBridgeClient, publish } from './support/clients';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const USER = 'bella';

describe('demo page inbox bell in Chromium', () => {
  let bundles: Bundles;
  let client: ClientBundle;
  let browser: Browser;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    bundles = handlerBundles();
    client = clientBundle();
    browser = await launchChromium();
    runtime = await startLocalRuntime({ port: 0, assetsDir: bundles.assetsDir, clientBundle: client.file, ttlSweepIntervalMs: 0 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    bundles?.dispose();
    client?.dispose();
  });

  async function tab(pageErrors: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${runtime.url}/`);
    await page.fill('#user-id', USER);
    await page.click('#connect-button');
    await page.locator('#status[data-state="open"]', { hasText: `Connected as ${USER}` }).waitFor();
    return page;
  }

  const badge = (page: Page) => page.locator('#unread-count');

  it('a notification raises the badge in both tabs; marking all read in one clears the other\'s', async () => {
    const pageErrors: string[] = [];
    const first = await tab(pageErrors);
    const second = await tab(pageErrors);
    await badge(first).and(first.locator('[data-count="0"]')).waitFor();

    const events = eventBridgeClient(runtime);
    try {
      for (const text of ['Your order shipped', 'Your invoice is ready', 'Someone mentioned you']) {
        await publish(events, runtime, { userId: USER, data: { text } });
      }
      await runtime.drained();
    } finally {
      events.destroy();
    }
    for (const page of [first, second]) await page.locator('#unread-count[data-count="3"]').waitFor({ timeout: 30_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await second.screenshot({ path: join(ARTIFACTS, 'inbox-bell-before.png'), clip: { x: 900, y: 0, width: 500, height: 220 } });

    await first.click('#inbox-bell');
    await first.locator('#unread-count[data-count="0"]').waitFor({ timeout: 30_000 });
    // The other tab is told by the server: nothing was clicked there.
    await second.locator('#unread-count[data-count="0"]').waitFor({ timeout: 30_000 });
    expect(await badge(second).textContent()).toBe('0');
    await second.screenshot({ path: join(ARTIFACTS, 'inbox-bell-after.png'), clip: { x: 900, y: 0, width: 500, height: 220 } });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
