/**
 * Benchmark 8: catching up after a reconnect. A client was away while 100 notifications of 1 KB
 * went to a topic with history (or to its user: the offline inbox); it reconnects and asks for
 * what it missed.
 *
 * - Time, through the local runtime (npm start's, the shipped bundles; backends publish with the
 *   EventBridge SDK; a real `ws` client with a real token): from the start of the handshake to
 *   the answer with `recovered: true`, which comes after the 100 replayed frames. Baseline: the
 *   same reconnect with a plain subscribe (no `since`), interleaved round by round. Once with the
 *   runtime's @connections API as it is, once with every post held for the latency the delivery
 *   benchmarks inject (the replay posts one frame at a time, in order).
 * - Read units, with the capacity machinery of benchmark 2: the message bundle answering the same
 *   requests through the recording proxy, beside a plain Query of the same 100 kept rows.
 */
import { QueryCommand, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { streamHeadKey, topicStream, userStream } from '../lambda/stores/keys';
import { Tables, TOKEN_QUERY_PARAMETER } from '../lib/private/runtime-contract';
import { ConnectionRegistry, startConnectionsApi } from '../local/connections-api';
import { startLocalRuntime } from '../local/runtime';
import { ActionCapacity, describeCalls, frame, measureAction } from './capacity';
import { summariseCapacity, CapacitySummary } from './lib/capacity-model';
import { DynamoFixture, startDynamoFixture } from './lib/dynamo-fixture';
import { events, KILOBYTE_FRAME, notificationEventBody, sizedNotification, sqsEvent } from './lib/events';
import { assetsDir, runHandler } from './lib/handler-run';
import { SectionResult } from './lib/report';
import { BENCH_TABLES, benchSettings, lambdaProcessEnv } from './lib/settings';
import { percentile, ratio, round } from './lib/stats';

/** Read units per replayed notification (1 KB notifications). */
export const RCU_PER_REPLAYED_TARGET = 0.15;

export interface ResumeOptions {
  /** Notifications missed on each stream (at most maxReplay, 100 by default). */
  readonly missed: number;
  /** Reconnects of each kind, interleaved, after one unmeasured round. */
  readonly rounds: number;
  /** Connections per action in the capacity runs. */
  readonly connections: number;
  /** The latency injected into every @connections post in the second runtime. */
  readonly postLatencyMs: number;
}

const TOPIC = 'kept/resume';
const USER = 'resume-user';
const RUNTIME_SETTINGS = { historyRules: ['kept/*'] };
const KINDS = {
  subscribeSince: `subscribe with since: ${TOPIC}`,
  resumeSince: 'resume with since: the user\'s own stream',
  subscribe: 'plain subscribe, no since (baseline)',
} as const;
type Kind = keyof typeof KINDS;

interface Timing {
  readonly kind: Kind;
  readonly handshakeMs: number[];
  readonly totalMs: number[];
  /** Mean size of the replayed frames, as they arrived. */
  readonly frameBytes: number;
}

interface LatencyRun {
  readonly postLatencyMs: number;
  readonly timings: Timing[];
}

interface CapacityFigures {
  readonly actions: ActionCapacity[];
  readonly plainQuery: { readonly rows: number; readonly readUnits: number; readonly summary: CapacitySummary };
}

export async function benchResume(o: ResumeOptions): Promise<SectionResult> {
  const runs = [await measureLatency(o, 0), await measureLatency(o, o.postLatencyMs)];
  const capacity = await measureCapacity(o);
  return section(o, runs, capacity);
}

/** Publishes `missed` 1 KB notifications to the topic and to the user, through PutEvents, 10 per call. */
async function publishMissed(url: string, busName: string, detailType: string, missed: number): Promise<void> {
  const bus = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: url });
  try {
    const details = Array.from({ length: missed }, (_, i) => [sizedNotification({ topic: TOPIC }, `t-${i}`), sizedNotification({ userId: USER }, `u-${i}`)]).flat();
    for (let i = 0; i < details.length; i += 10) {
      const out = await bus.send(new PutEventsCommand({
        Entries: details.slice(i, i + 10).map((d) => ({ EventBusName: busName, Source: 'bench.resume', DetailType: detailType, Detail: JSON.stringify(d) })),
      }));
      if (out.FailedEntryCount) throw new Error(`PutEvents refused ${out.FailedEntryCount} notifications`);
    }
  } finally {
    bus.destroy();
  }
}

async function measureLatency(o: ResumeOptions, postLatencyMs: number): Promise<LatencyRun> {
  const runtime = await startLocalRuntime({
    port: 0, log: () => undefined, handlerLog: () => undefined, ttlSweepIntervalMs: 0, assetsDir: assetsDir(), settings: RUNTIME_SETTINGS,
    ...(postLatencyMs > 0 ? { connectionsFaults: (method: string) => (method === 'POST' ? { delayMs: postLatencyMs } : undefined) } : {}),
  });
  try {
    await publishMissed(runtime.url, runtime.eventBusName, runtime.settings.detailType, o.missed);
    await runtime.drained();
    if (runtime.deadLetters().length > 0) throw new Error(`${runtime.deadLetters().length} notifications were dead-lettered while publishing the missed ones`);
    const url = `${runtime.wsUrl}?${TOKEN_QUERY_PARAMETER}=${encodeURIComponent(await runtime.token(USER))}`;
    const disconnected = async () => {
      for (let i = 0; i < 500 && runtime.registry.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    };
    // The positions to catch up from: where each stream was before the missed notifications.
    const topicStart = (await reconnect(url, { action: 'subscribe', topic: TOPIC }, 0)).answer;
    await disconnected();
    const userStart = (await reconnect(url, { action: 'resume' }, 0)).answer;
    await disconnected();
    for (const start of [topicStart, userStart]) {
      if (start.seq !== o.missed) throw new Error(`the stream is at ${JSON.stringify(start)}, not at seq ${o.missed}`);
    }
    const requests: Record<Kind, { request: object; replayed: number }> = {
      subscribeSince: { request: { action: 'subscribe', topic: TOPIC, since: { epoch: topicStart.epoch, seq: 0 } }, replayed: o.missed },
      resumeSince: { request: { action: 'resume', since: { epoch: userStart.epoch, seq: 0 } }, replayed: o.missed },
      subscribe: { request: { action: 'subscribe', topic: TOPIC }, replayed: 0 },
    };
    const kinds = Object.keys(KINDS) as Kind[];
    const samples = new Map(kinds.map((k) => [k, { handshakeMs: [] as number[], totalMs: [] as number[], frameBytes: [] as number[] }]));
    // One unmeasured round, then the kinds take turns, each round in another order.
    for (let r = 0; r <= o.rounds; r++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + r) % kinds.length];
        const { request, replayed } = requests[kind];
        const out = await reconnect(url, request, replayed);
        await disconnected();
        if (r === 0) continue;
        const s = samples.get(kind)!;
        s.handshakeMs.push(out.handshakeMs);
        s.totalMs.push(out.totalMs);
        s.frameBytes.push(...out.frameBytes);
      }
    }
    return {
      postLatencyMs,
      timings: kinds.map((kind) => {
        const s = samples.get(kind)!;
        return { kind, handshakeMs: s.handshakeMs, totalMs: s.totalMs, frameBytes: s.frameBytes.length > 0 ? round(s.frameBytes.reduce((a, b) => a + b, 0) / s.frameBytes.length, 0) : 0 };
      }),
    };
  } finally {
    await runtime.stop();
  }
}

interface Reconnect {
  readonly handshakeMs: number;
  /** From the start of the handshake to the answer (after the replayed frames). */
  readonly totalMs: number;
  readonly answer: Record<string, unknown>;
  readonly frameBytes: number[];
}

/**
 * Opens a connection, sends `request` once it is open, and waits for its answer; checks that the
 * `replayed` notifications came first, in stream order, and that the answer says recovered.
 */
async function reconnect(url: string, request: object, replayed: number): Promise<Reconnect> {
  const started = performance.now();
  const ws = new WebSocket(url);
  const notifications: Array<{ seq?: number; bytes: number }> = [];
  let opened = 0;
  try {
    const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(request)} within 30 s`)), 30_000);
      ws.once('open', () => {
        opened = performance.now();
        ws.send(JSON.stringify({ ...request, requestId: 'catch-up' }));
      });
      ws.on('message', (data) => {
        const text = String(data);
        const f = JSON.parse(text) as Record<string, unknown>;
        if (f.type === 'notification') notifications.push({ seq: f.seq as number | undefined, bytes: Buffer.byteLength(text) });
        if (f.requestId !== 'catch-up') return;
        clearTimeout(timer);
        resolve(f);
      });
      ws.once('error', (error) => { clearTimeout(timer); reject(error); });
      ws.once('close', (code) => { clearTimeout(timer); reject(new Error(`the connection closed (${code}) before the answer to ${JSON.stringify(request)}`)); });
    });
    const totalMs = performance.now() - started;
    if (answer.type === 'error') throw new Error(`${JSON.stringify(request)} was refused: ${JSON.stringify(answer)}`);
    if (replayed > 0 && answer.recovered !== true) throw new Error(`${JSON.stringify(request)} answered ${JSON.stringify(answer)}, not recovered`);
    const seqs = notifications.map((n) => n.seq);
    if (seqs.length !== replayed || seqs.some((seq, i) => seq !== i + 1)) {
      throw new Error(`${JSON.stringify(request)} replayed seqs ${JSON.stringify(seqs)} before its answer; expected 1..${replayed}`);
    }
    return { handshakeMs: opened - started, totalMs, answer, frameBytes: notifications.map((n) => n.bytes) };
  } finally {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close(1000, 'done');
      await closed;
    }
  }
}

/**
 * The message bundle answering the same requests through the recording proxy, each action over
 * its own connections (all of the one user), after the real deliver bundle kept the missed
 * notifications; the replayed frames go to a local @connections API that counts them.
 */
async function measureCapacity(o: ResumeOptions): Promise<CapacityFigures> {
  const fixture = await startDynamoFixture();
  const received = new Map<string, number>();
  const registry = new ConnectionRegistry();
  const api = await startConnectionsApi({ registry });
  try {
    // Every connection is the one user's: the per-user limit is raised to hold them all.
    const settings = benchSettings({ ...RUNTIME_SETTINGS, callbackUrl: api.endpoint, 'connections.maxPerUser': 4 * o.connections });
    const env = (h: 'deliver' | 'connect' | 'message') => lambdaProcessEnv(h, settings, { dynamodb: fixture.proxy.endpoint });
    // The missed notifications, kept by deliver as the queue hands them over (10 per batch); nobody is connected.
    const bodies = Array.from({ length: o.missed }, (_, i) => [sizedNotification({ topic: TOPIC }, `t-${i}`), sizedNotification({ userId: USER }, `u-${i}`)])
      .flat().map((d) => notificationEventBody(d));
    const plan = Array.from({ length: Math.ceil(bodies.length / 10) }, (_, b) => sqsEvent(bodies.slice(b * 10, b * 10 + 10)));
    const kept = await runHandler<{ batchItemFailures?: unknown[] }>('deliver', plan, env('deliver'));
    if (kept.results.some((r) => (r?.batchItemFailures?.length ?? 0) > 0)) throw new Error('deliver could not keep the missed notifications');

    const groups = ['subscribe', 'subscribeSince', 'resume', 'resumeSince'] as const;
    const idsOf = Object.fromEntries(groups.map((g, k) => [g, Array.from({ length: o.connections }, (_, i) => `${'pqrs'[k]}${String(i).padStart(14, '0')}=`)])) as Record<typeof groups[number], string[]>;
    const all = Object.values(idsOf).flat();
    const now = new Date();
    for (const connectionId of all) {
      registry.add({ connectionId, connectedAt: now, lastActiveAt: now, sourceIp: '127.0.0.1', send: () => received.set(connectionId, (received.get(connectionId) ?? 0) + 1), close() {} });
    }
    const connected = await runHandler<{ statusCode?: number }>('connect', all.map((id) => events.connect(id, USER)), env('connect'));
    if (connected.results.some((r) => r?.statusCode !== 200)) throw new Error('a connection of the resume benchmark could not connect');

    const topicHead = await headOf(fixture, topicStream(TOPIC));
    const userHead = await headOf(fixture, userStream(USER));
    for (const head of [topicHead, userHead]) {
      if (head.seq !== o.missed) throw new Error(`a stream is at seq ${head.seq} after keeping ${o.missed} notifications`);
    }
    const since = (epoch: string) => ({ epoch, seq: 0 });
    const ask = (group: typeof groups[number], request: object) => idsOf[group].map((id) => events.message(id, USER, request));
    const atHead = (type: string, recovered?: boolean) => (r: { body?: string }) => {
      const f = frame(r);
      return f.type === type && f.seq === o.missed && (recovered === undefined || f.recovered === recovered);
    };
    const actions: ActionCapacity[] = [];
    const measure = async (action: string, group: typeof groups[number], request: object, check: (r: { body?: string }) => boolean) => {
      actions.push(await measureAction(fixture, action, 'message', ask(group, request), env('message'), check));
      const replayed = group.endsWith('Since') ? o.missed : 0;
      const wrong = idsOf[group].filter((id) => (received.get(id) ?? 0) !== replayed);
      if (wrong.length > 0) throw new Error(`${action}: ${wrong.length} connections did not get exactly ${replayed} replayed frames`);
    };
    await measure(capacityAction('subscribe', o.missed), 'subscribe', { action: 'subscribe', topic: TOPIC }, atHead('subscribed'));
    await measure(capacityAction('subscribeSince', o.missed), 'subscribeSince', { action: 'subscribe', topic: TOPIC, since: since(topicHead.epoch) }, atHead('subscribed', true));
    await measure(capacityAction('resume', o.missed), 'resume', { action: 'resume' }, atHead('resumed', false));
    await measure(capacityAction('resumeSince', o.missed), 'resumeSince', { action: 'resume', since: since(userHead.epoch) }, atHead('resumed', true));
    return { actions, plainQuery: await plainQuery(fixture, topicStream(TOPIC), o.missed) };
  } finally {
    await api.close();
    await fixture.stop();
  }
}

function capacityAction(group: 'subscribe' | 'subscribeSince' | 'resume' | 'resumeSince', missed: number): string {
  switch (group) {
    case 'subscribe': return 'subscribe, no since (baseline)';
    case 'subscribeSince': return `subscribe with since, ${missed} missed (topic)`;
    case 'resume': return 'resume, no since (baseline)';
    case 'resumeSince': return `resume with since, ${missed} missed (own stream)`;
  }
}

async function headOf(fixture: DynamoFixture, stream: string): Promise<{ seq: number; epoch: string }> {
  const doc = DynamoDBDocumentClient.from(fixture.dynamo.client);
  const { Item } = await doc.send(new GetCommand({ TableName: BENCH_TABLES.countersTable, Key: streamHeadKey(stream), ConsistentRead: true }));
  if (Item?.epoch === undefined) throw new Error(`the stream ${stream} has no head`);
  return { seq: Number(Item.last), epoch: String(Item.epoch) };
}

/** The same kept rows read back by one eventually consistent Query (paged as DynamoDB pages it), through the proxy. */
async function plainQuery(fixture: DynamoFixture, stream: string, rows: number): Promise<CapacityFigures['plainQuery']> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const viaProxy = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: fixture.proxy.endpoint });
  const H = Tables.history;
  const mark = fixture.proxy.capacity.length;
  let read = 0;
  try {
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page: QueryCommandOutput = await viaProxy.send(new QueryCommand({
        TableName: BENCH_TABLES.historyTable,
        KeyConditionExpression: '#stream = :stream AND #seq > :from',
        ExpressionAttributeNames: { '#stream': H.partitionKey, '#seq': H.sortKey },
        ExpressionAttributeValues: { ':stream': { S: stream }, ':from': { N: '0' } },
        Limit: rows - read,
        ExclusiveStartKey: start,
      }));
      read += page.Items?.length ?? 0;
      start = page.LastEvaluatedKey;
    } while (start !== undefined && read < rows);
  } finally {
    viaProxy.destroy();
  }
  if (read !== rows) throw new Error(`the plain Query read ${read} of ${rows} kept notifications`);
  const summary = summariseCapacity(fixture.proxy.capacity.slice(mark), fixture.tables, fixture.addIndexWrites);
  return { rows: read, readUnits: summary.readUnits, summary };
}

function section(o: ResumeOptions, runs: LatencyRun[], capacity: CapacityFigures): SectionResult {
  const p = (xs: number[], q: number) => round(percentile(xs, q), 1);
  const fmt = (x: number) => round(x, 4);
  const [plainRun, slowRun] = runs;
  const timing = (run: LatencyRun, kind: Kind) => run.timings.find((t) => t.kind === kind)!;
  const latencyRows = runs.flatMap((run) => {
    const base = timing(run, 'subscribe');
    const where = run.postLatencyMs > 0 ? `posts held ${run.postLatencyMs} ms` : 'runtime as it is';
    return (Object.keys(KINDS) as Kind[]).map((kind) => {
      const t = timing(run, kind);
      return [where, KINDS[kind], t.totalMs.length, kind === 'subscribe' ? 0 : o.missed, t.frameBytes || 'n/a', p(t.handshakeMs, 50),
        p(t.totalMs, 50), p(t.totalMs, 99), round(Math.max(...t.totalMs), 1), ratio(percentile(t.totalMs, 50), percentile(base.totalMs, 50)), ratio(percentile(t.totalMs, 99), percentile(base.totalMs, 99))];
    });
  });
  const action = (group: Parameters<typeof capacityAction>[0]) => capacity.actions.find((a) => a.action === capacityAction(group, o.missed))!;
  const perReplayed = (a: ActionCapacity) => a.readUnitsPer / o.missed;
  const queryPer = capacity.plainQuery.readUnits / capacity.plainQuery.rows;
  const subscribeSince = action('subscribeSince');
  const resumeSince = action('resumeSince');
  const worst = Math.max(perReplayed(subscribeSince), perReplayed(resumeSince));
  const since = timing(plainRun, 'subscribeSince');
  const base = timing(plainRun, 'subscribe');
  const slowSince = timing(slowRun, 'subscribeSince');
  const slowBase = timing(slowRun, 'subscribe');
  return {
    id: 'resume',
    title: '8. Stream history: catching up after a reconnect',
    method: `${o.missed} notifications of 1 KB (frames of ${KILOBYTE_FRAME.toLocaleString('en-US')} bytes as posted) go to the topic \`${TOPIC}\` (historyRules \`kept/*\`) and to the user `
      + `\`${USER}\` (their own stream; history.userStreams is on by default) while the user has no connection open, published with the EventBridge SDK through the local runtime `
      + '(`npm start`\'s, the shipped bundles). Then a real `ws` client reconnects with a real token and asks for what it missed: `subscribe` with `since` (the topic) '
      + `or \`resume\` with \`since\` (its own stream). Timed from the start of the handshake to the answer with \`recovered: true\`, which arrives after the ${o.missed} replayed frames; `
      + `each run is checked to replay exactly seq 1..${o.missed} in order. Baseline: the same reconnect with a plain subscribe (no since). ${o.rounds} rounds after one unmeasured one, `
      + 'the three kinds taking turns in a rotating order; the client runs in the benchmark process. Twice: with the runtime\'s @connections API as it is, and with every post '
      + `held ${slowRun.postLatencyMs} ms as the delivery benchmarks hold them. Read units: the message bundle answering the same requests (${o.connections} of each, each on its own `
      + 'connection) against the embedded DynamoDB through the recording proxy of benchmark 2, after the real deliver bundle kept the notifications; baseline: one plain '
      + `eventually consistent Query reading the same ${o.missed} kept rows.`,
    tables: [
      {
        caption: `Reconnect to caught up (ms), ${o.missed} missed notifications of 1 KB:`,
        headers: ['@connections', 'Request', 'Rounds', 'Replayed', 'Replayed frame (bytes)', 'Handshake p50', 'To answer p50', 'p99', 'max', 'p50 ÷ plain subscribe', 'p99 ÷ plain subscribe'],
        rows: latencyRows,
      },
      {
        caption: `DynamoDB units per request (${o.connections} requests each):`,
        headers: ['Request', 'RCU per request', 'WCU per request', 'RCU per replayed notification', 'Ratio to the plain Query', 'Calls per request'],
        rows: [
          ...capacity.actions.map((a) => {
            const replays = a.action.includes('with since');
            return [a.action, fmt(a.readUnitsPer), fmt(a.writeUnitsPer), replays ? fmt(perReplayed(a)) : 'n/a', replays ? ratio(perReplayed(a), queryPer) : 'n/a', describeCalls(a.summary, a.count)];
          }),
          [`plain Query of the same ${capacity.plainQuery.rows} kept rows (baseline)`, fmt(capacity.plainQuery.readUnits), 0, fmt(queryPer), 1, describeCalls(capacity.plainQuery.summary, 1)],
        ],
      },
    ],
    notes: [
      'The replay posts the missed frames one at a time, in stream order, before the answer: in AWS each @connections post takes a few to tens of milliseconds, '
        + `so the time to catch up grows with the missed notifications times the post latency. With posts held ${slowRun.postLatencyMs} ms here, `
        + `${o.missed} replayed frames took ${p(slowSince.totalMs, 50)} ms (p50), ${ratio(percentile(slowSince.totalMs, 50), o.missed * slowRun.postLatencyMs)}× ${o.missed} × ${slowRun.postLatencyMs} ms.`,
      `Read units per replayed notification are the whole request's reads divided by the ${o.missed} notifications it replayed: the stream head (one strongly consistent GetItem) and `
        + 'the subscribe\'s own reads included. The kept rows are read eventually consistent first (half the units); a consistent read follows only when the newest positions are not kept yet.',
      `DynamoDB bills a Query by the total size of the items it reads, rounded up to 4 KB, at 0.5 RCU per 4 KB eventually consistent: rows of a 1 KB frame and their keys cost ${fmt(queryPer)} RCU each, whoever reads them; `
        + `the replay adds the stream head (${fmt(perReplayed(subscribeSince) - queryPer)} RCU per notification at ${o.missed}), a share that shrinks as more are missed.`,
    ],
    targets: [{
      name: `Read units per replayed notification (1 KB notifications, ${o.missed} missed)`,
      target: `≤ ${RCU_PER_REPLAYED_TARGET} RCU`,
      measured: `${fmt(perReplayed(subscribeSince))} RCU (topic), ${fmt(perReplayed(resumeSince))} RCU (own stream); plain Query ${fmt(queryPer)}`,
      met: worst <= RCU_PER_REPLAYED_TARGET,
      ...(worst > RCU_PER_REPLAYED_TARGET ? { note: `over by ${fmt(worst - RCU_PER_REPLAYED_TARGET)} RCU; reading the rows alone costs ${fmt(queryPer)} RCU each.` } : {}),
    }],
    headlines: [
      {
        figure: `Reconnect and catch up on ${o.missed} missed 1 KB notifications (local runtime)`,
        measured: `p50 ${p(since.totalMs, 50)} ms, p99 ${p(since.totalMs, 99)} ms; posts held ${slowRun.postLatencyMs} ms: p50 ${p(slowSince.totalMs, 50)} ms`,
        baseline: `plain subscribe: p50 ${p(base.totalMs, 50)} ms, p99 ${p(base.totalMs, 99)} ms; posts held: p50 ${p(slowBase.totalMs, 50)} ms`,
        ratio: `${ratio(percentile(since.totalMs, 50), percentile(base.totalMs, 50))} (p50), ${ratio(percentile(since.totalMs, 99), percentile(base.totalMs, 99))} (p99)`,
      },
      {
        figure: 'Read units per replayed 1 KB notification',
        measured: `${fmt(perReplayed(subscribeSince))} RCU`,
        baseline: `plain Query of the same rows: ${fmt(queryPer)} RCU`,
        ratio: ratio(perReplayed(subscribeSince), queryPer),
      },
    ],
    data: { options: o, latency: runs, capacity },
  };
}
