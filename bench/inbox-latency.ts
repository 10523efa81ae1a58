/**
 * Benchmark 11: what keeping the inbox (each user's own stream, its read state and the unread
 * count) costs a user-targeted notification, end to end on the local runtime: the same clients,
 * rate and publisher as benchmark 6, against two runtimes started the same way but for
 * `history.userStreams` (on, the default; off), measured in turns in the same run. Each user's
 * notification is followed by an `unread` frame when the inbox is on: only the notification frame
 * is timed.
 */
import { RuntimeSettings } from '../lib/private/handlers';
import { LocalRuntime, startLocalRuntime } from '../local/runtime';
import { ClientsProcess, summarise, Summary } from './lib/clients-process';
import { assetsDir } from './lib/handler-run';
import { SectionResult } from './lib/report';
import { ratio } from './lib/stats';

export interface InboxLatencyOptions {
  readonly clients: number;
  readonly rate: number;
  readonly seconds: number;
  readonly connectConcurrency: number;
  /** Measured turns per runtime, alternating, so drift on a shared machine hits both alike. */
  readonly turns: number;
}

/** The inbox's p99 at most this many times the p99 without it. */
export const INBOX_P99_TARGET = 1.5;

const quiet = () => ({ log: () => undefined, handlerLog: () => undefined, ttlSweepIntervalMs: 0, assetsDir: assetsDir() });

interface Side { readonly runtime: LocalRuntime; readonly clients: ClientsProcess; readonly results: Array<Awaited<ReturnType<ClientsProcess['warmAndMeasure']>>> }

async function side(settings: Partial<RuntimeSettings>, o: InboxLatencyOptions): Promise<Side> {
  const runtime = await startLocalRuntime({ port: 0, ...quiet(), settings });
  const clients = await ClientsProcess.start(runtime);
  const connect = await clients.call<{ connected: number }>({ type: 'connect', count: o.clients, concurrency: o.connectConcurrency, auth: 'jwt' }, 'connected');
  if (connect.connected !== o.clients) throw new Error(`only ${connect.connected} of ${o.clients} clients connected`);
  return { runtime, clients, results: [] };
}

export async function benchInboxLatency(o: InboxLatencyOptions): Promise<SectionResult> {
  const sides: Side[] = [];
  try {
    sides.push(await side({ 'history.userStreams': true }, o), await side({ 'history.userStreams': false }, o));
    const [on, off] = sides;
    for (let turn = 0; turn < o.turns; turn++) {
      for (const s of turn % 2 === 0 ? [off, on] : [on, off]) {
        s.results.push(await s.clients.warmAndMeasure({ type: 'publish', rate: o.rate, seconds: o.seconds }));
      }
    }
    return section(o, summarise(merge(on.results)), summarise(merge(off.results)), on.results.map((r) => summarise(r)), off.results.map((r) => summarise(r)));
  } finally {
    for (const s of sides) {
      await s.clients.stop();
      await s.runtime.stop();
    }
  }
}

function merge<T extends { samples: readonly number[]; sent: number; received: number; errors: number }>(results: T[]): T {
  return results.reduce((a, b) => ({ ...a, samples: [...a.samples, ...b.samples], sent: a.sent + b.sent, received: a.received + b.received, errors: a.errors + b.errors }));
}

function section(o: InboxLatencyOptions, on: Summary, off: Summary, onTurns: Summary[], offTurns: Summary[]): SectionResult {
  const p99Ratio = ratio(on.p99, off.p99);
  const met = on.p99 <= INBOX_P99_TARGET * off.p99;
  return {
    id: 'inbox',
    title: '11. The inbox: what it costs a user-targeted notification',
    method: `Two local runtimes (\`npm start\`'s, the shipped handler bundles), the same but for \`history.userStreams\`: on (the default: `
      + 'each user notification is positioned and kept in the user\'s stream, and followed by the user\'s unread count) and off. '
      + `Each with ${o.clients.toLocaleString('en-US')} real \`ws\` clients, each a different user, then ${o.rate} notifications/s for ${o.seconds} s, `
      + `each published with the EventBridge SDK to one user, timed from just before PutEvents to the notification frame reaching the client (the unread frame that follows is not timed), `
      + `after one unmeasured second; ${o.turns} turn(s) per runtime, alternating, pooled.`,
    tables: [{
      caption: 'Publish → receive, user-targeted (ms):',
      headers: ['Inbox', 'Sent', 'Received', 'p50', 'p95', 'p99', 'max', 'p99 ÷ off', 'p99 per turn'],
      rows: [
        ['on (default)', on.sent, on.received, on.p50, on.p95, on.p99, on.max, p99Ratio, onTurns.map((t) => t.p99).join(' / ')],
        ['off (`userStreams: false`)', off.sent, off.received, off.p50, off.p95, off.p99, off.max, 1, offTurns.map((t) => t.p99).join(' / ')],
      ],
    }],
    notes: [`Lost notifications: ${on.sent - on.received} of ${on.sent} with the inbox, ${off.sent - off.received} of ${off.sent} without.`],
    targets: [{
      name: 'Inbox latency cost',
      target: `Inbox on: p99 at most ${INBOX_P99_TARGET}× inbox off (${o.rate}/s, ${o.clients.toLocaleString('en-US')} clients)`,
      measured: `${on.p99} ms vs ${off.p99} ms (${p99Ratio}×)`,
      met,
      ...(met ? {} : { note: `p99 ${p99Ratio}× the p99 without the inbox, over the ${INBOX_P99_TARGET}× target.` }),
    }],
    headlines: [{
      figure: `User-targeted publish-to-receive with the inbox, ${o.clients.toLocaleString('en-US')} clients, ${o.rate}/s (local runtime)`,
      measured: `p50 ${on.p50} ms, p99 ${on.p99} ms`,
      baseline: `inbox off: p50 ${off.p50} ms, p99 ${off.p99} ms`,
      ratio: `${ratio(on.p50, off.p50)} (p50), ${p99Ratio} (p99)`,
    }],
    data: { options: o, on, off, onTurns, offTurns },
  };
}
