/**
 * The @connections API (local/connections-api.ts) in a process of its own, so that the
 * deliver process under measurement has a core to itself. Every post is held for the injected
 * latency, then lands in a fake connection that only counts frames. Driven over IPC:
 *   { type: 'register', ids }     adds live connections
 *   { type: 'unregister', ids }   removes them (posts to them then answer 410)
 *   { type: 'stats' }             answers { type: 'stats', … }
 *   { type: 'reset' }             clears the counts
 */
import { ConnectionRegistry, LocalConnection, startConnectionsApi } from '../../local/connections-api';

const delayMs = Number(process.env.BENCH_LATENCY_MS ?? '10');

const frames = new Map<string, number>();
let posts = 0;
let inFlight = 0;
let maxInFlight = 0;
let firstPostAt = 0;
let lastPostAt = 0;
let frameBytes = 0;

function sink(connectionId: string): LocalConnection {
  const now = new Date();
  return {
    connectionId,
    connectedAt: now,
    lastActiveAt: now,
    sourceIp: '127.0.0.1',
    send(data: string) {
      frames.set(connectionId, (frames.get(connectionId) ?? 0) + 1);
      frameBytes = data.length;
      lastPostAt = Date.now();
    },
    close() {},
  };
}

async function main(): Promise<void> {
  const registry = new ConnectionRegistry();
  const api = await startConnectionsApi({
    registry,
    faults: (method) => {
      if (method !== 'POST') return undefined;
      posts++;
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      if (firstPostAt === 0) firstPostAt = Date.now();
      return delayMs > 0 ? { delayMs } : undefined;
    },
    onRequest: (method) => {
      if (method === 'POST') inFlight--;
    },
  });
  process.on('message', (message: { type: string; ids?: string[] }) => {
    switch (message.type) {
      case 'register':
        for (const id of message.ids ?? []) registry.add(sink(id));
        process.send!({ type: 'registered', size: registry.size });
        break;
      case 'unregister':
        for (const id of message.ids ?? []) registry.remove(id);
        process.send!({ type: 'unregistered', size: registry.size });
        break;
      case 'stats': {
        let duplicates = 0;
        for (const n of frames.values()) if (n > 1) duplicates += n - 1;
        process.send!({
          type: 'stats', posts, maxInFlight, distinct: frames.size, duplicates,
          frames: [...frames.values()].reduce((a, b) => a + b, 0), frameBytes,
          firstPostAt, lastPostAt, rssBytes: process.memoryUsage().rss,
        });
        break;
      }
      case 'reset':
        frames.clear();
        posts = 0;
        maxInFlight = 0;
        firstPostAt = 0;
        lastPostAt = 0;
        process.send!({ type: 'reset' });
        break;
      case 'stop':
        api.close().then(() => process.exit(0));
        break;
    }
  });
  // Never outlive the benchmark that started this process.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', endpoint: api.endpoint });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
