/**
 * `npm run bench`: measures the delivery path and writes BENCHMARKS.md (for people) and
 * results.json (for machines), into .cache/bench/<date>/ unless asked (--update) to write the
 * committed BENCHMARKS.md and bench/results.json. Every figure is measured beside its baseline in
 * this run. `npm run bench -- --help` lists the options (bench/lib/cli.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { benchBundles } from './bundles';
import { benchClientSize } from './client-size';
import { benchCapacity } from './capacity';
import { renderCharts, withCharts } from './charts';
import { costSection } from './cost';
import { benchFanout, FanoutData, memorySection } from './fanout';
import { benchLatency } from './latency';
import { benchInboxLatency } from './inbox-latency';
import { latencyModelSection } from './latency-model';
import { benchHistoryCost } from './history-cost';
import { benchResume } from './resume';
import { benchColdFanout } from './cold-fanout';
import { scaleSection } from './scale';
import { benchHotKeys } from './hot-keys';
import { benchOptions, HELP } from './lib/cli';
import { machineFacts } from './lib/machine';
import { mergeReports, RunReport, SectionResult, skippedSection, writeReports } from './lib/report';

export interface BenchContext {
  readonly quick: boolean;
  /** Results of the sections run so far, for sections built on them (the cost model). */
  readonly results: Map<string, SectionResult>;
}

interface SectionSpec {
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

/** The @connections latency every delivery benchmark injects. */
const LATENCY_MS = 10;

const fanoutData = (ctx: BenchContext) => ctx.results.get('fanout')?.data as FanoutData | undefined;

const SECTIONS: SectionSpec[] = [
  {
    id: 'fanout',
    title: '1. Fan-out throughput',
    run: async (ctx) => (await benchFanout({
      audiences: ctx.quick ? [1_000, 10_000] : [1_000, 10_000, 50_000],
      latencyMs: LATENCY_MS,
      sequentialSample: ctx.quick ? 100 : 300,
      parallelInstances: 2,
      ceilingAudience: 10_000,
    })).section,
  },
  {
    id: 'capacity',
    title: '2. DynamoDB capacity',
    run: (ctx) => benchCapacity({
      connections: ctx.quick ? 50 : 200,
      roomSize: ctx.quick ? 2_000 : 10_000,
      smallBatches: ctx.quick ? 5 : 20,
      latencyMs: LATENCY_MS,
      deliveries: fanoutData(ctx)?.single.map((s) => s.capacity) ?? [],
      chat: { members: 50, messagesPerMember: ctx.quick ? 1 : 2 },
    }),
  },
  { id: 'bundles', title: '3. Lambda bundles: size and cold init', run: (ctx) => benchBundles({ runs: ctx.quick ? 3 : 7 }) },
  {
    id: 'memory',
    title: '4. Peak memory of deliver',
    run: async (ctx) => {
      const data = fanoutData(ctx);
      if (!data) throw new Error('the fan-out benchmark did not run (add fanout to --only)');
      return memorySection(data);
    },
  },
  {
    id: 'cost',
    title: '5. Cost model',
    run: async (ctx) => costSection(ctx.results.get('capacity')?.data as Parameters<typeof costSection>[0], fanoutData(ctx)),
  },
  {
    id: 'latency',
    title: '6. Local runtime: publish-to-receive latency and connection rate',
    run: (ctx) => benchLatency({
      clients: 1_000,
      rate: 200,
      seconds: ctx.quick ? 3 : 10,
      connectConcurrency: 50,
      // 10 messages/s among 50 members: each user 0.2/s, under the default per-user limit (10/s).
      chat: { members: 50, rate: 10, messages: ctx.quick ? 100 : 300 },
    }),
  },
  {
    id: 'latency-model',
    title: '7. Client messages: latency model on AWS',
    run: async (ctx) => latencyModelSection(ctx.results.get('latency')?.data as Parameters<typeof latencyModelSection>[0]),
  },
  {
    id: 'resume',
    title: '8. Stream history: catching up after a reconnect',
    run: (ctx) => benchResume({ missed: 100, rounds: ctx.quick ? 10 : 30, connections: ctx.quick ? 5 : 20, postLatencyMs: LATENCY_MS }),
  },
  {
    id: 'history-cost',
    title: '9. Stream history: what keeping notifications costs deliver',
    run: (ctx) => benchHistoryCost({ latencyMs: LATENCY_MS, notifications: ctx.quick ? 10 : 30, audiences: [1_000, 10_000], rounds: ctx.quick ? 2 : 5 }),
  },
  { id: 'client', title: '10. Browser client: size', run: () => benchClientSize() },
  {
    id: 'inbox',
    title: '11. The inbox: what it costs a user-targeted notification',
    // BENCH_INBOX_RATE: another rate, to compare the two below the rate a busy machine sustains.
    run: (ctx) => benchInboxLatency({
      clients: 1_000, rate: Number(process.env.BENCH_INBOX_RATE ?? 200), seconds: ctx.quick ? 3 : 10, connectConcurrency: 50, turns: ctx.quick ? 1 : 2,
    }),
  },
  {
    id: 'cold',
    title: '12. The cold first fan-out',
    run: (ctx) => benchColdFanout({ audience: 1_000, latencyMs: LATENCY_MS, rounds: ctx.quick ? 2 : 4 }),
  },
  { id: 'scale', title: '13. A million connections: the plan', run: (ctx) => scaleSection(ctx) },
  {
    id: 'hot-keys',
    title: '14. Hot partition keys: a busy room and a subscribe storm',
    run: (ctx) => benchHotKeys({ notifications: ctx.quick ? 600 : 2_000, subscribes: ctx.quick ? 600 : 2_000, processes: 2, latencyMs: LATENCY_MS }),
  },
];

async function main(): Promise<void> {
  const started = Date.now();
  const root = join(__dirname, '..');
  let options: ReturnType<typeof benchOptions>;
  try {
    options = benchOptions(process.argv.slice(2), process.env, root);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const { quick, only } = options;
  // The handler bundles as the sources are now (scripts/bundle.mjs writes assets/).
  execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
  const ctx: BenchContext = { quick, results: new Map() };
  // Measure a snapshot of the bundles: a rebuild of assets/ during the run cannot touch it.
  const snapshot = mkdtempSync(join(tmpdir(), 'bench-assets-'));
  cpSync(join(__dirname, '..', 'assets'), snapshot, { recursive: true });
  process.env.BENCH_ASSETS_DIR = snapshot;
  const sections: SectionResult[] = [];
  for (const spec of SECTIONS) {
    if (only && !only.includes(spec.id)) continue;
    const t0 = Date.now();
    process.stdout.write(`bench: ${spec.title} …\n`);
    let result: SectionResult;
    try {
      result = await spec.run(ctx);
    } catch (error) {
      // One broken section must not cost the others their figures; the report says what failed.
      const reason = (error as Error).stack ?? String(error);
      process.stderr.write(`bench: ${spec.id} failed: ${reason}\n`);
      result = skippedSection(spec.id, spec.title, `it failed: ${(error as Error).message.split('\n')[0]}`);
    }
    ctx.results.set(spec.id, result);
    sections.push(result);
    process.stdout.write(`bench: ${spec.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  rmSync(snapshot, { recursive: true, force: true });
  const report: RunReport = {
    date: new Date().toISOString(),
    machine: machineFacts(),
    quick,
    durationSeconds: (Date.now() - started) / 1000,
    sections,
  };
  mkdirSync(dirname(options.markdownPath), { recursive: true });
  // Sections run on their own update theirs in the committed reports and keep the others'.
  if (options.update && only) mergeReports(report, options.markdownPath, options.jsonPath);
  else writeReports(report, options.markdownPath, options.jsonPath);
  // Charts beside the report (bench/charts/ for the committed one), drawn from what it just wrote.
  const chartsDir = options.update ? join(__dirname, 'charts') : join(dirname(options.markdownPath), 'charts');
  try {
    const charts = await renderCharts(JSON.parse(readFileSync(options.jsonPath, 'utf8')), chartsDir);
    const prefix = relative(dirname(options.markdownPath), chartsDir);
    writeFileSync(options.markdownPath, withCharts(readFileSync(options.markdownPath, 'utf8'), charts, prefix));
  } catch (error) {
    process.stderr.write(`bench: the charts could not be drawn: ${(error as Error).stack ?? error}\n`);
  }
  process.stdout.write(`bench: wrote ${relative(root, options.markdownPath)} and ${relative(root, options.jsonPath)} in ${Math.round(report.durationSeconds)} s\n`);
  if (!options.update) process.stdout.write('bench: to update the committed BENCHMARKS.md and bench/results.json, run `npm run bench -- --update`\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
