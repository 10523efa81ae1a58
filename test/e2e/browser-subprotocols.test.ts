/**
 * Subprotocols in a real browser (Chromium from Debian's packages, driven by playwright-core):
 * the token offered as a subprotocol opens a working connection through the local runtime, and a
 * $connect that answers with no subprotocol gets the connection dropped by the browser, as
 * browsers do behind API Gateway.
 */
import { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { encodeTopicSegment as userTopicSegment } from '../../lib/private/topic-segment';
import { GatewayHarness, startGateway } from '../local/support/gateway-harness';
import { eventBridgeClient, publish, useLocalRuntime } from './support/clients';


/** What the page's WebSocket did: opened (with its protocol) or closed before opening (with its code). */
interface SocketOutcome { readonly opened: boolean; readonly protocol?: string; readonly closeCode?: number }

/** Opens `new WebSocket(url, protocols)` in the page and keeps it as `window.socket`, collecting frames. */
function openInPage(page: Page, url: string, protocols: string[]): Promise<SocketOutcome> {
  return page.evaluate(([u, p]) => new Promise<SocketOutcome>((resolve) => {
    const socket = new WebSocket(u, p);
    const frames: unknown[] = [];
    Object.assign(window, { socket, frames });
    socket.onmessage = (event) => frames.push(JSON.parse(event.data as string));
    socket.onopen = () => resolve({ opened: true, protocol: socket.protocol });
    socket.onclose = (event) => resolve({ opened: false, closeCode: event.code });
  }), [url, protocols] as const);
}

/** Resolves with the first frame the page's socket received that has these fields. */
function frameInPage(page: Page, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  return page.waitForFunction((wanted) => ((window as unknown as { frames: Array<Record<string, unknown>> }).frames)
    .find((f) => Object.entries(wanted).every(([k, v]) => JSON.stringify(f[k]) === JSON.stringify(v))), fields, { timeout: 20_000 })
    .then((handle) => handle.jsonValue() as Promise<Record<string, unknown>>);
}

describe('subprotocols in Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  // Declared before useLocalRuntime, so the browser closes before the runtime stops.
  afterAll(async () => {
    await browser?.close();
  });
  const runtime = useLocalRuntime();
  beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(`${runtime().url}/`);
  });
  afterEach(() => page.close());

  it('connects with the token in a subprotocol, and the connection subscribes and receives', async () => {
    const userId = 'auth0|abc123';
    const token = await runtime().token(userId);
    expect(await openInPage(page, runtime().wsUrl, ['realtime.v1', `token.${token}`])).toEqual({ opened: true, protocol: 'realtime.v1' });

    const topic = `users/${userTopicSegment(userId)}/inbox`;
    await page.evaluate((t) => (window as unknown as { socket: WebSocket }).socket.send(JSON.stringify({ action: 'subscribe', topic: t })), topic);
    await frameInPage(page, { type: 'subscribed', topic });
    const events = eventBridgeClient(runtime());
    await publish(events, runtime(), { topic, data: { text: 'hello from the backend' } });
    events.destroy();
    expect(await frameInPage(page, { type: 'notification', topic })).toMatchObject({ data: { text: 'hello from the backend' } });
  });

  it('connects with a subprotocol asked for by habit, the token in the query string', async () => {
    const token = await runtime().token('alice');
    expect(await openInPage(page, `${runtime().wsUrl}?token=${encodeURIComponent(token)}`, ['websocket']))
      .toEqual({ opened: true, protocol: 'websocket' });
  });

  describe('behind a $connect that answers with no subprotocol', () => {
    let gateway: GatewayHarness;
    beforeAll(async () => {
      gateway = await startGateway({ connect: async () => ({ statusCode: 200 }) });
    });
    afterAll(() => gateway.stop());

    it('the browser drops the connection when it offered a subprotocol, and keeps it when it offered none', async () => {
      expect(await openInPage(page, `${gateway.wsUrl}?token=alice`, ['realtime.v1'])).toEqual({ opened: false, closeCode: 1006 });
      expect(await openInPage(page, `${gateway.wsUrl}?token=alice`, [])).toEqual({ opened: true, protocol: '' });
    });
  });
});
