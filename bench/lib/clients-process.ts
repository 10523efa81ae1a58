/**
 * The client side of the local-runtime latency benchmarks (bench/probes/ws-clients.ts) as a
 * child process driven over IPC, and the summary of the latencies it reports.
 */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime';
import { percentile, round } from './stats';

/** What one latency phase of the probe reports. */
export interface LatencyResult {
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
  /** Each frame's latency (ms), from just before it was sent to its arrival. */
  readonly samples: number[];
  /** Per message of a fan-out phase that reached every receiver: its last frame's latency. */
  readonly lastFrameMs: number[];
  /** Client requests: time to their answer (`published`, `subscribed`). */
  readonly answerMs: number[];
  /** Error codes of refused client requests. */
  readonly refusals: string[];
  readonly unanswered: number;
}

export interface Summary {
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Percentiles of `samples` (defaults to every frame's latency), with the phase's counts. */
export function summarise(r: LatencyResult, samples: readonly number[] = r.samples): Summary {
  return {
    sent: r.sent,
    received: r.received,
    errors: r.errors,
    p50: round(percentile(samples, 50), 1),
    p95: round(percentile(samples, 95), 1),
    p99: round(percentile(samples, 99), 1),
    max: round(samples.length > 0 ? Math.max(...samples) : Number.NaN, 1),
  };
}

export class ClientsProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(runtime: LocalRuntime): Promise<ClientsProcess> {
    const child = fork(join(__dirname, '..', 'probes', 'ws-clients.ts'), [], {
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

  /** One latency phase, after one unmeasured second of the same (cold starts and first sockets are not the steady state). */
  async warmAndMeasure(phase: Record<string, unknown> & { rate: number; seconds: number }): Promise<LatencyResult> {
    await this.call<LatencyResult>({ ...phase, seconds: 1 }, 'latency');
    return this.call<LatencyResult>(phase, 'latency');
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.call({ type: 'close' }, 'closed'), new Promise((r) => setTimeout(r, 5_000))]);
    } finally {
      this.child.kill();
    }
  }
}
