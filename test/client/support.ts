/**
 * The client library against the local runtime: real `ws` sockets, tokens from the local issuer,
 * backend notifications through the real EventBridge client.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import WebSocket from 'ws';
import { connect, ConnectOptions, ConnectionState, Notification, RealtimeClient, RealtimeError } from '../../client/src';
import { LocalRuntime, LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime';
import { Bundles, handlerBundles } from '../e2e/support/bundles';
import { eventBridgeClient } from '../e2e/support/clients';

export { publish } from '../e2e/support/clients';

/**
 * The hooks of a file of client tests: runtimes started on demand with `settings` (stopped after
 * the file), apps closed after each test, fresh topic names.
 */
export function clientTests(settings: LocalRuntimeOptions['settings']) {
  let bundles: Bundles;
  const runtimes: Array<{ runtime: LocalRuntime; events: EventBridgeClient }> = [];
  const apps: App[] = [];
  let topics = 0;

  beforeAll(() => {
    bundles = handlerBundles();
  });
  afterEach(() => apps.splice(0).forEach((a) => a.close()));
  afterAll(async () => {
    await Promise.all(runtimes.map(({ runtime, events }) => {
      events.destroy();
      return runtime.stop();
    }));
    bundles?.dispose();
  });

  return {
    async start(options: LocalRuntimeOptions = {}): Promise<{ runtime: LocalRuntime; events: EventBridgeClient }> {
      const runtime = await startLocalRuntime({ port: 0, assetsDir: bundles.assetsDir, ttlSweepIntervalMs: 0, settings, ...options });
      const started = { runtime, events: eventBridgeClient(runtime) };
      runtimes.push(started);
      return started;
    },
    app(runtime: LocalRuntime, userId: string, options: Partial<ConnectOptions> = {}): App {
      const created = new App(runtime, userId, options);
      apps.push(created);
      return created;
    },
    fresh: (prefix: string) => `${prefix}/t${++topics}`,
  };
}

let apps = 0;

/** An app using the client: what it was handed, per topic ('' for its own notifications), and what it was told. */
export class App {
  readonly client: RealtimeClient;
  /** Sent as the User-Agent, to find this app's connections in the gateway. */
  readonly tag = `client-test-${++apps}`;
  readonly received = new Map<string, Notification[]>();
  readonly states: ConnectionState[] = [];
  readonly errors: RealtimeError[] = [];
  readonly gaps: Array<{ topic?: string }> = [];
  /** Every socket the client opened, with the subprotocols it offered. */
  readonly sockets: Array<{ socket: WebSocket; protocols?: string | string[] }> = [];
  tokens = 0;

  constructor(readonly runtime: LocalRuntime, readonly userId: string, options: Partial<ConnectOptions> = {}) {
    const { tag, sockets } = this;
    class TaggedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'user-agent': tag } });
        sockets.push({ socket: this, protocols });
      }
    }
    this.client = connect({
      url: runtime.wsUrl,
      token: () => {
        this.tokens++;
        return runtime.token(userId);
      },
      WebSocket: TaggedWebSocket,
      ...options,
    });
    this.client.on('state', (state) => this.states.push(state));
    this.client.on('error', (error) => this.errors.push(error));
    this.client.on('gap', (gap) => this.gaps.push(gap));
  }

  list(topic: string): Notification[] {
    const list = this.received.get(topic) ?? [];
    this.received.set(topic, list);
    return list;
  }

  /** Subscribes, recording what it is handed; resolves on the server's answer. */
  subscribe(topic: string): Promise<void> {
    return this.client.subscribe(topic, (n) => this.list(topic).push(n)).ready;
  }

  onUserNotifications(): void {
    this.client.onUserNotification((n) => this.list('').push(n));
  }

  /** The gateway's open connections of this app. */
  connections(): string[] {
    return this.runtime.registry.ids().filter((id) => this.runtime.registry.get(id)?.userAgent === this.tag);
  }

  async waitForState(state: ConnectionState, after = 0): Promise<void> {
    await waitUntil(() => this.states.slice(after).includes(state), `${this.tag} to be ${state}; states: ${this.states.join(', ')}`);
  }

  async waitForCount(topic: string, count: number): Promise<Notification[]> {
    await waitUntil(() => this.list(topic).length >= count, `${count} notifications on "${topic}"`)
      .catch((error: Error) => {
        const seqs = this.list(topic).map((n) => n.seq ?? n.data).join(' ');
        throw new Error(`${error.message}; got [${seqs}]; states ${this.states.join(' ')}; gaps ${JSON.stringify(this.gaps)}; errors ${this.errors.map((e) => e.message).join('; ')}`);
      });
    return this.list(topic);
  }

  close(): void {
    this.client.close();
  }
}

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Each sent notification handed over exactly once: nothing lost, nothing twice. (Order is not
 * compared: the delivery queue runs batches concurrently.)
 */
export function expectEachOnce(received: Notification[], sent: number[]): void {
  expect(received.map((n) => n.data as number).sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b));
  expect(new Set(received.map((n) => n.id)).size).toBe(received.length);
}

/** Resolves once every frame the server sent this app before now has arrived (answers come after them on the socket). */
export async function settled(runtime: LocalRuntime, ...apps: App[]): Promise<void> {
  await runtime.drained();
  await Promise.all(apps.map((app) => app.client.presence('rooms/sync')));
}
