/**
 * The demo page as a newcomer first meets it (issue 19): a long user id does not stretch the
 * page; joining a topic that is not a chat room (orders/42) says FORBIDDEN, as local/README.md
 * promises; the subscriptions panel lists the room the chat joined; the live feed reads oldest
 * first, as the chat does; and the rate-limit refusal speaks the server's words. A kick from a
 * backend ends the page's connection for good; short-lived tokens are renewed over the open socket.
 */
import { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle } from './support/bundles';
import { useLocalRuntime } from './support/clients';

describe('demo page, first hour', () => {
  let client: ClientBundle;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    client = clientBundle();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    client?.dispose();
  });
  const runtime = useLocalRuntime(() => ({
    clientBundle: client.file,
    settings: { publishRules: ['rooms/*'], presenceRules: ['rooms/*'], historyRules: ['rooms/*'], 'clientMessages.maxPerSecond': 2 },
  }));

  async function connectAs(userId: string, width = 1400): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${runtime().url}/`);
    await page.fill('#user-id', userId);
    await page.click('#connect-button');
    await page.locator('#status[data-state="open"]').waitFor();
    return page;
  }

  /** Elements wider than the viewport, for the failure message. */
  const tooWide = (page: Page) => page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`));

  it.each([1400, 390])('keeps a long user id within a %i px wide page', async (width) => {
    const userId = `user-${'x'.repeat(300)}`;
    const page = await connectAs(userId, width);
    await page.click('#chat-join');
    await page.locator('#chat-state', { hasText: 'In rooms/lobby as' }).waitFor();
    await page.fill('#chat-text', 'hello');
    await page.press('#chat-text', 'Enter');
    await page.locator('#chat-messages .chat-message:not(.chat-pending)').first().waitFor();
    expect(await tooWide(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await page.close();
  });

  it('refuses to join orders/42 in the chat with FORBIDDEN, and lists the joined room with the subscriptions', async () => {
    const page = await connectAs('alice');
    expect(await page.locator('#topics li').allTextContents()).toEqual(['No subscriptions yet']);
    await page.fill('#chat-room', 'orders/42');
    await page.click('#chat-join');
    await page.locator('#chat-error', { hasText: 'FORBIDDEN' }).waitFor();
    expect(await page.textContent('#chat-error')).toMatch(/^Not allowed: orders\/42 is not a chat room \(.+\) Try rooms\/lobby\. FORBIDDEN$/);
    expect(await page.textContent('#chat-state')).toBe('Join a room to chat as alice.');
    expect(await page.locator('#topics li').allTextContents()).toEqual(['No subscriptions yet']);

    await page.fill('#chat-room', 'rooms/lobby');
    await page.click('#chat-join');
    await page.locator('#chat-state', { hasText: 'In rooms/lobby as alice.' }).waitFor();
    expect(await page.textContent('#chat-error')).toBe('');
    expect(await page.locator('#topics li').allTextContents()).toEqual(['rooms/lobby · chat']);
    await page.click('#chat-join'); // Leave
    await page.locator('#chat-state', { hasText: 'Join a room to chat as alice.' }).waitFor();
    expect(await page.locator('#topics li').allTextContents()).toEqual(['No subscriptions yet']);
    await page.close();
  });

  it('shows the live feed oldest first, like the chat, and the rate limit in the server’s words', async () => {
    const page = await connectAs('bob');
    await page.click('#chat-join');
    await page.locator('#chat-state', { hasText: 'In rooms/lobby as bob.' }).waitFor();
    const titles = await page.locator('#feed .entry-head strong').allTextContents();
    expect(titles[0]).toBe('Connected');
    expect(titles.indexOf('Subscribed')).toBeGreaterThan(0);
    await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('#chat-text')!;
      const form = document.querySelector<HTMLFormElement>('#chat-form')!;
      for (let i = 0; i < 6; i++) {
        input.value = `burst ${i}`;
        form.requestSubmit();
      }
    });
    const error = await page.waitForFunction(() => {
      const text = document.querySelector('#chat-error')?.textContent ?? '';
      return text.includes('RATE_LIMITED') ? text : false;
    }).then((handle) => handle.jsonValue());
    expect(error).toMatch(/^Too many messages at once: not sent\. Try again in \d+ ms\. RATE_LIMITED$/);
    // The feed's error frame says it the same way.
    const frame = await page.locator('#feed .entry-error pre', { hasText: 'Try again in' }).first().textContent();
    expect(frame).toMatch(/Try again in \d+ ms\.$/);
    expect(await page.locator('#feed .entry').last().locator('strong').textContent()).not.toBe('Connected');
    await page.close();
  });

  afterAll(() => expect(pageErrors).toEqual([]));

  it('kicks the user as a backend would: the page says so and stays disconnected', async () => {
    const page = await connectAs('kicked-user');
    await page.click('#kick-button');
    await page.locator('#feed .entry strong', { hasText: 'Closing · KICKED' }).waitFor();
    await page.locator('#feed .entry strong', { hasText: /^Kicked$/ }).waitFor();
    await page.locator('#status[data-state="closed"]').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await page.locator('#status').getAttribute('data-state')).toBe('closed');
    await page.close();
  });

  it('renews a 60-second token over the open connection when the server asks', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${runtime().url}/`);
    await page.fill('#user-id', 'renewing-user');
    await page.check('#short-tokens');
    await page.click('#connect-button');
    // Asked halfway through a token that short (30 s), renewed at once, on the same socket.
    await page.locator('#feed .entry strong', { hasText: 'Token renewed' }).waitFor({ timeout: 45_000 });
    expect(await page.locator('#feed .entry strong', { hasText: 'Token expiring' }).count()).toBe(1);
    expect(await page.locator('#feed .entry strong', { hasText: 'Reconnecting' }).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('registers with the local push service, and lists the push a user who left is sent', async () => {
    const before = new Set(runtime().registry.ids());
    const page = await connectAs('pushed-user');
    // The user's own connections: another test's page may still be closing meanwhile.
    const own = runtime().registry.ids().filter((id) => !before.has(id));
    await page.locator('#push-local:not([disabled])').waitFor();
    await page.click('#push-local');
    await page.locator('#push-result', { hasText: 'Registered.' }).waitFor();
    expect(await page.locator('#push-devices li').allTextContents()).toEqual([new URL(runtime().url).host]);
    await page.close();
    await waitFor(() => !runtime().registry.ids().some((id) => own.includes(id)));

    const sender = await connectAs('sender');
    await sender.check('input[name="target"][value="userId"]');
    await sender.fill('#publish-to', 'pushed-user');
    await sender.fill('#publish-push', 'Your order shipped');
    await sender.click('#publish-form button[type="submit"]');
    await sender.locator('#push-received li', { hasText: 'pushed-user · Your order shipped' }).waitFor({ timeout: 20_000 });
    await sender.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
