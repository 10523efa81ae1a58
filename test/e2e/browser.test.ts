/**
 * The demo page in a real browser (Chromium, found by test/support/browser.ts, driven by playwright-core):
 * connect, subscribe, and see a notification the test publishes through PutEvents. Saves a
 * screenshot to test-artifacts/demo.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from 'playwright-core';
import { LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { launchChromium } from '../support/browser';
import { handlerBundles, Bundles } from './support/bundles';
import { eventBridgeClient, publish } from './support/clients';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

describe('demo page in Chromium', () => {
  let bundles: Bundles;
  let runtime: LocalRuntime;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    bundles = handlerBundles();
    runtime = await startLocalRuntime({ port: 0, assetsDir: bundles.assetsDir, ttlSweepIntervalMs: 0 });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    bundles?.dispose();
  });

  it('connects, subscribes, and shows a published notification live', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${runtime.url}/`);
    await page.fill('#user-id', 'alice');
    await page.click('#connect-button');
    await page.getByRole('status').filter({ hasText: 'Connected as alice' }).waitFor();

    await page.fill('#topic', 'orders/42');
    await page.click('#subscribe-form button[type="submit"]');
    await page.locator('#topics .chip', { hasText: 'orders/42' }).waitFor();

    // A frame that breaks the protocol shows as an error entry.
    await page.fill('#raw-frame', '{"action":"dance"}');
    await page.click('#raw-form button[type="submit"]');
    await page.locator('.entry-error', { hasText: 'UNKNOWN_ACTION' }).waitFor();

    // Published by a backend through the SDK…
    const events = eventBridgeClient(runtime);
    await publish(events, runtime, { topic: 'orders/42', data: { status: 'shipped', orderId: 42 } });
    events.destroy();
    const fromBackend = page.locator('.entry-notification', { hasText: '"shipped"' });
    await fromBackend.waitFor();
    expect(await fromBackend.textContent()).toContain('topic orders/42');

    // …and from the page itself, through the same PutEvents endpoint, to the user.
    await page.check('input[name="target"][value="userId"]');
    await page.fill('#publish-data', '{ "text": "Your report is ready" }');
    await page.click('#publish-form button[type="submit"]');
    await page.locator('#publish-result.result-ok').waitFor();
    await page.locator('.entry-notification', { hasText: 'Your report is ready' }).waitFor();

    // Broadcast is off here: the page shows that deliver dead-lettered it, and why.
    await page.check('input[name="target"][value="broadcast"]');
    await page.click('#publish-form button[type="submit"]');
    await page.locator('#publish-result.result-error', { hasText: 'BROADCAST_DISABLED' }).waitFor();

    // Back to a successful publish for the screenshot.
    await page.check('input[name="target"][value="userId"]');
    await page.click('#publish-form button[type="submit"]');
    await page.locator('#publish-result.result-ok').waitFor();
    await page.locator('.entry-notification', { hasText: 'Your report is ready' }).nth(1).waitFor();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
