/**
 * Benchmark 6: the whole local runtime end to end (npm start's runtime, the same handler
 * bundles): N real `ws` clients connected through the real authorizer, then notifications
 * published with the EventBridge SDK at a steady rate, each to one user, timed from just before
 * PutEvents to the frame arriving at the client (PutEvents → rule → queue → event source mapping →
 * deliver → @connections → gateway → client). Baselines in the same run: the same clients
 * receiving direct @connections posts (the gateway's floor), and connecting to a runtime without
 * an authorizer (the authorizer's share of the connection rate).
 */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { LocalRuntime, startLocalRuntime } from '../local/runtime';
import { assetsDir } from './lib/handler-run';
import { SectionResult } from './lib/report';
import { percentile, ratio, round } from './lib/stats';

export interface LatencyOptions {
  readonly clients: number;
  readonly rate: number;
  readonly seconds: number;
  readonly connectConcurrency: number;
}

interface ConnectResult { connected: number; refused: number; seconds: number; perSecond: number; connectMs: number[] }
interface LatencyResult { sent: number; received: number; errors: number; samples: number[] }

interface Summary {
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

function summarise(r: LatencyResult): Summary {
  return {
    sent: r.sent,
    received: r.received,
    errors: r.errors,
    p50: round(percentile(r.samples, 50), 1),
    p95: round(percentile(r.samples, 95), 1),
    p99: round(percentile(r.samples, 99), 1),
    max: round(Math.max(...r.samples), 1),
  };
}

class ClientsProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(runtime: LocalRuntime): Promise<ClientsProcess> {
    const child = fork(join(__dirname, 'probes', 'ws-clients.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        BENCH_WS_URL: runtime.wsUrl,
        BENCH_HTTP_URL: runtime.url,
        BENCH_CALLBACK_URL: runtime.callbackUrl,
        BENCH_EVENT_BUS: runtime.eventBusName,
        BENCH_DETAIL_TYPE: runtime.settings.detailType,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const clients = new ClientsProcess(child);
    await clients.next('ready');
    return clients;
  }

  next<T>(type: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type === 'error') {
          cleanup();
          reject(new Error(`the clients process failed: ${m.message}`));
        } else if (m.type === type) {
          cleanup();
          resolve(m as T);
        }
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`the clients process exited with ${code}`));
      };
      const cleanup = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  async call<T>(message: object, answer: string): Promise<T> {
    const reply = this.next<T>(answer);
    this.child.send(message);
    return reply;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.call({ type: 'close' }, 'closed'), new Promise((r) => setTimeout(r, 5_000))]);
    } finally {
      this.child.kill();
    }
  }
}

const quiet = () => ({ log: () => undefined, handlerLog: () => undefined, ttlSweepIntervalMs: 0, assetsDir: assetsDir() });

export async function benchLatency(o: LatencyOptions): Promise<SectionResult> {
  // With the real authorizer: connect, then the gateway floor, then the whole path.
  const runtime = await startLocalRuntime({ port: 0, ...quiet() });
  let connect: ConnectResult;
  let floor: Summary;
  let endToEnd: Summary;
  try {
    const clients = await ClientsProcess.start(runtime);
    try {
      connect = await clients.call<ConnectResult>({ type: 'connect', count: o.clients, concurrency: o.connectConcurrency, auth: 'jwt' }, 'connected');
      if (connect.connected !== o.clients) throw new Error(`only ${connect.connected} of ${o.clients} clients connected`);
      const ids = runtime.registry.ids();
      // One unmeasured second of each first: the deliver function's cold start and the first
      // sockets are real, but they are not the steady state this measures.
      await clients.call<LatencyResult>({ type: 'floor', ids, rate: o.rate, seconds: 1 }, 'latency');
      floor = summarise(await clients.call<LatencyResult>({ type: 'floor', ids, rate: o.rate, seconds: o.seconds }, 'latency'));
      await clients.call<LatencyResult>({ type: 'publish', rate: o.rate, seconds: 1 }, 'latency');
      endToEnd = summarise(await clients.call<LatencyResult>({ type: 'publish', rate: o.rate, seconds: o.seconds }, 'latency'));
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
  return section(o, connect, connectNoAuth, floor, endToEnd);
}

function section(o: LatencyOptions, connect: ConnectResult, noAuth: ConnectResult, floor: Summary, e2e: Summary): SectionResult {
  const connectP = (r: ConnectResult, p: number) => round(percentile(r.connectMs, p), 1);
  return {
    id: 'latency',
    title: '6. Local runtime: publish-to-receive latency and connection rate',
    method: `The local runtime (\`npm start\`'s, the shipped handler bundles) with ${o.clients.toLocaleString('en-US')} real \`ws\` clients in a `
      + `separate process, each a different user connected with a real token through the real authorizer (${o.connectConcurrency} handshakes at a time). `
      + `Then ${o.rate} notifications/s for ${o.seconds} s, each published with the EventBridge SDK to one user (\`{"userId": …}\`), timed from `
      + 'just before PutEvents to the frame reaching the client, after one unmeasured second of warm-up. Baseline: the same clients receiving direct @connections posts at the same rate '
      + '(the gateway\'s floor: HTTP post → gateway → client), and connecting to a runtime without an authorizer.',
    tables: [
      {
        caption: 'Latency (ms):',
        headers: ['Path', 'Sent', 'Received', 'p50', 'p95', 'p99', 'max', 'p50 ÷ floor', 'p99 ÷ floor'],
        rows: [
          ['PutEvents → queue → deliver → @connections → client', e2e.sent, e2e.received, e2e.p50, e2e.p95, e2e.p99, e2e.max, ratio(e2e.p50, floor.p50), ratio(e2e.p99, floor.p99)],
          ['Gateway floor: direct @connections post → client', floor.sent, floor.received, floor.p50, floor.p95, floor.p99, floor.max, 1, 1],
        ],
      },
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
    ],
    targets: [],
    headlines: [{
      figure: `Publish-to-receive latency, ${o.clients.toLocaleString('en-US')} clients, ${o.rate}/s (local runtime)`,
      measured: `p50 ${e2e.p50} ms, p99 ${e2e.p99} ms`,
      baseline: `gateway floor: p50 ${floor.p50} ms, p99 ${floor.p99} ms`,
      ratio: `${ratio(e2e.p50, floor.p50)} (p50), ${ratio(e2e.p99, floor.p99)} (p99)`,
    }, {
      figure: 'Connections established per second, real authorizer (local runtime)',
      measured: `${round(connect.perSecond, 0)}/s`,
      baseline: `no authorizer: ${round(noAuth.perSecond, 0)}/s`,
      ratio: ratio(connect.perSecond, noAuth.perSecond),
    }],
    data: { options: o, endToEnd: e2e, floor, connect: { ...connect, connectMs: undefined, p50: connectP(connect, 50), p99: connectP(connect, 99) }, connectNoAuth: { ...noAuth, connectMs: undefined, p50: connectP(noAuth, 50), p99: connectP(noAuth, 99) } },
  };
}
