/** Starts bench/probes/connections-server.ts in its own process and talks to it. */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface ServerStats {
  readonly posts: number;
  readonly maxInFlight: number;
  /** Connections that received at least one frame. */
  readonly distinct: number;
  readonly duplicates: number;
  readonly frames: number;
  readonly frameBytes: number;
  readonly firstPostAt: number;
  readonly lastPostAt: number;
  readonly rssBytes: number;
}

export interface ConnectionsProcess {
  readonly endpoint: string;
  register(ids: readonly string[]): Promise<void>;
  unregister(ids: readonly string[]): Promise<void>;
  stats(): Promise<ServerStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startConnectionsProcess(latencyMs: number): Promise<ConnectionsProcess> {
  const child: ChildProcess = fork(join(__dirname, '..', 'probes', 'connections-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: string) => new Promise<any>((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number) => reject(new Error(`the @connections server process exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  const { endpoint } = await next('ready');
  const call = async (message: object, answer: string) => {
    const reply = next(answer);
    child.send(message);
    return reply;
  };
  return {
    endpoint,
    register: async (ids) => {
      // IPC messages stay small: register in chunks.
      for (let i = 0; i < ids.length; i += 10_000) await call({ type: 'register', ids: ids.slice(i, i + 10_000) }, 'registered');
    },
    unregister: async (ids) => {
      for (let i = 0; i < ids.length; i += 10_000) await call({ type: 'unregister', ids: ids.slice(i, i + 10_000) }, 'unregistered');
    },
    stats: () => call({ type: 'stats' }, 'stats'),
    reset: async () => { await call({ type: 'reset' }, 'reset'); },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill();
    },
  };
}
