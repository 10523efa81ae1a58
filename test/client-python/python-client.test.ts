/**
 * The Python client (client-python/) against the local runtime, in a venv made from PyPI
 * (websockets), driven through test/client-python/driver.py: the scenarios of the JavaScript
 * client's tests (test/client/client.test.ts, positions.test.ts). Cut or closed connections
 * during a burst: it reconnects with a fresh token, resubscribes from its position and gets what
 * it missed exactly once; the offline inbox across restarts from a positions file; typed
 * refusals; keep-alive pings; replacement before the server's cap with no gap.
 */
import { ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createHash } from 'node:crypto';
import { createPayloadBucket, PayloadBucket } from '../../lambda/payloads/payload-bucket';
import { LOCAL_AWS } from '../../local/dynamodb';
import { LocalRuntime } from '../../local/runtime';
import { LocalS3, startLocalS3 } from '../../local/s3';
import { clientTests, publish, waitUntil } from '../client/support';
import { pythonEnv } from '../support/python-venv';

const ROOT = join(__dirname, '..', '..');
const PACKAGE = join(ROOT, 'client-python');
/** The client's one dependency, pinned for the tests (pyproject allows >=13,<18). */
const REQUIREMENTS = ['websockets==15.0.1'];
/** The tests' venv also type-checks the package. */
const MYPY = 'mypy==2.4.1';
const MAX_PER_SECOND = 5;
const SETTINGS = {
  topicRules: ['feeds/*', 'rooms/*', 'orders/*'], historyRules: ['feeds/*', 'rooms/*'], publishRules: ['rooms/*'], presenceRules: ['rooms/*'],
  'clientMessages.maxPerSecond': MAX_PER_SECOND,
};
const { start, fresh } = clientTests(SETTINGS);

let python: string;
let work: string;
const apps: PyApp[] = [];

beforeAll(() => {
  python = join(pythonEnv('python-client-venv', [...REQUIREMENTS, MYPY]), 'bin', 'python');
  work = mkdtempSync(join(tmpdir(), 'python-client-'));
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Notification {
  readonly id: string;
  readonly data: unknown;
  readonly seq?: number;
  readonly [key: string]: unknown;
}

let tags = 0;

/** One Python process with one client: what it was handed, per topic ('' for the user's own), and what it was told. */
class PyApp {
  readonly tag = `python-client-${++tags}`;
  readonly child: ChildProcessWithoutNullStreams;
  readonly received = new Map<string, Notification[]>();
  readonly states: string[] = [];
  readonly errors: Array<{ code: string; message: string; class: string; topic?: string }> = [];
  readonly gaps: Array<string | null> = [];
  readonly presenceEvents: unknown[] = [];
  readonly unhandled: unknown[] = [];
  tokens = 0;
  private stderr = '';
  private requests = 0;
  private readonly answers = new Map<number, { resolve(value: any): void; reject(error: any): void }>();
  private readonly exited: Promise<number | null>;

  constructor(readonly runtime: LocalRuntime, readonly userId: string, options: Record<string, unknown> = {}) {
    this.child = spawn(python, [join(__dirname, 'driver.py')], { env: { ...process.env, PYTHONPATH: join(PACKAGE, 'src') } });
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.take(JSON.parse(line)));
    apps.push(this);
    void this.request('connect', {
      url: runtime.wsUrl, tokenUrl: `${runtime.url}/dev/token?userId=${encodeURIComponent(userId)}`, userAgent: this.tag, options,
    });
  }

  private take(line: any): void {
    switch (line.event) {
      case 'state': this.states.push(line.state); break;
      case 'notification': this.list(line.key).push(line.n); break;
      case 'gap': this.gaps.push(line.topic); break;
      case 'error': this.errors.push(line); break;
      case 'token': this.tokens++; break;
      case 'presence': this.presenceEvents.push(line.e); break;
      case 'unhandled': this.unhandled.push(line); break;
      case 'result': {
        const answer = this.answers.get(line.id)!;
        this.answers.delete(line.id);
        if (line.error) answer.reject(line.error);
        else answer.resolve(line.value);
        break;
      }
      default: throw new Error(`unexpected line ${JSON.stringify(line)}`);
    }
  }

  request(op: string, fields: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.requests;
    return new Promise((resolve, reject) => {
      this.answers.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  subscribe(topic: string): Promise<void> {
    return this.request('subscribe', { topic });
  }

  list(key: string): Notification[] {
    const list = this.received.get(key) ?? [];
    this.received.set(key, list);
    return list;
  }

  connections(): string[] {
    return this.runtime.registry.ids().filter((id) => this.runtime.registry.get(id)?.userAgent === this.tag);
  }

  async waitForState(state: string, after = 0): Promise<void> {
    await waitUntil(() => this.states.slice(after).includes(state), `${this.tag} to be ${state}; states: ${this.states.join(', ')}; ${this.stderr}`);
  }

  async waitForCount(key: string, count: number): Promise<Notification[]> {
    await waitUntil(() => this.list(key).length >= count, `${count} notifications on "${key}"`).catch((error: Error) => {
      throw new Error(`${error.message}; got [${this.list(key).map((n) => n.data).join(' ')}]; states ${this.states.join(' ')}; `
        + `gaps ${JSON.stringify(this.gaps)}; errors ${JSON.stringify(this.errors)}; stderr ${this.stderr}`);
    });
    return this.list(key);
  }

  /** Every frame the server sent before now has arrived (the presence answer comes after them on the socket). */
  async settled(): Promise<void> {
    await this.runtime.drained();
    await this.request('presence', { topic: 'rooms/sync' });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.request('close').catch(() => undefined);
    this.child.stdin.end();
    const code = await this.exited;
    expect({ code, stderr: this.stderr, unhandled: this.unhandled }).toEqual({ code: 0, stderr: '', unhandled: [] });
  }
}

/** Each sent notification handed over exactly once: nothing lost, nothing twice. */
function expectEachOnce(received: Notification[], sent: number[]): void {
  expect(received.map((n) => n.data as number).sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b));
  expect(new Set(received.map((n) => n.id)).size).toBe(received.length);
}

test('the package installs from its folder with pip, typed (py.typed), on websockets from PyPI', () => {
  const venv = join(work, 'install-venv');
  const source = join(work, 'source'); // pip builds in the folder it installs from: a copy keeps build/ out of the repository
  cpSync(PACKAGE, source, { recursive: true, filter: (path) => !/(__pycache__|\.egg-info|[/\\]build)$/.test(path) });
  execFileSync('python3', ['-m', 'venv', venv]);
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', source, ...REQUIREMENTS], { stdio: 'pipe', timeout: 600_000 });
  const script = 'import importlib.resources as r, cdk_realtime_notifications_client as c; '
    + 'print(c.__version__, r.files(c).joinpath("py.typed").is_file(), sorted(x for x in c.__all__ if x[0].isupper())[:3])';
  const out = execFileSync(join(venv, 'bin', 'python'), ['-c', script], { cwd: work, encoding: 'utf8' }).trim();
  const version = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./client/package.json").version)'], { cwd: ROOT, encoding: 'utf8' }));
  expect(out).toBe(`${version} True ['API_SUBPROTOCOL', 'Backoff', 'Closed']`);
}, 600_000);

test('type-checks with mypy --strict (the package, and the driver as an app using it)', () => {
  const out = execFileSync(python, ['-m', 'mypy', '--strict', '--no-incremental', join(PACKAGE, 'src'), join(__dirname, 'driver.py')], {
    cwd: PACKAGE, env: { ...process.env, MYPYPATH: join(PACKAGE, 'src') }, encoding: 'utf8', stdio: 'pipe',
  });
  expect(out).toMatch(/^Success: no issues found/);
}, 300_000);

test('the pure parts: stream ordering, duplicates, backoff with jitter, keep-alive timing (unittest)', () => {
  const out = execFileSync(python, ['-m', 'unittest', 'discover', '-s', join(PACKAGE, 'tests'), '-v'], {
    env: { ...process.env, PYTHONPATH: join(PACKAGE, 'src') }, encoding: 'utf8', stdio: 'pipe',
  });
  expect(out).toBe(''); // unittest reports on stderr; a failure throws
});

describe('with API Gateway’s usual limits', () => {
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start());
  }, 120_000);

  it('hands over topic and user notifications each once, and answers publish, presence and history', async () => {
    const alice = new PyApp(runtime, 'alice');
    const topic = fresh('orders');
    const room = fresh('rooms');
    await alice.request('user');
    await alice.subscribe(topic);
    await alice.subscribe(room);
    await alice.request('presenceEvents', { topic: room });
    expect(alice.states).toEqual(['connecting', 'open']);
    expect(alice.tokens).toBe(1);

    const sent = [1, 2, 3, 4, 5];
    await Promise.all(sent.map((data) => publish(events, runtime, { topic, data })));
    await Promise.all([10, 11].map((data) => publish(events, runtime, { userId: 'alice', data })));
    await publish(events, runtime, { userId: 'bob', data: 99 });
    await alice.waitForCount(topic, 5);
    await alice.waitForCount('', 2);
    await alice.settled();
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), [10, 11]);
    expect(alice.list(topic)[0]).toMatchObject({ topic, id: expect.any(String), time: expect.any(String) });
    expect(alice.list(topic)[0]).not.toHaveProperty('type');

    // A room with history: the answer carries the position; with echo, the message comes back once.
    const published = await alice.request('publish', { topic: room, data: { text: 'hi' }, echo: true });
    expect(published).toEqual({ topic: room, id: expect.any(String), seq: expect.any(Number), epoch: expect.any(String) });
    await alice.waitForCount(room, 1);
    expect(alice.list(room)[0]).toMatchObject({ id: published.id, from: 'alice', data: { text: 'hi' } });
    const bob = new PyApp(runtime, 'bob');
    await bob.subscribe(room);
    await waitUntil(() => alice.presenceEvents.length === 1, 'bob’s join');
    expect(alice.presenceEvents).toEqual([{ topic: room, event: 'join', userId: 'bob' }]);
    expect(await alice.request('presence', { topic: room })).toEqual({
      topic: room, count: 2, truncated: false, members: [{ userId: 'alice', connections: 1 }, { userId: 'bob', connections: 1 }],
    });
    const page = await alice.request('history', { topic: room, limit: 10 });
    expect(page).toMatchObject({ topic: room, hasMore: false, epoch: published.epoch, notifications: [{ id: published.id, seq: published.seq }] });
  });

  it('reconnects with a fresh token when connections are cut or closed during a burst, and gets what it missed exactly once', async () => {
    const topic = fresh('feeds');
    const alice = new PyApp(runtime, 'alice');
    await alice.request('user');
    await alice.subscribe(topic);

    const sent: number[] = [];
    const toUser: number[] = [];
    const burst = (async () => {
      for (let i = 0; i < 45; i++) {
        await publish(events, runtime, i % 3 === 0 ? { userId: 'alice', data: i } : { topic, data: i });
        (i % 3 === 0 ? toUser : sent).push(i);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    for (const [n, close] of [[4, 'lose'], [12, 'delete'], [20, 'lose']] as const) {
      await alice.waitForCount(topic, n);
      const [id] = alice.connections();
      if (close === 'lose') runtime.gateway.loseConnection(id); // cut: no close frame
      else runtime.registry.get(id)!.close(); // deleted through @connections: a clean server close
      await waitUntil(() => alice.connections().length === 1 && alice.connections()[0] !== id, 'a new connection');
    }
    await burst;
    await alice.waitForCount(topic, sent.length);
    await alice.waitForCount('', toUser.length);
    await alice.settled();
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), toUser);
    const seqs = alice.list(topic).map((n) => n.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(alice.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3);
    expect(alice.tokens).toBeGreaterThanOrEqual(4); // one per connect
    expect(alice.gaps).toEqual([]);
  });

  it('resumes from a positions file after a restart: what was published meanwhile, exactly once', async () => {
    const topic = fresh('feeds');
    const file = join(work, `positions-${topic.replace('/', '-')}.json`);
    const first = new PyApp(runtime, 'carol', { positions: file });
    await first.request('user');
    await first.subscribe(topic);
    await publish(events, runtime, { topic, data: 1 });
    await publish(events, runtime, { userId: 'carol', data: 100 });
    await first.waitForCount(topic, 1);
    await first.waitForCount('', 1);
    await first.close();

    // Nobody connected: the stream moves on.
    for (const data of [2, 3, 4]) await publish(events, runtime, { topic, data });
    await publish(events, runtime, { userId: 'carol', data: 101 });
    await runtime.drained();

    const second = new PyApp(runtime, 'carol', { positions: file });
    await second.request('user');
    await second.subscribe(topic);
    await second.waitForCount(topic, 3);
    await second.waitForCount('', 1);
    await second.settled();
    // Replayed in seq order. Notifications published one after the other may still take their
    // positions in another order when one batch delivers them at once.
    const replayed = second.list(topic);
    expect(replayed.map((n) => n.seq)).toEqual([...replayed.map((n) => n.seq)].sort((x, y) => Number(x) - Number(y)));
    expect(replayed.map((n) => n.data).sort()).toEqual([2, 3, 4]);
    expect(second.list('').map((n) => n.data)).toEqual([101]);
    expect(second.gaps).toEqual([]);
  });

  it('raises typed errors: Forbidden, RateLimited with retry_after_ms, Closed', async () => {
    const alice = new PyApp(runtime, 'alice');
    await expect(alice.subscribe('secret/plans')).rejects.toMatchObject({ code: 'FORBIDDEN', class: 'Forbidden', topic: 'secret/plans' });
    await expect(alice.request('publish', { topic: fresh('orders'), data: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN', class: 'Forbidden' });
    const room = fresh('rooms');
    // Enough that, however they fall across second boundaries (up to three windows on a busy machine), one window gets more than the limit.
    const answers = await Promise.allSettled(Array.from({ length: 3 * MAX_PER_SECOND + 1 }, (_, i) => alice.request('publish', { topic: room, data: i })));
    const limited = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected').map((a) => a.reason);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]).toMatchObject({ code: 'RATE_LIMITED', class: 'RateLimited', retryAfterMs: expect.any(Number) });
    await alice.request('close');
    await expect(alice.request('presence', { topic: room })).rejects.toMatchObject({ code: 'CLOSED', class: 'Closed' });
    expect(alice.states.at(-1)).toBe('closed');
  });
});

describe('a user\'s rights: token renewal, a backend\'s unsubscribe and kick', () => {
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start({ settings: { ...SETTINGS, 'connections.tokenExpiryGrace': 2 } }));
  }, 120_000);

  async function control(detail: Record<string, unknown>): Promise<void> {
    await events.send(new PutEventsCommand({
      Entries: [{ EventBusName: runtime.eventBusName, Source: 'tests', DetailType: 'ConnectionControl', Detail: JSON.stringify(detail) }],
    }));
    await runtime.drained();
  }

  it('renews a 6-second token on the same connection when asked, keeps receiving past its expiry, and is kicked for good', async () => {
    const topic = fresh('orders');
    const app = new PyApp(runtime, 'renewer', { tokenSeconds: [6, 600] });
    await app.subscribe(topic);
    const openedAt = Date.now();
    // Past the first token's expiry and its grace.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, openedAt + 9_500 - Date.now())));
    await publish(events, runtime, { topic, data: 'after expiry' });
    await app.waitForCount(topic, 1);
    expect(app.tokens).toBe(2); // one to connect, one to renew
    expect(app.states.filter((s) => s === 'reconnecting')).toEqual([]);

    // A backend takes the topic away: an error names it, and nothing more arrives from it.
    await control({ action: 'unsubscribe', userId: 'renewer', topic });
    await waitUntil(() => app.errors.some((e) => e.code === 'FORBIDDEN' && e.topic === topic), 'the FORBIDDEN error naming the topic');

    await control({ action: 'disconnect', userId: 'renewer', reason: 'Suspended.' });
    await waitUntil(() => app.states.at(-1) === 'closed', 'the client closed');
    expect(app.errors).toContainEqual(expect.objectContaining({ code: 'KICKED', class: 'Kicked', message: 'Suspended.' }));
    expect(app.states.filter((s) => s === 'reconnecting')).toEqual([]);
  }, 60_000);
});

describe('with payloads over 128 KB, through the payload bucket (moto\'s S3 server)', () => {
  let s3: LocalS3;
  let runtime: LocalRuntime;
  let events: EventBridgeClient;
  let bucket: PayloadBucket;

  beforeAll(async () => {
    s3 = await startLocalS3();
    ({ runtime, events } = await start({ s3Endpoint: s3.endpoint }));
    bucket = createPayloadBucket({ bucket: runtime.settings.payloadBucket, region: 'us-east-1', endpoint: s3.endpoint, credentials: LOCAL_AWS.credentials });
  }, 180_000);
  afterAll(() => s3?.stop());

  it('hands over a 5 MB payload a backend published by reference as data, and refuses one that does not match', async () => {
    const alice = new PyApp(runtime, 'alice');
    const topic = fresh('feeds');
    await alice.subscribe(topic);
    const data = { rows: Array.from({ length: 45_000 }, (_, i) => `${i} résumé ✓ ${'x'.repeat(100)}`) };
    const body = Buffer.from(JSON.stringify(data));
    expect(body.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    await bucket.put(`payloads/${topic}/big.json`, body, 'application/json');
    await bucket.put(`payloads/${topic}/tampered.json`, Buffer.from('{"amount":999}'), 'application/json');
    const genuine = Buffer.from('{"amount":100}');
    await publish(events, runtime, { topic, id: 'big', payload: { key: `payloads/${topic}/big.json`, size: body.byteLength, sha256: digest(body) } });
    await publish(events, runtime, { topic, id: 'tampered', payload: { key: `payloads/${topic}/tampered.json`, size: genuine.byteLength, sha256: digest(genuine) } });
    await publish(events, runtime, { topic, id: 'after', data: { ok: true } });
    await alice.waitForCount(topic, 2);
    await waitUntil(() => alice.errors.length === 1, 'the refusal');
    await alice.settled();
    // Events taken in one batch are delivered side by side: live notifications arrive in any order.
    const handed = alice.list(topic);
    expect(handed.map((n) => n.id).sort()).toEqual(['after', 'big']);
    const big = handed.find((n) => n.id === 'big')!;
    expect(big.data).toEqual(data);
    expect(big).not.toHaveProperty('dataUrl');
    expect(alice.errors).toEqual([expect.objectContaining({ code: 'PAYLOAD_REFUSED', class: 'RealtimeError' })]);
    // History keeps the reference, and answers with a URL presigned now.
    const page = await alice.request('history', { topic, limit: 10 });
    expect(page.notifications.map((n: Notification) => n.id).sort()).toEqual(['after', 'big']);
    expect(page.notifications.find((n: Notification) => n.id === 'big').data).toEqual(data);
  });
});

describe('with short idle and maximum connection times on the server', () => {
  const IDLE_MS = 1000;
  const MAX_MS = 6000;
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start({ idleTimeoutMs: IDLE_MS, maxConnectionMs: MAX_MS }));
  }, 120_000);

  it('keeps an idle connection open with pings', async () => {
    const alice = new PyApp(runtime, 'alice', { ping_interval: IDLE_MS / 4 / 1000 });
    await alice.subscribe(fresh('orders'));
    const [connectionId] = alice.connections();
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_MS));
    expect(alice.connections()).toEqual([connectionId]);
    expect(alice.states).toEqual(['connecting', 'open']);
  });

  it('replaces each connection before the server’s cap, with no gap: nothing lost, nothing twice', async () => {
    const topic = fresh('feeds');
    const alice = new PyApp(runtime, 'alice', { ping_interval: IDLE_MS / 4 / 1000, max_connection_age: 1.5 });
    await alice.request('user');
    await alice.subscribe(topic);
    const connections = new Set<string>(alice.connections());
    const sent: number[] = [];
    const toUser: number[] = [];
    for (let i = 0; i < 50; i++) {
      await publish(events, runtime, { topic, data: i });
      sent.push(i);
      if (i % 5 === 0) {
        await publish(events, runtime, { userId: 'alice', data: i });
        toUser.push(i);
      }
      alice.connections().forEach((id) => connections.add(id));
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    await alice.waitForCount(topic, sent.length);
    await alice.waitForCount('', toUser.length);
    await alice.settled();
    expect(connections.size).toBeGreaterThanOrEqual(3);
    expect(alice.states).toEqual(['connecting', 'open']); // never reconnecting: each replacement was ready first
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), toUser);
  });
});
