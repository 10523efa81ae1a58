/**
 * The demo page in a real browser (Chromium, found by test/support/browser.ts, driven by playwright-core):
 * connect, subscribe, and see a notification the test publishes through PutEvents; the layout on a
 * phone. Saves screenshots to test-artifacts/demo.png (1400 px wide) and demo-390.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle } from './support/bundles';
import { eventBridgeClient, publish, useLocalRuntime } from './support/clients';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

describe('demo page in Chromium', () => {
  let client: ClientBundle;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    client = clientBundle();
  });
  // Declared before useLocalRuntime, so the browser closes before the runtime stops.
  afterAll(async () => {
    await browser?.close();
    client?.dispose();
  });
  const runtime = useLocalRuntime(() => ({ clientBundle: client.file }));

  it('connects, subscribes, and shows a published notification live', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${runtime().url}/`);
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
    const events = eventBridgeClient(runtime());
    await publish(events, runtime(), { topic: 'orders/42', data: { status: 'shipped', orderId: 42 } });
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

    // The backend command the page prints publishes the same: its region, credentials, endpoint and
    // entries (shell-quoted, an apostrophe included) are what the AWS CLI would send.
    await page.check('input[name="target"][value="topic"]');
    await page.fill('#publish-data', `{ "text": "it's in the CLI" }`);
    const command = (await page.locator('#publish-example').textContent())!;
    expect(command).toMatch(/^AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+ aws events put-events \\\n/);
    expect(command).toContain(` --region us-east-1 --endpoint-url ${runtime().url} --entries '`);
    const quoted = /--entries '((?:[^']|'\\'')*)'$/.exec(command)![1];
    const entries = JSON.parse(quoted.replaceAll(`'\\''`, `'`)) as PutEventsRequestEntry[];
    expect(JSON.parse(entries[0].Detail!)).toEqual({ topic: 'orders/42', data: { text: "it's in the CLI" } });
    const cli = eventBridgeClient(runtime());
    expect((await cli.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
    cli.destroy();
    await page.locator('.entry-notification', { hasText: "it's in the CLI" }).waitFor();

    // Back to a successful publish for the screenshot.
    await page.check('input[name="target"][value="userId"]');
    await page.fill('#publish-data', '{ "text": "Your report is ready" }');
    await page.click('#publish-form button[type="submit"]');
    await page.locator('#publish-result.result-ok').waitFor();
    await page.locator('.entry-notification', { hasText: 'Your report is ready' }).nth(1).waitFor();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('fits a 390 px phone screen, has a favicon, and shows Everyone as off when broadcast is off', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${runtime().url}/`);

    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    for (const path of [icon!, '/favicon.ico']) {
      const response = await page.request.get(`${runtime().url}${path}`);
      expect({ path, status: response.status(), type: response.headers()['content-type'] }).toEqual({ path, status: 200, type: 'image/svg+xml' });
      expect(await response.text()).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    }

    // Nothing wider than the screen; the topic field and its button wholly on it.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const selector of ['#topic', '#subscribe-form button', '#user-id', '#connect-button', '#publish-to']) {
      const box = (await page.locator(selector).boundingBox())!;
      expect({ selector, left: box.x >= 0, right: box.x + box.width <= 390, usable: box.width >= 80 })
        .toEqual({ selector, left: true, right: true, usable: true });
    }

    // Broadcast is off in this runtime: Everyone is marked off (struck through, muted), yet selectable.
    const everyone = page.locator('.segmented label', { hasText: 'Everyone' });
    const topic = page.locator('.segmented label', { hasText: 'Topic' });
    await page.locator('.segmented label.off', { hasText: 'Everyone' }).waitFor();
    const look = (label: typeof everyone) => label.evaluate((el) => {
      const style = getComputedStyle(el);
      return { color: style.color, background: style.backgroundColor, decoration: style.textDecorationLine };
    });
    const topicChecked = await look(topic);
    expect((await look(everyone)).decoration).toBe('line-through');
    await page.check('input[name="target"][value="broadcast"]');
    const everyoneChecked = await look(everyone);
    expect(everyoneChecked.background).not.toBe(topicChecked.background);

    // Everyone needs no address: the field is gone, and the page says what happens to a broadcast.
    expect(await page.locator('#publish-to').isVisible()).toBe(false);
    expect(await page.locator('#publish-to-label').isVisible()).toBe(false);
    expect(await page.locator('#broadcast-off').textContent()).toContain('ALLOW_BROADCAST=true');
    expect(await page.locator('#broadcast-off').isVisible()).toBe(true);
    await page.click('details summary');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-390.png'), fullPage: true });

    await page.check('input[name="target"][value="userId"]');
    expect(await page.locator('#publish-to').isVisible()).toBe(true);
    expect(await page.locator('#publish-to-label').textContent()).toBe('User id');
    expect(await page.locator('#broadcast-off').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('says on the page to run npm run client:build when the client library is not built', async () => {
    const unbuilt = await runtime.another({ clientBundle: join(ARTIFACTS, 'no-client', 'index.js') });
    try {
      const page = await browser.newPage();
      await page.goto(`${unbuilt.url}/`);
      const alert = page.getByRole('alert').filter({ hasText: 'client:build' });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/^The client library is not built \(no .*\): run `npm run client:build` \(`npm start` runs it\), then reload the page\.$/);
      expect(await page.isDisabled('#subscribe-form button')).toBe(true);
      await page.close();
    } finally {
      await unbuilt.stop();
    }
  });
});
