/**
 * The client side of the end-to-end latency benchmark, in a process of its own so that the local
 * runtime under measurement has its own: N real `ws` clients, and the publisher. Every frame
 * carries the time it was sent (this process's clock), so latency needs no connection-id mapping.
 * Driven over IPC, one phase at a time:
 *   { type: 'connect', count, concurrency, auth: 'jwt' | 'none' }  → { type: 'connected', … }
 *   { type: 'floor', ids, rate, seconds }                          → { type: 'latency', … }  direct @connections posts
 *   { type: 'publish', rate, seconds }                             → { type: 'latency', … }  PutEvents to users
 *   { type: 'join', topic, members }                               → { type: 'joined', … }   the first `members` clients subscribe
 *   { type: 'chat', topic, members, rate, seconds }                → { type: 'latency', … }  members publish to the topic in turn
 *   { type: 'room', topic, rate, seconds }                         → { type: 'latency', … }  PutEvents to the topic
 *   { type: 'floor', ids, rate, seconds, fanout }                  → { type: 'latency', … }  `fanout` posts per tick
 *   { type: 'close' }                                              → { type: 'closed' }
 *   env: BENCH_WS_URL, BENCH_HTTP_URL, BENCH_CALLBACK_URL, BENCH_EVENT_BUS, BENCH_DETAIL_TYPE
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RawData, WebSocket } from 'ws';
import { forEachConcurrently } from '../../lambda/runtime/concurrent';
import { LOCAL_AWS } from '../../local/dynamodb';
import { probeEnv } from './probe-env';

const env = probeEnv;
const local = LOCAL_AWS;
const now = () => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
/** Latency samples (ms) of the current phase, by the marker in the frame. */
let samples: number[] = [];
let received = 0;
/** Per message of a fan-out phase (by seq): frames received and the latest one's latency. */
let perMessage = new Map<number, { frames: number; lastMs: number }>();
/** Client requests awaiting their answer, by requestId: when they were sent. */
const pendingAnswers = new Map<string, number>();
let answerSamples: number[] = [];
let refusals: string[] = [];

interface Frame {
  type?: string;
  seq?: number;
  sentAt?: number;
  data?: { seq?: number; sentAt?: number };
  requestId?: string;
  code?: string;
}

function onFrame(raw: RawData): void {
  const at = now();
  const frame = JSON.parse(raw.toString()) as Frame;
  const sentAt = frame.type === 'notification' ? frame.data?.sentAt : frame.sentAt;
  if (typeof sentAt === 'number') {
    samples.push(at - sentAt);
    received++;
    const seq = frame.data?.seq ?? frame.seq;
    if (typeof seq === 'number') {
      const m = perMessage.get(seq) ?? { frames: 0, lastMs: 0 };
      m.frames++;
      m.lastMs = Math.max(m.lastMs, at - sentAt);
      perMessage.set(seq, m);
    }
  }
  const askedAt = frame.requestId !== undefined ? pendingAnswers.get(frame.requestId) : undefined;
  if (askedAt !== undefined) {
    pendingAnswers.delete(frame.requestId!);
    if (frame.type === 'error') refusals.push(frame.code ?? 'error');
    else answerSamples.push(at - askedAt);
  }
}

/** Each phase's notification ids are its own: a reused id is the same notification (deduplicated, its position kept). */
let phase = 0;

function startPhase(): void {
  phase++;
  samples = [];
  received = 0;
  perMessage = new Map();
  answerSamples = [];
  refusals = [];
  pendingAnswers.clear();
}

/**
 * What every latency phase answers: `sent` frames expected, the samples, and for fan-out phases
 * the latency of each message's last frame (over the messages that reached all
 * `framesPerMessage` receivers) and the senders' answers.
 */
function phaseResult(sent: number, errors: number, framesPerMessage = 1) {
  const complete = [...perMessage.values()].filter((m) => m.frames >= framesPerMessage);
  return {
    type: 'latency',
    sent,
    received,
    errors: errors + refusals.length,
    samples,
    lastFrameMs: complete.map((m) => m.lastMs),
    answerMs: answerSamples,
    refusals,
    unanswered: pendingAnswers.size,
  };
}

/** Sends a request frame on `ws`; onFrame times its answer (or counts its refusal). */
function request(ws: WebSocket, frame: Record<string, unknown>, requestId: string): void {
  pendingAnswers.set(requestId, now());
  ws.send(JSON.stringify({ ...frame, requestId }));
}

async function tokenFor(userId: string): Promise<string> {
  const res = await fetch(`${env('BENCH_HTTP_URL')}/dev/token?userId=${encodeURIComponent(userId)}`);
  if (!res.ok) throw new Error(`/dev/token answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function connect(count: number, concurrency: number, auth: string) {
  const users = Array.from({ length: count }, (_, i) => `bench-user-${i}`);
  const tokens = auth === 'none' ? users.map(() => '') : await (async () => {
    const out: string[] = new Array(count);
    await forEachConcurrently(users.map((u, i) => [u, i] as const), 20, async ([u, i]) => { out[i] = await tokenFor(u); });
    return out;
  })();
  const connectMs: number[] = [];
  let refused = 0;
  const started = now();
  await forEachConcurrently(users.map((_, i) => i), concurrency, async (i) => {
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

/** Direct @connections posts: one per tick, or `fanout` at once (to as many connections) as a room's delivery would. */
async function floor(ids: string[], rate: number, seconds: number, fanout = 1) {
  startPhase();
  const api = new ApiGatewayManagementApiClient({ ...local, endpoint: env('BENCH_CALLBACK_URL') });
  let errors = 0;
  const ticks = await paced(rate, seconds, async (seq) => {
    const body = JSON.stringify({ type: 'floor', seq, sentAt: now() });
    await Promise.all(Array.from({ length: fanout }, async (_, k) => {
      try {
        await api.send(new PostToConnectionCommand({ ConnectionId: ids[(seq * fanout + k) % ids.length], Data: body }));
      } catch {
        errors++;
      }
    }));
  });
  await settle(ticks * fanout, 10_000);
  api.destroy();
  return phaseResult(ticks * fanout, errors, fanout);
}

/**
 * Server notifications, `rate` PutEvents a second with the detail `detailOf(seq)`, each reaching
 * `framesPerMessage` clients.
 */
async function putEvents(rate: number, seconds: number, detailOf: (seq: number) => object, framesPerMessage: number) {
  startPhase();
  const bus = new EventBridgeClient({ ...local, endpoint: env('BENCH_HTTP_URL') });
  let errors = 0;
  const sent = await paced(rate, seconds, async (seq) => {
    try {
      const out = await bus.send(new PutEventsCommand({
        Entries: [{
          EventBusName: env('BENCH_EVENT_BUS'),
          Source: 'bench.latency',
          DetailType: env('BENCH_DETAIL_TYPE'),
          Detail: JSON.stringify(detailOf(seq)),
        }],
      }));
      if (out.FailedEntryCount) errors++;
    } catch {
      errors++;
    }
  });
  await settle(sent * framesPerMessage, 15_000);
  bus.destroy();
  return phaseResult(sent * framesPerMessage, errors, framesPerMessage);
}

/** Notifications to users: one connection per user, so each reaches exactly one client. */
function publish(rate: number, seconds: number) {
  return putEvents(rate, seconds, (seq) => ({ userId: `bench-user-${seq % sockets.length}`, id: `lat-${phase}-${seq}`, data: { seq, sentAt: now() } }), 1);
}

/** Server notifications to a room: a topic target, reaching every member. */
function room(topic: string, members: number, rate: number, seconds: number) {
  return putEvents(rate, seconds, (seq) => ({ topic, id: `room-${phase}-${seq}`, data: { seq, sentAt: now() } }), members);
}

async function answersSettled(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (pendingAnswers.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** The first `members` clients subscribe to `topic`, each waiting for its answer. */
async function join(topic: string, members: number) {
  if (sockets.length < members) throw new Error(`only ${sockets.length} clients are connected; the room needs ${members}`);
  startPhase();
  sockets.slice(0, members).forEach((ws, i) => request(ws, { action: 'subscribe', topic }, `join-${i}`));
  await answersSettled(30_000);
  if (pendingAnswers.size > 0 || refusals.length > 0) {
    throw new Error(`joining ${topic}: ${pendingAnswers.size} subscribes unanswered, refused: ${refusals.join(', ') || 'none'}`);
  }
  return { type: 'joined', members };
}

/**
 * Client messages: the room's members publish to it in turn (member seq % members), so each
 * user sends rate ÷ members per second. Every other member receives each one (no echo).
 */
async function chat(topic: string, members: number, rate: number, seconds: number) {
  startPhase();
  const sent = await paced(rate, seconds, async (seq) => {
    request(sockets[seq % members], { action: 'publish', topic, data: { seq, sentAt: now() } }, `chat-${seq}`);
  });
  await settle(sent * (members - 1), 15_000);
  await answersSettled(5_000);
  return phaseResult(sent * (members - 1), 0, members - 1);
}

interface Command {
  type: string;
  count?: number;
  concurrency?: number;
  auth?: string;
  ids?: string[];
  rate?: number;
  seconds?: number;
  fanout?: number;
  topic?: string;
  members?: number;
}

process.on('message', (m: Command) => {
  const reply = (p: Promise<object>) => p.then((r) => process.send!(r), (e: Error) => process.send!({ type: 'error', message: e.stack ?? String(e) }));
  switch (m.type) {
    case 'connect':
      reply(connect(m.count!, m.concurrency!, m.auth!));
      break;
    case 'floor':
      reply(floor(m.ids!, m.rate!, m.seconds!, m.fanout));
      break;
    case 'publish':
      reply(publish(m.rate!, m.seconds!));
      break;
    case 'join':
      reply(join(m.topic!, m.members!));
      break;
    case 'chat':
      reply(chat(m.topic!, m.members!, m.rate!, m.seconds!));
      break;
    case 'room':
      reply(room(m.topic!, m.members!, m.rate!, m.seconds!));
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
