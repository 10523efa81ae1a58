import { backoffDelay, BackoffOptions } from './backoff';
import { RealtimeError } from './errors';
import { withData } from './payload';
import { Inbox } from './inbox';
import { keepAliveTiming } from './keep-alive';
import { PositionStore, readPosition } from './positions';
import type {
  ClientFrame, ErrorFrame, HistoryFrame, PongFrame, PresenceEventFrame, PresenceFrame, PublishedFrame, ResumedFrame, ServerFrame, SubscribedFrame,
  UnsubscribedFrame, UnreadFrame, InboxFrame, PushDevicesFrame, ReauthedFrame,
} from './protocol';
import { RecentIds } from './recent-ids';
import { Notification, Position, Stream, StreamAck } from './stream';
import { socketArgs } from './transport';

/** The part of the WebSocket API the client uses: the browser's, or `ws`'s on Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A Web Push subscription: the browser's PushSubscription, or its JSON. */
export type PushSubscriptionLike =
  | { readonly endpoint: string; readonly keys: { readonly p256dh: string; readonly auth: string } }
  | { toJSON(): { endpoint?: string; keys?: Record<string, string> } };

/** The signed-in user's push devices, and how many they may have. */
export type PushDevices = Omit<PushDevicesFrame, 'type' | 'requestId'>;

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ConnectOptions {
  /** The WebSocket URL: `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly url: string;
  /** Called before every (re)connect for a fresh token. Leave it out for connections without one. */
  readonly token?: () => string | Promise<string>;
  /** The WebSocket class. @default globalThis.WebSocket (browsers, Node 22 and later) */
  readonly WebSocket?: WebSocketConstructor;
  /** Waits between reconnect attempts. @default { initialDelayMs: 500, maxDelayMs: 30000 } */
  readonly reconnect?: BackoffOptions;
  /**
   * How often to ping; API Gateway closes connections idle for 10 minutes. For another server,
   * `keepAliveTiming({ idleTimeoutMs, maxConnectionMs })` gives this and `maxConnectionMs`. @default 300000
   */
  readonly pingIntervalMs?: number;
  /**
   * How long one connection is used before a new one replaces it, with no gap (API Gateway
   * closes every connection after 2 hours). @default 6900000 (1 h 55 min)
   */
  readonly maxConnectionMs?: number;
  /** How long a request waits for its answer. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Keeps stream positions across page loads (`localStoragePositions`) or restarts (`filePositions` on Node), for the offline inbox. @default none */
  readonly positions?: PositionStore;
  /** How many notification ids to remember to drop duplicates. @default 1000 */
  readonly dedupeWindow?: number;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientEvents {
  state: ConnectionState;
  /** The server could not replay what a stream missed: reload that state another way. */
  gap: { readonly topic?: string };
  /** A refusal nothing else reports (a resubscribe refused, say), or a failed token. */
  error: RealtimeError;
  /** A backend subscribed this user to a topic: `subscribe(topic, …)` to handle it (it is then kept across reconnects). */
  granted: { readonly topic: string };
}

export interface Subscription {
  /** Settles with the server's first answer; rejects with its error (FORBIDDEN, say). */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

/** A user joined or left a topic that tracks presence. */
export type PresenceEvent = Omit<PresenceEventFrame, 'type'>;

/**
 * The server accepted a published message: its `topic` and `id`, and, only when the topic keeps
 * history and this user may also read it (subscribe or page its history), its `seq` and `epoch`.
 */
export type Published = Omit<PublishedFrame, 'type' | 'requestId'>;

/** Who is subscribed to a topic. */
export type PresenceAnswer = Omit<PresenceFrame, 'type' | 'requestId'>;

/** A page of a topic's kept notifications, oldest first. */
export type HistoryPage = Omit<HistoryFrame, 'type' | 'requestId'>;

/** The answer a request of each action gets. */
interface Answers {
  subscribe: SubscribedFrame;
  unsubscribe: UnsubscribedFrame;
  publish: PublishedFrame;
  presence: PresenceFrame;
  resume: ResumedFrame;
  history: HistoryFrame;
  ping: PongFrame;
  markRead: UnreadFrame;
  inbox: InboxFrame;
  registerPush: PushDevicesFrame;
  unregisterPush: PushDevicesFrame;
  pushDevices: PushDevicesFrame;
  reauth: ReauthedFrame;
}
type Answer = (error: RealtimeError | undefined, frame?: ServerFrame) => void;

interface Connection {
  readonly ws: WebSocketLike;
  /** Requests sent on it and not answered yet. */
  pending: number;
  /** Closed once its requests are answered: a newer connection took over. */
  retiring?: boolean;
  /** Closed, or given up on. */
  gone?: boolean;
  timers: Array<ReturnType<typeof setTimeout>>;
}

interface Topic {
  readonly stream: Stream;
  readonly handlers: Set<(n: Notification) => void>;
  readonly ready: Promise<void>;
  settle: Answer;
}

interface Request {
  readonly answer: Answer;
  readonly timer: ReturnType<typeof setTimeout>;
  on?: Connection;
}

const USER = 'user';
const OPEN = 1;
/** Each action's answer, where it is not named as the action is (`presence`, `history`, `inbox`, `pushDevices`). */
const ANSWERS: { readonly [A in keyof Answers]?: Answers[A]['type'] } = {
  subscribe: 'subscribed', unsubscribe: 'unsubscribed', publish: 'published', resume: 'resumed', ping: 'pong',
  markRead: 'unread', registerPush: 'pushDevices', unregisterPush: 'pushDevices', reauth: 'reauthed',
};

/** Opens a client; it connects at once and stays connected until `close()`. */
export function connect(options: ConnectOptions): RealtimeClient {
  return new RealtimeClient(options);
}

export class RealtimeClient {
  state: ConnectionState = 'connecting';
  /** The user's inbox: unread count, mark read, pages with read state. */
  readonly inbox = new Inbox((frame) => this.request(frame), () => this.state === 'open');
  private readonly WS: WebSocketConstructor;
  private readonly listeners: { [K in keyof ClientEvents]?: Set<(value: ClientEvents[K]) => void> } = {};
  private readonly topics = new Map<string, Topic>();
  private readonly presenceHandlers = new Map<string, Set<(e: PresenceEvent) => void>>();
  private readonly userHandlers = new Set<(n: Notification) => void>();
  private readonly user = new Stream();
  private readonly recent: RecentIds;
  private readonly requests = new Map<string, Request>();
  /** Sends waiting for a connection. */
  private outbox: Array<(c: Connection) => void> = [];
  private conn?: Connection;
  /** The connection replacing `conn` before API Gateway's cap closes it. */
  private next?: Connection;
  private failures = 0;
  private counter = 0;
  /** Set while payloads sent by reference are being fetched: later frames queue behind them. */
  private loading?: Promise<unknown>;
  private dialTimer?: ReturnType<typeof setTimeout>;
  private resumeUnknown = false;

  constructor(private readonly options: ConnectOptions) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new TypeError('No WebSocket class here: use Node 22 or later, or pass one, e.g. connect({ url, WebSocket }) with `import { WebSocket } from "ws"`.');
    }
    this.WS = WS;
    if (!/^wss?:\/\//.test(options.url)) {
      throw new TypeError(`url must be the WebSocket URL, starting with wss:// (or ws:// locally); got "${options.url}".`);
    }
    for (const name of ['pingIntervalMs', 'maxConnectionMs', 'requestTimeoutMs', 'dedupeWindow'] as const) {
      const value = options[name];
      if (value !== undefined && !(value > 0)) throw new TypeError(`${name} must be a positive number; got ${value}.`);
    }
    this.recent = new RecentIds(options.dedupeWindow);
    this.user.position = readPosition(options.positions, USER);
    // Listeners added right after connect() hear the first state too.
    Promise.resolve().then(() => this.state === 'connecting' && this.emit('state', 'connecting'));
    this.dial(0);
  }

  /** Listens to `state`, `gap` or `error`; returns the function that stops listening. */
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void {
    const set: Set<(value: ClientEvents[K]) => void> = this.listeners[event] ?? new Set();
    this.listeners[event] = set.add(listener) as (typeof this.listeners)[K];
    return () => set.delete(listener);
  }

  /**
   * Subscribes to `topic`, resubscribing after every reconnect from the last position, so that
   * on topics with history nothing is missed; `onNotification` gets each notification once: a
   * replay in seq order, live ones as they arrive (concurrent ones may overtake each other).
   */
  subscribe(topic: string, onNotification: (n: Notification) => void): Subscription {
    this.assertOpen();
    let entry = this.topics.get(topic);
    if (!entry) {
      let settle!: Answer;
      const ready = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      ready.catch(() => undefined); // reported to whoever awaits it, never as unhandled
      const created: Topic = { stream: new Stream(), handlers: new Set(), ready, settle };
      created.stream.position = readPosition(this.options.positions, `topic:${topic}`);
      this.topics.set(topic, created);
      this.live().forEach((c) => this.subscribeOn(c, topic, created));
      entry = created;
    }
    const { handlers, ready } = entry;
    handlers.add(onNotification);
    return {
      ready,
      unsubscribe: () => {
        if (!handlers.delete(onNotification) || handlers.size > 0 || this.topics.get(topic) !== entry) return;
        this.topics.delete(topic);
        this.live().forEach((c) => this.send(c, { action: 'unsubscribe', topic }));
      },
    };
  }

  /** Notifications sent to this user (and broadcasts), resumed after every reconnect. */
  onUserNotification(listener: (n: Notification) => void): () => void {
    this.userHandlers.add(listener);
    if (this.userHandlers.size === 1) this.live().forEach((c) => this.resumeOn(c));
    return () => this.userHandlers.delete(listener);
  }

  /** Join and leave events of a topic this client subscribes to. */
  onPresence(topic: string, listener: (e: PresenceEvent) => void): () => void {
    const set = this.presenceHandlers.get(topic) ?? new Set();
    this.presenceHandlers.set(topic, set.add(listener));
    return () => set.delete(listener);
  }

  /** Publishes a client message; resolves with its id once the server accepted it. */
  publish(topic: string, data: unknown, options: { echo?: boolean } = {}): Promise<Published> {
    return this.request({ action: 'publish', topic, data, ...(options.echo ? { echo: true } : {}) }).then(({ type, requestId, ...answer }) => {
      const entry = this.topics.get(topic);
      const { epoch, seq } = answer;
      // Without echo the message never comes back live: a replay must not hand it over later either.
      if (!options.echo && entry && epoch !== undefined && seq !== undefined) {
        this.recent.add(answer.id);
        entry.stream.skip({ epoch, seq });
      }
      return answer;
    });
  }

  /** Who is subscribed to `topic` (on topics that track presence). */
  presence(topic: string): Promise<PresenceAnswer> {
    return this.ask({ action: 'presence', topic });
  }

  /** A page of `topic`'s stored history, oldest first: pass `before` the oldest seq to page back. */
  history(topic: string, options: { before?: number; limit?: number } = {}): Promise<HistoryPage> {
    return this.ask({ action: 'history', topic, ...options });
  }

  /**
   * Registers this browser's Web Push subscription (`pushManager.subscribe()`) for the signed-in
   * user: notifications with a `push` part then reach it while no connection is open. Resolves
   * with the user's devices.
   */
  registerPush(subscription: PushSubscriptionLike): Promise<PushDevices> {
    const { endpoint, keys } = ('toJSON' in subscription ? subscription.toJSON() : subscription) as { endpoint: string; keys: { p256dh: string; auth: string } };
    return this.ask({ action: 'registerPush', subscription: { endpoint, keys: { p256dh: keys?.p256dh, auth: keys?.auth } } });
  }

  /** Removes the device registered with `endpoint` (a subscription's). */
  unregisterPush(endpoint: string): Promise<PushDevices> {
    return this.ask({ action: 'unregisterPush', endpoint });
  }

  /** The signed-in user's registered push devices. */
  pushDevices(): Promise<PushDevices> {
    return this.ask({ action: 'pushDevices' });
  }

  /** Closes the connection for good; pending requests fail with CLOSED. */
  close(): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.dialTimer);
    const closed = new RealtimeError('CLOSED', 'The client was closed. Connect again to send more.');
    this.outbox = [];
    for (const id of [...this.requests.keys()]) this.settle(id, closed);
    this.live().forEach((c) => this.drop(c, 1000));
  }

  // ---- connections ------------------------------------------------------------------------

  private live(): Connection[] {
    return [this.conn, this.next].filter((c): c is Connection => c !== undefined);
  }

  /** Dials after the backoff for the `failures`th failure in a row (none for the first connect). */
  private dial(failures: number): void {
    const wait = this.state === 'connecting' && failures === 0 ? 0 : backoffDelay(failures - 1, this.options.reconnect);
    this.dialTimer = setTimeout(() => {
      this.open().then(
        (c) => this.adopt(c),
        () => {
          if (this.state === 'closed') return;
          this.setState('reconnecting');
          this.dial(++this.failures);
        },
      );
    }, wait);
  }

  /** Opens a socket with a fresh token; resolves once it is open. */
  private async open(): Promise<Connection> {
    const { url, token } = this.options;
    let args: [string, string[]?];
    try {
      args = token ? socketArgs(url, await token()) : [url];
    } catch (error) {
      this.emit('error', tokenFailed(error, 'Connecting again later'));
      throw error;
    }
    if (this.state === 'closed') throw new Error('closed');
    const ws = new this.WS(...args);
    const c: Connection = { ws, pending: 0, timers: [] };
    return new Promise((resolve, reject) => {
      ws.onerror = () => undefined; // a close follows
      ws.onclose = reject;
      ws.onopen = () => {
        ws.onclose = () => this.lost(c);
        ws.onmessage = (event) => this.receive(c, String(event.data));
        resolve(c);
      };
    });
  }

  /** A new connection is open: first connect, reconnect, or the replacement of a connection near its cap. */
  private adopt(c: Connection): void {
    if (this.state === 'closed') return this.drop(c, 1000);
    const apiGateway = keepAliveTiming();
    const { pingIntervalMs = apiGateway.pingIntervalMs, maxConnectionMs = apiGateway.maxConnectionMs } = this.options;
    c.timers.push(
      setInterval(() => this.send(c, { action: 'ping' }, (error) => error?.code === 'TIMEOUT' && this.drop(c, 4000)), pingIntervalMs),
      setTimeout(() => this.renew(c), maxConnectionMs),
    );
    const replacing = this.conn !== undefined;
    if (replacing) this.next = c;
    else this.conn = c;
    // Resubscribe everything from its last position; switch over once all have answered.
    const restored = [...this.topics].map(([topic, entry]) => new Promise<void>((done) => this.subscribeOn(c, topic, entry, done)));
    if (this.userHandlers.size > 0) restored.push(new Promise<void>((done) => this.resumeOn(c, done)));
    if (!replacing) this.ready(c);
    // A resume's answer carries the unread count; without one, it is asked for.
    if (this.userHandlers.size === 0) this.inbox.sync();
    Promise.all(restored).then(() => {
      if (c.gone || this.state === 'closed') return;
      this.failures = 0;
      if (this.next !== c) return;
      const old = this.conn;
      this.conn = c;
      this.next = undefined;
      if (old) this.retire(old);
    });
  }

  private ready(c: Connection): void {
    this.setState('open');
    const outbox = this.outbox;
    this.outbox = [];
    outbox.forEach((send) => send(c));
  }

  /** Make-before-break: a new connection takes over before API Gateway closes this one. */
  private renew(c: Connection): void {
    if (c !== this.conn || this.next || this.state === 'closed') return;
    // Meanwhile the old one carries on; if the new one fails to open, try again shortly.
    this.open().then((n) => this.adopt(n), () => c.timers.push(setTimeout(() => this.renew(c), backoffDelay(1, this.options.reconnect))));
  }

  private retire(c: Connection): void {
    c.retiring = true;
    c.timers.forEach((t) => clearTimeout(t));
    if (c.pending === 0) this.drop(c, 1000);
  }

  private drop(c: Connection, code: number): void {
    if (c.ws.readyState <= OPEN) c.ws.close(code, 'done');
    this.lost(c);
  }

  private lost(c: Connection): void {
    if (c.gone) return;
    c.gone = true;
    c.timers.forEach((t) => clearTimeout(t));
    const lost = new RealtimeError('DISCONNECTED', 'The connection dropped before the answer came: the request may or may not have taken effect. Try again.');
    for (const [id, r] of this.requests) if (r.on === c) this.settle(id, lost);
    if (c === this.next) this.next = undefined;
    if (c !== this.conn) return;
    this.conn = this.next;
    this.next = undefined;
    if (this.state === 'closed') return;
    if (this.conn) return this.ready(this.conn); // the replacement was already on its way
    this.setState('reconnecting');
    this.dial(++this.failures);
  }

  // ---- streams ----------------------------------------------------------------------------

  private subscribeOn(c: Connection, topic: string, entry: Topic, done?: () => void): void {
    entry.stream.hold();
    const since = entry.stream.position;
    this.send(c, { action: 'subscribe', topic, ...(since ? { since } : {}) }, (error, answer) => {
      const ack = answer?.type === 'subscribed' ? answer : undefined;
      if (this.topics.get(topic) !== entry) {
        entry.settle(error); // unsubscribed meanwhile
        return done?.();
      }
      if (error?.code === 'BAD_REQUEST' && since) {
        // A stored position the server does not know (another user's, say): start afresh.
        entry.stream.forget();
        this.emit('gap', { topic });
        return this.subscribeOn(c, topic, entry, done);
      }
      if (error && !this.fatal(error)) return this.retryLater(c, error, done);
      const refused = error && new RealtimeError(error.code, error.message, error.retryAfterMs, topic);
      if (refused) {
        this.topics.delete(topic);
        this.emit('error', refused);
      }
      const lost = since !== undefined && ack?.recovered === false;
      if (lost) this.emit('gap', { topic });
      this.hand(entry.stream, entry.handlers, `topic:${topic}`, entry.stream.release(ack, lost));
      entry.settle(refused);
      done?.();
    });
  }

  private resumeOn(c: Connection, done?: () => void): void {
    if (this.resumeUnknown) return done?.();
    this.user.hold();
    const since = this.user.position;
    this.send(c, { action: 'resume', ...(since ? { since } : {}) }, (error, answer) => {
      const ack = answer?.type === 'resumed' ? answer : undefined;
      if (error?.code === 'BAD_REQUEST' && since) {
        this.user.forget();
        this.emit('gap', {});
        return this.resumeOn(c, done);
      }
      if (error && !this.fatal(error)) return this.retryLater(c, error, done);
      // A server without resume still delivers user notifications, live.
      if (error?.code === 'UNKNOWN_ACTION') this.resumeUnknown = true;
      else if (error) this.emit('error', error);
      const lost = since !== undefined && ack?.recovered === false;
      if (lost) this.emit('gap', {});
      if (ack?.unread !== undefined) this.inbox.take({ ...ack, count: ack.unread } as any);
      this.hand(this.user, this.userHandlers, USER, this.user.release(ack, lost));
      done?.();
    });
  }

  /** Whether a refusal stands: the others (no answer, a dropped connection, INTERNAL) are tried again. */
  private fatal(error: RealtimeError): boolean {
    return !['TIMEOUT', 'DISCONNECTED', 'INTERNAL', 'CLOSED'].includes(error.code);
  }

  /** A resubscribe that went unanswered: the connection is not trusted; a new one resubscribes. */
  private retryLater(c: Connection, error: RealtimeError, done?: () => void): void {
    if (error.code !== 'DISCONNECTED' && error.code !== 'CLOSED') this.drop(c, 4000);
    done?.();
  }

  private receive(c: Connection, text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    // Payloads sent by reference are fetched first; frames behind them wait, so order holds.
    // (A frame whose data merely mentions "dataUrl" takes the same path, and comes out as it went in.)
    if (!this.loading && !text.includes('"dataUrl"')) return this.dispatch(c, frame);
    const paged = frame as { notifications?: Notification[] };
    const list = paged.notifications;
    const get = (n: Notification) => withData(n).catch((error: RealtimeError) => void this.emit('error', error));
    const loading = Promise.resolve(this.loading).then(async () => {
      if (list) paged.notifications = (await Promise.all(list.map(get))).filter(Boolean) as Notification[];
      const loaded = frame.type === 'notification' ? await get(frame) : frame;
      if (loaded) this.dispatch(c, loaded as ServerFrame);
    });
    this.loading = loading;
    loading.then(() => this.loading === loading && (this.loading = undefined));
  }

  private dispatch(c: Connection, frame: ServerFrame): void {
    const id = 'requestId' in frame ? frame.requestId : undefined;
    if (id !== undefined && this.requests.get(id)?.on === c) {
      this.settle(id, frame.type === 'error' ? refusal(frame) : undefined, frame);
    } else if (frame.type === 'notification') {
      const { topic } = frame;
      const entry = topic === undefined ? undefined : this.topics.get(topic);
      if (entry) this.hand(entry.stream, entry.handlers, `topic:${topic}`, entry.stream.take(frame));
      else if (topic === undefined) this.hand(this.user, this.userHandlers, USER, this.user.take(frame));
    } else if (frame.type === 'unread') {
      this.inbox.take(frame);
    } else if (frame.type === 'presence' && 'event' in frame) {
      const event: PresenceEvent = frame;
      this.presenceHandlers.get(frame.topic)?.forEach((fn) => call(fn, event));
    } else if (frame.type === 'subscribed' && frame.byServer) {
      this.emit('granted', { topic: frame.topic });
    } else if (frame.type === 'unsubscribed' && frame.byServer) {
      // A backend took the topic from this user: it is not resubscribed on reconnect either.
      this.topics.delete(frame.topic);
      this.emit('error', new RealtimeError('FORBIDDEN', `The server ended the subscription to "${frame.topic}".`, undefined, frame.topic));
    } else if (frame.type === 'reauth') {
      this.reauth(c);
    } else if (frame.type === 'closing' && frame.code === 'KICKED') {
      // The server ended this user's connections: reconnecting on our own would undo that.
      this.emit('error', new RealtimeError('KICKED', frame.message));
      this.close();
    } else if (frame.type === 'error') {
      this.emit('error', refusal(frame));
    }
  }

  /** The token is about to expire: a fresh one from the token function, over the open connection. */
  private reauth(c: Connection): void {
    const { token } = this.options;
    if (!token) return;
    Promise.resolve().then(token).then(
      (t) => this.send(c, { action: 'reauth', token: t }, (error) => error && this.emit('error', error)),
      (error) => this.emit('error', tokenFailed(error, 'The connection closes when its token expires')),
    );
  }

  /** Hands notifications to the app, each id once, and keeps the stream's position. */
  private hand(stream: Stream, handlers: Set<(n: Notification) => void>, key: string, frames: Notification[]): void {
    for (const n of frames) if (this.recent.add(n.id)) handlers.forEach((fn) => call(fn, n));
    if (frames.length > 0 && stream.position) this.options.positions?.set(key, JSON.stringify(stream.position));
  }

  // ---- requests ---------------------------------------------------------------------------

  /** A request's answer, without its `type` and `requestId`. */
  private ask<A extends keyof Answers>(frame: Extract<ClientFrame, { action: A }>): Promise<Omit<Answers[A], 'type' | 'requestId'>> {
    return this.request(frame).then(({ type, requestId, ...answer }) => answer);
  }

  /** Sends a request; resolves with its answer (an answer of another type fails it with INTERNAL). */
  private request<A extends keyof Answers>(frame: Extract<ClientFrame, { action: A }>): Promise<Answers[A]> {
    const action = frame.action as A;
    this.assertOpen();
    return new Promise((resolve, reject) => {
      const answer: Answer = (error, f) => {
        if (error) return reject(error);
        if (f && isAnswer(f, action)) return resolve(f);
        reject(new RealtimeError('INTERNAL', `The server answered "${frame.action}" with ${f ? `a "${f.type}" frame` : 'nothing'}.`));
      };
      if (this.conn) this.send(this.conn, frame, answer);
      else this.send(undefined, frame, answer);
    });
  }

  /** Sends `frame` on `c` (or the next connection to open); `answer` gets the reply or the failure. */
  private send(c: Connection | undefined, frame: ClientFrame, answer?: Answer): void {
    if (!answer) {
      if (c?.ws.readyState === OPEN) c.ws.send(JSON.stringify(frame));
      return;
    }
    const requestId = `r${++this.counter}`;
    const ms = this.options.requestTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () => this.settle(requestId, new RealtimeError('TIMEOUT', `No answer to "${frame.action}" within ${ms} ms. Try again, or raise requestTimeoutMs.`)),
      ms,
    );
    const request: Request = { answer, timer };
    this.requests.set(requestId, request);
    const go = (on: Connection) => {
      if (!this.requests.has(requestId)) return; // timed out while waiting for a connection
      if (on.ws.readyState !== OPEN) return this.settle(requestId, new RealtimeError('DISCONNECTED', 'The connection closed before the request was sent. Try again.'));
      request.on = on;
      on.pending++;
      on.ws.send(JSON.stringify({ ...frame, requestId }));
    };
    if (c) go(c);
    else this.outbox.push(go);
  }

  private settle(requestId: string, error: RealtimeError | undefined, frame?: ServerFrame): void {
    const request = this.requests.get(requestId);
    if (!request) return;
    this.requests.delete(requestId);
    clearTimeout(request.timer);
    const c = request.on;
    if (c && --c.pending === 0 && c.retiring) this.drop(c, 1000);
    request.answer(error, frame);
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new RealtimeError('CLOSED', 'The client was closed. Connect again to use it.');
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    (this.listeners[event] as Set<(value: ClientEvents[K]) => void> | undefined)?.forEach((fn) => call(fn, value));
  }
}

/** Whether `frame` is the answer to an `action` request (a presence event is not the presence answer). */
function isAnswer<A extends keyof Answers>(frame: ServerFrame, action: A): frame is Answers[A] {
  return frame.type === (ANSWERS[action] ?? action) && !('event' in frame);
}

/** The server's refusal as the app's error. */
function refusal(frame: ErrorFrame): RealtimeError {
  return new RealtimeError(frame.code, frame.message, frame.retryAfterMs);
}

/** Calls an app's listener; what it throws is reported without breaking the client. */
function call<T>(fn: (value: T) => void, value: T): void {
  try {
    fn(value);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

export type { Notification, Position, StreamAck };

function tokenFailed(error: unknown, then: string): RealtimeError {
  return new RealtimeError('TOKEN_FAILED', `The token function failed: ${(error as Error)?.message ?? error}. ${then}.`);
}
