/**
 * The demo page's chat panel in a real browser (Chromium from Debian's packages, driven by
 * playwright-core): two users on two pages and one `ws` client share a room, see each other come
 * and go, talk, run into the rate limit and a forbidden room. Saves test-artifacts/chat-alice.png
 * and test-artifacts/chat-bob.png (bob's page is 390 px wide, as on a phone, scrolled to the chat).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { clientBundle, ClientBundle } from './support/bundles';
import { connect, TestClient, useLocalRuntime } from './support/clients';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ROOM = 'rooms/lobby';
const MAX_PER_SECOND = 3;
const HOSTILE = '<img src=x onerror=alert(1)>';

describe('demo page chat panel in Chromium', () => {
  let client: ClientBundle;
  let browser: Browser;
  let carol: TestClient;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    client = clientBundle();
    browser = await launchChromium();
  });
  // Declared before useLocalRuntime, so carol and the browser leave before the runtime stops.
  afterAll(async () => {
    await carol?.close();
    await browser?.close();
    client?.dispose();
  });
  const runtime = useLocalRuntime(() => ({
    clientBundle: client.file,
    // As `npm start`, with a lower rate and a short presence list so both show.
    settings: { publishRules: ['rooms/*'], presenceRules: ['rooms/*'], 'clientMessages.maxPerSecond': MAX_PER_SECOND, 'clientMessages.maxPresenceMembers': 2 },
  }));

  /** A page connected as `userId` that joined the chat's default room. */
  async function joinAs(userId: string, viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (error) => pageErrors.push(`${userId}: ${error.message}`));
    page.on('dialog', (dialog) => {
      dialogs.push(`${userId}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(`${runtime().url}/`);
    await page.fill('#user-id', userId);
    await page.click('#connect-button');
    await page.getByRole('status').filter({ hasText: `Connected as ${userId}` }).waitFor();
    expect(await page.inputValue('#chat-room')).toBe(ROOM);
    await page.click('#chat-join');
    await page.locator('#chat-state', { hasText: `In ${ROOM} as ${userId}.` }).waitFor();
    return page;
  }

  const members = (page: Page) => page.locator('#chat-members li').allTextContents();
  const message = (page: Page, text: string) => page.locator('#chat-messages .chat-message', { hasText: text });

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#chat-text', text);
    await page.press('#chat-text', 'Enter');
    await page.locator('#chat-messages .chat-own:not(.chat-pending)', { hasText: text }).last().waitFor();
  }

  it('lets two users see each other, talk, and see each other leave', async () => {
    // Someone already in the room, from outside the browser.
    carol = await connect(runtime(), 'carol');
    await carol.subscribe(ROOM);

    const alice = await joinAs('alice', { width: 1400, height: 900 });
    await alice.locator('#chat-members-title', { hasText: 'Here now · 2' }).waitFor();
    expect(await members(alice)).toEqual(['alice (you)', 'carol']);

    // Bob's page is phone-sized. His presence answer lists two of three (maxPresenceMembers): himself and alice.
    const bob = await joinAs('bob', { width: 390, height: 844 });
    await bob.locator('#chat-members-title', { hasText: 'Here now · 3' }).waitFor();
    expect(await members(bob)).toEqual(['alice', 'bob (you)', 'and 1 more']);
    // Alice learns of bob from the join event.
    await alice.locator('#chat-members .chat-member', { hasText: 'bob' }).waitFor();
    expect(await members(alice)).toEqual(['alice (you)', 'bob', 'carol']);
    expect(await alice.textContent('#chat-members-title')).toBe('Here now · 3');
    await alice.locator('.chat-note', { hasText: 'bob joined.' }).waitFor();

    // Alice writes; bob sees it from alice; alice sees her own once.
    await say(alice, 'Hello bob');
    await message(bob, 'Hello bob').waitFor();
    expect(await message(bob, 'Hello bob').locator('.chat-from').textContent()).toBe('alice');
    const atCarol = await carol.waitFor((f) => f.type === 'notification' && f.from === 'alice', 'alice\'s message');
    expect(atCarol.data).toEqual({ text: 'Hello bob' });

    // Text is never markup: a message that is HTML shows as that text.
    await say(bob, HOSTILE);
    await message(alice, HOSTILE).waitFor();
    expect(await message(alice, HOSTILE).locator('.chat-text').textContent()).toBe(HOSTILE);
    expect(await alice.locator('#chat-messages img').count()).toBe(0);
    expect(await bob.locator('#chat-messages img').count()).toBe(0);
    expect(await message(alice, HOSTILE).locator('.chat-from').textContent()).toBe('bob');
    expect(await message(alice, 'Hello bob').count()).toBe(1);
    expect(await alice.locator('#chat-messages .chat-own').count()).toBe(1);

    // A burst past the rate: the refused messages say so, the accepted ones reach bob.
    const burst = Array.from({ length: 3 * MAX_PER_SECOND }, (_, i) => `burst ${i + 1}.`);
    await alice.evaluate((texts) => {
      const input = document.querySelector<HTMLInputElement>('#chat-text')!;
      const form = document.querySelector<HTMLFormElement>('#chat-form')!;
      for (const text of texts) {
        input.value = text;
        form.requestSubmit();
      }
    }, burst);
    // Read in the page as it shows: on a slow machine a later accepted message may clear it again.
    const error = await alice.waitForFunction(() => {
      const text = document.querySelector('#chat-error')?.textContent ?? '';
      return text.includes('RATE_LIMITED') ? text : false;
    }).then((handle) => handle.jsonValue());
    expect(error).toMatch(/^Too many messages at once: not sent\. Try again in \d+ ms\. RATE_LIMITED$/);
    await alice.locator('#chat-messages .chat-pending').first().waitFor({ state: 'detached' });
    const refused = await alice.locator('#chat-messages .chat-failed .chat-text').allTextContents();
    const accepted = burst.filter((text) => !refused.includes(text));
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    await message(bob, accepted[accepted.length - 1]).waitFor();
    const atBob = (await bob.locator('#chat-messages .chat-message .chat-text').allTextContents()).filter((t) => t.startsWith('burst'));
    expect(atBob).toEqual(accepted);
    expect(await alice.locator('#chat-messages .chat-failed .chat-failure').first().textContent()).toBe('Not sent: too many at once');

    mkdirSync(ARTIFACTS, { recursive: true });
    // What bob sees on his phone: the chat panel.
    await bob.locator('#chat-title').evaluate((title) => title.scrollIntoView());
    await bob.screenshot({ path: join(ARTIFACTS, 'chat-bob.png') });

    // Bob closes his page: alice sees him leave.
    await bob.close();
    await alice.locator('#chat-members .chat-member', { hasText: 'bob' }).waitFor({ state: 'detached' });
    expect(await members(alice)).toEqual(['alice (you)', 'carol']);
    expect(await alice.textContent('#chat-members-title')).toBe('Here now · 2');
    await alice.locator('.chat-note', { hasText: 'bob left.' }).waitFor();
    await alice.screenshot({ path: join(ARTIFACTS, 'chat-alice.png'), fullPage: true });

    // A topic without publish or presence rules is no chat room: joining it is refused, in words.
    await alice.click('#chat-join');
    await alice.locator('#chat-state', { hasText: 'Join a room to chat as alice.' }).waitFor();
    await alice.fill('#chat-room', 'orders/42');
    await alice.click('#chat-join');
    await alice.locator('#chat-error', { hasText: 'Not allowed: orders/42 is not a chat room' }).waitFor();
    expect(await alice.textContent('#chat-error')).toMatch(/FORBIDDEN$/);
    expect(await alice.textContent('#chat-state')).toBe('Join a room to chat as alice.');
    expect(await alice.isDisabled('#chat-text')).toBe(true);

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
