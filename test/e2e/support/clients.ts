/** The local runtime of a test file, real WebSocket clients and a real EventBridge client for the end-to-end tests. */
import { EventBridgeClient, PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import WebSocket from 'ws';

// Lambda runs Node 22; the SDK's notice about Node 20 support is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { LocalRuntime, LocalRuntimeOptions, startLocalRuntime } from '../../../local/runtime';
import { Bundles, handlerBundles } from './bundles';

export interface Frame {
  readonly type: string;
  readonly [key: string]: unknown;
}

export class TestClient {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closeCode?: number;
  private requests = 0;

  constructor(readonly ws: WebSocket, readonly userId: string) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  get notifications(): Frame[] {
    return this.frames.filter((f) => f.type === 'notification');
  }

  /** Resolves with the first frame (from now or earlier) that matches. */
  async waitFor(predicate: (frame: Frame) => boolean, what: string, timeoutMs = 20_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`${this.userId} waited for ${what}; got ${JSON.stringify(this.frames)}`);
      }
      await this.nextEvent(deadline - Date.now());
    }
  }

  /** Resolves once `count` notifications have arrived. */
  async waitForNotifications(count: number, timeoutMs = 30_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.notifications.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${this.userId} expected ${count} notifications, got ${JSON.stringify(this.notifications)}`);
      }
      await this.nextEvent(deadline - Date.now());
    }
    return this.notifications;
  }

  async waitForClose(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error(`${this.userId} was not closed`);
      await this.nextEvent(deadline - Date.now());
    }
    return this.closeCode;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh requestId and resolves with the answer that carries it. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const requestId = `req-${++this.requests}`;
    this.send({ ...frame, requestId });
    return this.waitFor((f) => f.requestId === requestId, `the answer to ${JSON.stringify(frame)}`);
  }

  async subscribe(topic: string): Promise<void> {
    const answer = await this.request({ action: 'subscribe', topic });
    if (answer.type !== 'subscribed') throw new Error(`subscribe ${topic} answered ${JSON.stringify(answer)}`);
  }

  /**
   * A ping round trip: every frame the server sent before the pong has arrived by the time this
   * resolves (one socket, in order), so counts read afterwards are final.
   */
  async sync(): Promise<void> {
    const answer = await this.request({ action: 'ping' });
    if (answer.type !== 'pong') throw new Error(`ping answered ${JSON.stringify(answer)}`);
  }

  close(): Promise<number> {
    this.ws.close(1000, 'done');
    return this.waitForClose();
  }

  private nextEvent(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, timeoutMs));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}

export interface ConnectOptions {
  /** Where the token travels: `?token=` (the default), or a `token.<JWT>` subprotocol beside `realtime.v1`. */
  readonly tokenIn?: 'query' | 'subprotocol';
  /** A token to use instead of one the runtime signs for `userId`. */
  readonly token?: string;
}

/** Opens a connection as `userId` with a token from the local issuer. */
export async function connect(runtime: LocalRuntime, userId: string, options: ConnectOptions = {}): Promise<TestClient> {
  const token = options.token ?? await runtime.token(userId);
  const ws = options.tokenIn === 'subprotocol'
    ? new WebSocket(runtime.wsUrl, ['realtime.v1', `token.${token}`])
    : new WebSocket(`${runtime.wsUrl}?token=${encodeURIComponent(token)}`);
  const client = new TestClient(ws, userId);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return client;
}

/** Clients a test opens, each closed after it: `open(userId)` in the test, `closeAll()` in afterEach. */
export function clientPool(runtime: () => LocalRuntime): { open(userId: string): Promise<TestClient>; closeAll(): Promise<void> } {
  const clients: TestClient[] = [];
  return {
    async open(userId) {
      const client = await connect(runtime(), userId);
      clients.push(client);
      return client;
    },
    async closeAll() {
      await Promise.all(clients.splice(0).map((c) => (c.closeCode === undefined ? c.close() : undefined)));
    },
  };
}

/** The runtime of `useLocalRuntime`, and other runtimes started the same way. */
export interface LocalRuntimeHook {
  /** The runtime; there is one from the hook's beforeAll on. */
  (): LocalRuntime;
  /** Starts another runtime with the same bundles and test defaults (not the hook's options); the caller stops it. */
  another(options?: LocalRuntimeOptions): Promise<LocalRuntime>;
}

/**
 * A test file's local runtime: started in beforeAll with the handler bundles as the sources are
 * now (handlerBundles), on a free port, without the TTL sweeper; stopped in afterAll. Jest runs
 * hooks in the order they are declared: hooks declared before this call run before the runtime
 * starts and before it stops, hooks declared after it run once it is up and once it is stopped.
 * `options` may be a function, called at the start, to use what an earlier beforeAll set up.
 */
export function useLocalRuntime(options: LocalRuntimeOptions | (() => LocalRuntimeOptions) = {}): LocalRuntimeHook {
  let bundles: Bundles | undefined;
  let runtime: LocalRuntime | undefined;
  const start = (more: LocalRuntimeOptions) => startLocalRuntime({ port: 0, assetsDir: bundles!.assetsDir, ttlSweepIntervalMs: 0, ...more });
  beforeAll(async () => {
    bundles = handlerBundles();
    runtime = await start(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await runtime?.stop();
    bundles?.dispose();
  });
  const current = () => {
    if (!runtime) throw new Error('The local runtime starts in useLocalRuntime\'s beforeAll: use it in tests and in hooks declared after that call.');
    return runtime;
  };
  const another = (more: LocalRuntimeOptions = {}) => {
    current(); // there are no bundles before the hook's beforeAll either
    return start(more);
  };
  return Object.assign(current, { another });
}

/** Tries a handshake that should be refused; resolves with the HTTP status. */
export function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${url} was accepted`));
    });
    ws.once('error', () => undefined);
  });
}

export function eventBridgeClient(runtime: LocalRuntime): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Publishes one notification detail through PutEvents, as a backend would. */
export async function publish(
  events: EventBridgeClient,
  runtime: LocalRuntime,
  detail: unknown,
): Promise<PutEventsCommandOutput> {
  const output = await events.send(new PutEventsCommand({
    Entries: [{
      EventBusName: runtime.eventBusName,
      Source: 'e2e.tests',
      DetailType: runtime.settings.detailType,
      Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
    }],
  }));
  if (output.FailedEntryCount) throw new Error(`PutEvents refused the entry: ${JSON.stringify(output.Entries)}`);
  return output;
}

/** The connection id the gateway gave a client: the one its answer to a unique ping went through. */
export async function connectionIdOf(runtime: LocalRuntime, client: TestClient): Promise<string> {
  const marker = `whoami-${Math.random().toString(36).slice(2)}`;
  const restore: Array<() => void> = [];
  let found: string | undefined;
  for (const id of runtime.registry.ids()) {
    const connection = runtime.registry.get(id)!;
    const original = connection.send;
    connection.send = (data: string) => {
      if (data.includes(marker)) found = id;
      original.call(connection, data);
    };
    restore.push(() => { connection.send = original; });
  }
  try {
    client.send({ action: 'ping', requestId: marker });
    await client.waitFor((f) => f.requestId === marker, 'the pong');
  } finally {
    restore.forEach((r) => r());
  }
  if (!found) throw new Error('could not find the connection id');
  return found;
}
