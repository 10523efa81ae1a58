/**
 * The client side of the end-to-end latency benchmark, in a process of its own so that the local
 * runtime under measurement has its own: N real `ws` clients, and the publisher. Every frame
 * carries the time it was sent (this process's clock), so latency needs no connection-id mapping.
 * Driven over IPC, one phase at a time:
 *   { type: 'connect', count, concurrency, auth: 'jwt' | 'none' }  → { type: 'connected', … }
 *   { type: 'floor', ids, rate, seconds }                          → { type: 'latency', … }  direct @connections posts
 *   { type: 'publish', rate, seconds }                             → { type: 'latency', … }  PutEvents to users
 *   { type: 'close' }                                              → { type: 'closed' }
 *   env: BENCH_WS_URL, BENCH_HTTP_URL, BENCH_CALLBACK_URL, BENCH_EVENT_BUS, BENCH_DETAIL_TYPE
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RawData, WebSocket } from 'ws';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const now = () => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
/** Latency samples (ms) of the current phase, by the marker in the frame. */
let samples: number[] = [];
let received = 0;

function onFrame(raw: RawData): void {
  const at = now();
  const frame = JSON.parse(raw.toString()) as { type?: string; data?: { sentAt?: number }; sentAt?: number };
  const sentAt = frame.type === 'notification' ? frame.data?.sentAt : frame.sentAt;
  if (typeof sentAt === 'number') {
    samples.push(at - sentAt);
    received++;
  }
}

async function tokenFor(userId: string): Promise<string> {
  const res = await fetch(`${env('BENCH_HTTP_URL')}/dev/token?userId=${encodeURIComponent(userId)}`);
  if (!res.ok) throw new Error(`/dev/token answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function connect(count: number, concurrency: number, auth: string) {
  const users = Array.from({ length: count }, (_, i) => `bench-user-${i}`);
  const tokens = auth === 'none' ? users.map(() => '') : await (async () => {
    const out: string[] = new Array(count);
    await pool(users.map((u, i) => [u, i] as const), 20, async ([u, i]) => { out[i] = await tokenFor(u); });
    return out;
  })();
  const connectMs: number[] = [];
  let refused = 0;
  const started = now();
  await pool(users.map((_, i) => i), concurrency, async (i) => {
    const t0 = now();
    const url = auth === 'none' ? env('BENCH_WS_URL') : `${env('BENCH_WS_URL')}?token=${encodeURIComponent(tokens[i])}`;
    const ws = new WebSocket(url);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      connectMs.push(now() - t0);
      ws.on('message', onFrame);
      sockets.push(ws);
    } catch {
      refused++;
    }
  });
  const seconds = (now() - started) / 1000;
  return { type: 'connected', connected: sockets.length, refused, seconds, perSecond: sockets.length / seconds, connectMs };
}

/** Sends `rate` per second for `seconds`, on a schedule that does not drift with timer lateness. */
async function paced(rate: number, seconds: number, send: (seq: number) => Promise<void>): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = now();
  const inFlight: Promise<void>[] = [];
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(seq));
  }
  await Promise.all(inFlight);
  return total;
}

async function settle(expected: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (received < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

async function floor(ids: string[], rate: number, seconds: number) {
  samples = [];
  received = 0;
  const api = new ApiGatewayManagementApiClient({ ...local, endpoint: env('BENCH_CALLBACK_URL') });
  let errors = 0;
  const sent = await paced(rate, seconds, async (seq) => {
    const body = JSON.stringify({ type: 'floor', seq, sentAt: now() });
    try {
      await api.send(new PostToConnectionCommand({ ConnectionId: ids[seq % ids.length], Data: body }));
    } catch {
      errors++;
    }
  });
  await settle(sent, 10_000);
  api.destroy();
  return { type: 'latency', sent, received, errors, samples };
}

async function publish(rate: number, seconds: number) {
  samples = [];
  received = 0;
  const bus = new EventBridgeClient({ ...local, endpoint: env('BENCH_HTTP_URL') });
  let errors = 0;
  const sent = await paced(rate, seconds, async (seq) => {
    try {
      const out = await bus.send(new PutEventsCommand({
        Entries: [{
          EventBusName: env('BENCH_EVENT_BUS'),
          Source: 'bench.latency',
          DetailType: env('BENCH_DETAIL_TYPE'),
          // One connection per user: each notification reaches exactly one client.
          Detail: JSON.stringify({ userId: `bench-user-${seq % sockets.length}`, id: `lat-${seq}`, data: { seq, sentAt: now() } }),
        }],
      }));
      if (out.FailedEntryCount) errors++;
    } catch {
      errors++;
    }
  });
  await settle(sent, 15_000);
  bus.destroy();
  return { type: 'latency', sent, received, errors, samples };
}

process.on('message', (m: { type: string; count?: number; concurrency?: number; auth?: string; ids?: string[]; rate?: number; seconds?: number }) => {
  const reply = (p: Promise<object>) => p.then((r) => process.send!(r), (e: Error) => process.send!({ type: 'error', message: e.stack ?? String(e) }));
  switch (m.type) {
    case 'connect':
      reply(connect(m.count!, m.concurrency!, m.auth!));
      break;
    case 'floor':
      reply(floor(m.ids!, m.rate!, m.seconds!));
      break;
    case 'publish':
      reply(publish(m.rate!, m.seconds!));
      break;
    case 'close':
      for (const ws of sockets.splice(0)) ws.close();
      process.send!({ type: 'closed' });
      break;
  }
});
// Never outlive the benchmark that started this process.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
