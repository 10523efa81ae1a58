/**
 * Benchmark 6: the whole local runtime end to end (npm start's runtime, the same handler
 * bundles): N real `ws` clients connected through the real authorizer, then notifications
 * published with the EventBridge SDK at a steady rate, each to one user, timed from just before
 * PutEvents to the frame arriving at the client (PutEvents → rule → queue → event source mapping →
 * deliver → @connections → gateway → client). Baselines in the same run: the same clients
 * receiving direct @connections posts (the gateway's floor), and connecting to a runtime without
 * an authorizer (the authorizer's share of the connection rate). Then client messages in a room
 * of the same clients (bench/chat-latency.ts), against the same floor.
 */
import { LocalRuntime, startLocalRuntime } from '../local/runtime';
import { ChatFigures, ChatOptions, chatReport, measureChat } from './chat-latency';
import { ClientsProcess, summarise, Summary } from './lib/clients-process';
import { assetsDir } from './lib/handler-run';
import { SectionResult } from './lib/report';
import { CHAT_SETTINGS } from './lib/settings';
import { percentile, ratio, round } from './lib/stats';

export interface LatencyOptions {
  readonly clients: number;
  readonly rate: number;
  readonly seconds: number;
  readonly connectConcurrency: number;
  /** Client messages in a room of the first `chat.members` clients. */
  readonly chat: ChatOptions;
}

interface ConnectResult { connected: number; refused: number; seconds: number; perSecond: number; connectMs: number[] }

const quiet = () => ({ log: () => undefined, handlerLog: () => undefined, ttlSweepIntervalMs: 0, assetsDir: assetsDir() });

export async function benchLatency(o: LatencyOptions): Promise<SectionResult> {
  // With the real authorizer: connect, then the gateway floor, then the whole path, then the room.
  const runtime = await startLocalRuntime({ port: 0, ...quiet(), settings: CHAT_SETTINGS });
  let connect: ConnectResult;
  let floor: Summary;
  let endToEnd: Summary;
  let chat: ChatFigures;
  try {
    const clients = await ClientsProcess.start(runtime);
    try {
      connect = await clients.call<ConnectResult>({ type: 'connect', count: o.clients, concurrency: o.connectConcurrency, auth: 'jwt' }, 'connected');
      if (connect.connected !== o.clients) throw new Error(`only ${connect.connected} of ${o.clients} clients connected`);
      const ids = runtime.registry.ids();
      floor = summarise(await clients.warmAndMeasure({ type: 'floor', ids, rate: o.rate, seconds: o.seconds }));
      endToEnd = summarise(await clients.warmAndMeasure({ type: 'publish', rate: o.rate, seconds: o.seconds }));
      chat = await measureChat(clients, ids, o.chat);
    } finally {
      await clients.stop();
    }
  } finally {
    await runtime.stop();
  }

  // The same connections without an authorizer (ConnectionAuth.none()).
  const open = await startLocalRuntime({ port: 0, ...quiet(), settings: { auth: { mode: 'none' } } });
  let connectNoAuth: ConnectResult;
  try {
    const clients = await ClientsProcess.start(open);
    try {
      connectNoAuth = await clients.call<ConnectResult>({ type: 'connect', count: o.clients, concurrency: o.connectConcurrency, auth: 'none' }, 'connected');
    } finally {
      await clients.stop();
    }
  } finally {
    await open.stop();
  }
  return section(o, connect, connectNoAuth, floor, endToEnd, chat);
}

function section(o: LatencyOptions, connect: ConnectResult, noAuth: ConnectResult, floor: Summary, e2e: Summary, chat: ChatFigures): SectionResult {
  const connectP = (r: ConnectResult, p: number) => round(percentile(r.connectMs, p), 1);
  const room = chatReport(chat, floor);
  return {
    id: 'latency',
    title: '6. Local runtime: publish-to-receive latency and connection rate',
    method: `The local runtime (\`npm start\`'s, the shipped handler bundles) with ${o.clients.toLocaleString('en-US')} real \`ws\` clients in a `
      + `separate process, each a different user connected with a real token through the real authorizer (${o.connectConcurrency} handshakes at a time). `
      + `Then ${o.rate} notifications/s for ${o.seconds} s, each published with the EventBridge SDK to one user (\`{"userId": …}\`), timed from `
      + 'just before PutEvents to the frame reaching the client, after one unmeasured second of warm-up. Baseline: the same clients receiving direct @connections posts at the same rate '
      + '(the gateway\'s floor: HTTP post → gateway → client), and connecting to a runtime without an authorizer. '
      + `Then client messages in a room of the first ${o.chat.members} clients: ${o.chat.messages} messages at ${o.chat.rate}/s, taking turns of a few seconds `
      + 'with server notifications to the same room and with direct posts to as many connections at once (each path after one unmeasured second), in the same runtime.',
    tables: [
      {
        caption: 'Latency (ms):',
        headers: ['Path', 'Sent', 'Received', 'p50', 'p95', 'p99', 'max', 'p50 ÷ floor', 'p99 ÷ floor'],
        rows: [
          ['PutEvents → queue → deliver → @connections → client', e2e.sent, e2e.received, e2e.p50, e2e.p95, e2e.p99, e2e.max, ratio(e2e.p50, floor.p50), ratio(e2e.p99, floor.p99)],
          ['Gateway floor: direct @connections post → client', floor.sent, floor.received, floor.p50, floor.p95, floor.p99, floor.max, 1, 1],
        ],
      },
      room.table,
      {
        caption: 'Connections:',
        headers: ['Runtime', 'Connected', 'Refused', 'Connections/s', 'Handshake p50 (ms)', 'p99 (ms)', 'Rate ratio'],
        rows: [
          ['Real authorizer (JWT, RS256) + $connect', connect.connected, connect.refused, round(connect.perSecond, 0), connectP(connect, 50), connectP(connect, 99), ratio(connect.perSecond, noAuth.perSecond)],
          ['No authorizer (baseline)', noAuth.connected, noAuth.refused, round(noAuth.perSecond, 0), connectP(noAuth, 50), connectP(noAuth, 99), 1],
        ],
      },
    ],
    notes: [
      'The local runtime is one Node.js process (handlers in worker threads, the event source mapping polling as soon as a message arrives); '
        + 'in AWS, EventBridge, SQS polling and Lambda add their own latency, typically tens of milliseconds more, so these figures compare the code paths, not AWS.',
      `Lost notifications: ${e2e.sent - e2e.received} of ${e2e.sent} (errors on publish: ${e2e.errors}).`,
      'API Gateway itself accepts 500 new connections per second per account: the local rate is about the handlers, not about that quota.',
      ...room.notes,
    ],
    targets: [room.target],
    headlines: [{
      figure: `Publish-to-receive latency, ${o.clients.toLocaleString('en-US')} clients, ${o.rate}/s (local runtime)`,
      measured: `p50 ${e2e.p50} ms, p99 ${e2e.p99} ms`,
      baseline: `gateway floor: p50 ${floor.p50} ms, p99 ${floor.p99} ms`,
      ratio: `${ratio(e2e.p50, floor.p50)} (p50), ${ratio(e2e.p99, floor.p99)} (p99)`,
    }, room.headline, {
      figure: 'Connections established per second, real authorizer (local runtime)',
      measured: `${round(connect.perSecond, 0)}/s`,
      baseline: `no authorizer: ${round(noAuth.perSecond, 0)}/s`,
      ratio: ratio(connect.perSecond, noAuth.perSecond),
    }],
    data: { options: o, endToEnd: e2e, floor, chat, connect: { ...connect, connectMs: undefined, p50: connectP(connect, 50), p99: connectP(connect, 99) }, connectNoAuth: { ...noAuth, connectMs: undefined, p50: connectP(noAuth, 50), p99: connectP(noAuth, 99) } },
  };
}
