/**
 * Benchmark 1 (and the figures of 4): one notification to a large audience through the real
 * deliver bundle, in a fresh process, against the local @connections API (in a process of its
 * own) holding every post for the injected latency, with the audience in the embedded DynamoDB.
 *
 * Measured per audience:
 * - one instance delivering the whole audience (the shard threshold raised above it): the
 *   fan-out engine's throughput against the physical limit, concurrency ÷ latency;
 * - the default path above the shard threshold: what one instance does with the notification
 *   (read the audience, enqueue shard messages), one shard delivered by a warm instance, and the
 *   end-to-end time when parallel instances take the shards;
 * - baselines from the seed articles, in a fresh process the same way: Query then an unbounded
 *   Promise.all of posts, and Query then posts one by one.
 */
import { join } from 'node:path';
import { DEFAULTS, HandlerName, RuntimeSettings } from '../lib/private/runtime-contract';
import { startSqsApi, SqsApiServer } from '../local/sqs-api';
import { summariseCapacity } from './lib/capacity-model';
import { runProbe } from './lib/child';
import { ConnectionsProcess, ServerStats, startConnectionsProcess } from './lib/connections-process';
import { DynamoFixture, seedSubscribers, startDynamoFixture } from './lib/dynamo-fixture';
import { notificationEventBody, sqsEvent } from './lib/events';
import { HandlerRun, runHandler } from './lib/handler-run';
import { SectionResult, TargetCheck } from './lib/report';
import { BENCH_TABLES, benchSettings, lambdaProcessEnv } from './lib/settings';
import { ratio, round } from './lib/stats';
import type { DeliveryCapacity } from './capacity';

export const FANOUT_TARGET_FRACTION = 0.8;
export const DELIVER_MEMORY_TARGET_MB = 256;

export interface FanoutOptions {
  readonly audiences: readonly number[];
  readonly latencyMs: number;
  /** Posts the one-by-one baseline makes at most (it takes latency × N). */
  readonly sequentialSample: number;
  /** Parallel deliver instances for the end-to-end shard figure. */
  readonly parallelInstances: number;
}

interface SingleInstanceRun {
  readonly audience: number;
  readonly durationMs: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly deliveriesPerSecond: number;
  readonly maxInFlight: number;
  /** CPU time of the deliver process per post: what bounds one instance on a given core. */
  readonly cpuMsPerPost: number;
  readonly failures: number;
  readonly idleRssMB: number;
  readonly peakRssMB: number;
  readonly peakHeapMB: number;
  readonly capacity: DeliveryCapacity;
}

interface ShardedRun {
  readonly audience: number;
  readonly shards: number;
  /** Reading the audience and enqueueing its shard messages. */
  readonly resolveMs: number;
  readonly resolvePeakRssMB: number;
  readonly resolveIdleRssMB: number;
  /** One shard (shard size connections) delivered by a warm instance. */
  readonly warmShardMs: number;
  readonly shardSize: number;
  readonly instances: number;
  /** Wall time from the notification to the last delivery, instances in parallel. */
  readonly endToEndMs: number;
  readonly endToEndPerSecond: number;
  readonly delivered: number;
  readonly duplicates: number;
}

interface BaselineRun {
  readonly audience: number;
  readonly mode: 'all' | 'sequential';
  readonly attempted: number;
  readonly posted: number;
  readonly failed: number;
  readonly totalMs: number;
  readonly deliveriesPerSecond: number;
  readonly peakRssMB: number;
  /** Set when the baseline process died (out of memory, say) instead of finishing. */
  readonly error?: string;
}

export interface FanoutData {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly physicalLimitPerSecond: number;
  readonly single: SingleInstanceRun[];
  readonly sharded: ShardedRun[];
  readonly baselines: BaselineRun[];
}

const MB = 1024 * 1024;

export async function benchFanout(options: FanoutOptions): Promise<{ section: SectionResult; data: FanoutData }> {
  const fixture = await startDynamoFixture();
  const sqs = await startSqsApi();
  const server = await startConnectionsProcess(options.latencyMs);
  try {
    const concurrency = DEFAULTS.deliveryConcurrency;
    const data: FanoutData = {
      latencyMs: options.latencyMs,
      concurrency,
      physicalLimitPerSecond: concurrency / (options.latencyMs / 1000),
      single: [],
      sharded: [],
      baselines: [],
    };
    const expiresAt = Math.floor(Date.now() / 1000) + 24 * 3600;
    for (const audience of options.audiences) {
      const topic = `bench/fanout-${audience}`;
      const ids = await seedSubscribers(fixture.dynamo.client, topic, audience, expiresAt);
      await server.register(ids);
      const ctx = { fixture, sqs, server, topic, audience };

      data.single.push(await singleInstance(ctx));
      if (audience > DEFAULTS.shardThreshold) data.sharded.push(await shardedPath(ctx, options.parallelInstances));
      data.baselines.push(await seedBaseline(ctx, 'all', Infinity));
      data.baselines.push(await seedBaseline(ctx, 'sequential', options.sequentialSample));

      await server.unregister(ids);
    }
    return { section: section(data), data };
  } finally {
    await server.stop();
    await sqs.close();
    await fixture.stop();
  }
}

interface RunContext {
  readonly fixture: DynamoFixture;
  readonly sqs: SqsApiServer;
  readonly server: ConnectionsProcess;
  readonly topic: string;
  readonly audience: number;
}

function deliverEnv(ctx: RunContext, overrides: Partial<RuntimeSettings> = {}): Record<string, string> {
  const settings = benchSettings({
    callbackUrl: ctx.server.endpoint,
    queueUrl: ctx.sqs.queueUrl('bench-deliver'),
    deadLetterQueueUrl: ctx.sqs.queueUrl('bench-deliver-dlq'),
    ...overrides,
  });
  return lambdaProcessEnv('deliver' satisfies HandlerName, settings, { dynamodb: ctx.fixture.proxy.endpoint });
}

function notification(topic: string): string {
  return notificationEventBody({ topic, id: `bench-${topic}`, data: { orderId: 42, status: 'shipped' } });
}

function failuresOf(run: HandlerRun<{ batchItemFailures?: unknown[] } | null>): number {
  return run.results.reduce((n, r) => n + (r?.batchItemFailures?.length ?? 0), 0);
}

async function singleInstance(ctx: RunContext): Promise<SingleInstanceRun> {
  await ctx.server.reset();
  const mark = ctx.fixture.proxy.capacity.length;
  // The threshold above the audience: one instance delivers all of it.
  const env = deliverEnv(ctx, { shardThreshold: Math.max(ctx.audience, DEFAULTS.shardThreshold) });
  const run = await runHandler<{ batchItemFailures?: unknown[] }>('deliver', [sqsEvent([notification(ctx.topic)])], env);
  const stats = await ctx.server.stats();
  checkComplete('single instance', stats, ctx.audience);
  const capacity = summariseCapacity(ctx.fixture.proxy.capacity.slice(mark), ctx.fixture.tables, ctx.fixture.addIndexWrites);
  const durationMs = run.durationsMs[0];
  return {
    audience: ctx.audience,
    durationMs: round(durationMs, 1),
    delivered: stats.distinct,
    duplicates: stats.duplicates,
    deliveriesPerSecond: round(stats.distinct / (durationMs / 1000), 0),
    maxInFlight: stats.maxInFlight,
    cpuMsPerPost: round(run.cpuMs[0] / Math.max(1, stats.posts), 3),
    failures: failuresOf(run),
    idleRssMB: round(run.idle.rssBytes / MB, 1),
    peakRssMB: round(run.peak.maxRssKB / 1024, 1),
    peakHeapMB: round(run.peak.heapUsedPeakBytes / MB, 1),
    capacity: {
      audience: ctx.audience,
      delivered: stats.distinct,
      readUnits: capacity.readUnits,
      writeUnits: capacity.writeUnits,
      byOperation: capacity.byOperation,
    },
  };
}

async function shardedPath(ctx: RunContext, instances: number): Promise<ShardedRun> {
  await ctx.server.reset();
  const queueUrl = ctx.sqs.queueUrl('bench-deliver');
  ctx.sqs.store.drain(queueUrl);
  const env = deliverEnv(ctx);
  const started = Date.now();
  const resolve = await runHandler('deliver', [sqsEvent([notification(ctx.topic)])], env);
  const shards = ctx.sqs.store.drain(queueUrl).map((m) => m.body);
  if (shards.length === 0) throw new Error(`deliver enqueued no shards for an audience of ${ctx.audience}`);
  const afterResolve = Date.now();

  // End to end: the shards go to parallel instances (fresh processes), each taking every
  // instances-th shard, one SQS batch of one shard at a time.
  const plans = Array.from({ length: Math.min(instances, shards.length) }, (_, i) => shards.filter((_s, j) => j % instances === i));
  const runs = await Promise.all(plans.map((plan) => runHandler('deliver', plan.map((body) => sqsEvent([body])), env)));
  const finished = Date.now();
  const stats = await ctx.server.stats();
  checkComplete('sharded', stats, ctx.audience);
  // Lambda starts instances in parallel; a fresh process here also loads the bundle, which the
  // cold init benchmark reports on its own: count invocation time only.
  const slowestInstanceMs = Math.max(...runs.map((r) => r.durationsMs.reduce((a, b) => a + b, 0)));
  const endToEndMs = resolve.durationsMs[0] + slowestInstanceMs;
  const warm = runs.flatMap((r) => r.durationsMs.slice(1));
  void started; void afterResolve; void finished;
  return {
    audience: ctx.audience,
    shards: shards.length,
    resolveMs: round(resolve.durationsMs[0], 1),
    resolveIdleRssMB: round(resolve.idle.rssBytes / MB, 1),
    resolvePeakRssMB: round(resolve.peak.maxRssKB / 1024, 1),
    warmShardMs: round(warm.length > 0 ? warm.reduce((a, b) => a + b, 0) / warm.length : runs[0].durationsMs[0], 1),
    shardSize: DEFAULTS.shardSize,
    instances: plans.length,
    endToEndMs: round(endToEndMs, 1),
    endToEndPerSecond: round(stats.distinct / (endToEndMs / 1000), 0),
    delivered: stats.distinct,
    duplicates: stats.duplicates,
  };
}

async function seedBaseline(ctx: RunContext, mode: 'all' | 'sequential', limit: number): Promise<BaselineRun> {
  await ctx.server.reset();
  let out;
  try {
    out = await runProbe<{ attempted: number; posted: number; failed: number; queryMs: number; postMs: number; maxRssKB: number }>(
    join(__dirname, 'probes', 'seed-broadcast.ts'), [], {
      typescript: true,
      env: {
        BENCH_DYNAMODB: ctx.fixture.dynamo.endpoint,
        BENCH_CALLBACK: ctx.server.endpoint,
        BENCH_TABLE: BENCH_TABLES.subscriptionsTable,
        BENCH_TOPIC: ctx.topic,
        BENCH_MODE: mode,
        ...(Number.isFinite(limit) ? { BENCH_LIMIT: String(limit) } : {}),
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const reason = /heap out of memory|Allocation failed/i.test(message) ? 'ran out of memory' : message.split('\n')[0].slice(0, 200);
    return { audience: ctx.audience, mode, attempted: 0, posted: 0, failed: 0, totalMs: Number.NaN, deliveriesPerSecond: Number.NaN, peakRssMB: Number.NaN, error: reason };
  }
  const totalMs = out.queryMs + out.postMs;
  return {
    audience: ctx.audience,
    mode,
    attempted: out.attempted,
    posted: out.posted,
    failed: out.failed,
    totalMs: round(totalMs, 1),
    deliveriesPerSecond: round(out.posted / (totalMs / 1000), 0),
    peakRssMB: round(out.maxRssKB / 1024, 1),
  };
}

function checkComplete(what: string, stats: ServerStats, audience: number): void {
  if (stats.distinct !== audience) {
    throw new Error(`${what}: ${stats.distinct} of ${audience} connections got the notification (${stats.posts} posts).`);
  }
}

function section(d: FanoutData): SectionResult {
  const limit = d.physicalLimitPerSecond;
  const pct = (x: number) => `${round((100 * x) / limit, 1)}%`;
  const baseline = (audience: number, mode: 'all' | 'sequential') => d.baselines.find((b) => b.audience === audience && b.mode === mode);
  const worst = d.single.length > 0 ? Math.min(...d.single.map((s) => s.deliveriesPerSecond)) : Number.NaN;
  const targets: TargetCheck[] = [{
    name: 'Fan-out throughput at the default concurrency',
    target: `≥ ${FANOUT_TARGET_FRACTION * 100}% of the physical limit (${limit.toLocaleString('en-US')}/s)`,
    measured: `${pct(worst)} (${worst.toLocaleString('en-US')}/s, the lowest over ${d.single.map((s) => s.audience.toLocaleString('en-US')).join(' / ')})`,
    met: worst >= FANOUT_TARGET_FRACTION * limit,
    ...(worst < FANOUT_TARGET_FRACTION * limit
      ? { note: `short by ${round(100 * (FANOUT_TARGET_FRACTION - worst / limit), 1)} points of the limit; see the fan-out section.` }
      : {}),
  }];
  return {
    id: 'fanout',
    title: '1. Fan-out throughput',
    method: `One notification to a topic with N subscribers, through the deliver bundle (assets/deliver) in a fresh process `
      + `with the environment the construct gives it, at the default concurrency (${d.concurrency} posts in flight). The local `
      + `@connections API runs in a process of its own and holds every post for ${d.latencyMs} ms before the frame lands in a fake `
      + `connection that counts it; the subscriptions are in the embedded DynamoDB (seeding not measured). The physical limit is `
      + `concurrency ÷ latency = ${d.concurrency} ÷ ${d.latencyMs} ms = ${limit.toLocaleString('en-US')} deliveries/s. Times are `
      + `the handler invocation (Query included, bundle loading excluded); each run is checked to reach every subscriber.`,
    tables: [
      {
        caption: 'One deliver instance, whole audience (shard threshold raised above it), against the seed articles\' broadcast:',
        headers: ['Subscribers', 'deliver (ms)', 'Deliveries/s', '% of limit', 'Max in flight', 'CPU per post (ms)', 'Seed Promise.all (deliveries/s)', 'Ratio', 'Seed one-by-one (deliveries/s)', 'Ratio'],
        rows: d.single.map((s) => {
          const all = baseline(s.audience, 'all');
          const seq = baseline(s.audience, 'sequential');
          return [
            s.audience, s.durationMs, s.deliveriesPerSecond, pct(s.deliveriesPerSecond), s.maxInFlight, s.cpuMsPerPost,
            all?.error ? `failed: ${all.error}` : all?.deliveriesPerSecond ?? 'n/a', all && !all.error ? ratio(s.deliveriesPerSecond, all.deliveriesPerSecond) : 'n/a',
            seq?.deliveriesPerSecond ?? 'n/a', seq ? ratio(s.deliveriesPerSecond, seq.deliveriesPerSecond) : 'n/a',
          ];
        }),
      },
      ...(d.sharded.length > 0 ? [{
        caption: `The default path above the shard threshold (${DEFAULTS.shardThreshold.toLocaleString('en-US')}): shard messages of ${DEFAULTS.shardSize.toLocaleString('en-US')} connections on the queue:`,
        headers: ['Subscribers', 'Shards', 'Read audience + enqueue (ms)', 'One shard, warm instance (ms)', 'Parallel instances', 'End to end (ms)', 'End-to-end deliveries/s', 'vs one instance'],
        rows: d.sharded.map((s) => {
          const single = d.single.find((x) => x.audience === s.audience);
          return [s.audience, s.shards, s.resolveMs, s.warmShardMs, s.instances, s.endToEndMs, s.endToEndPerSecond,
            single ? ratio(s.endToEndPerSecond, single.deliveriesPerSecond) : 'n/a'];
        }),
      }] : []),
    ],
    notes: [
      'Ratios are this library ÷ the baseline: above 1 is faster.',
      ...cpuNote(d),
      'Seed Promise.all: the article\'s `Promise.all(connections.map(post))` after a paginated Query, with the AWS SDK v3 client\'s defaults; '
        + 'its in-flight posts are capped only by the HTTP agent\'s socket pool (50 sockets by default), and it keeps a promise per connection in memory.',
      `Seed one-by-one: \`for … await post\`; measured over the first ${d.baselines.find((b) => b.mode === 'sequential')?.attempted ?? 'n/a'} connections of each audience (its rate does not depend on the audience; all of 50,000 would take minutes).`,
      ...(d.sharded.length > 0 ? [`End to end: reading the audience and enqueueing shards, then the slowest of ${d.sharded[0].instances} deliver instances `
        + 'running at the same time on this machine, each taking its share of the shards one SQS batch at a time; invocation time only (each '
        + `instance's bundle load is the cold-init figure of section 3). With ${d.sharded[0].instances} instances on 2 cores the instances share the CPU: `
        + 'in AWS each has its own, so the end-to-end figure here is a floor, not a ceiling.'] : []),
    ],
    targets,
    data: d,
  };
}

function cpuNote(d: FanoutData): string[] {
  const largest = d.single[d.single.length - 1];
  if (!largest) return [];
  const ceiling = Math.round(1000 / largest.cpuMsPerPost);
  return [`What bounds one instance here is CPU, not waiting: the deliver process spends ${largest.cpuMsPerPost} ms of CPU per post `
    + `(the AWS SDK v3 client's middleware, SigV4 signing and HTTP handling, plus the engine), so one core of this machine tops out near `
    + `${ceiling.toLocaleString('en-US')} posts/s${ceiling < d.physicalLimitPerSecond ? `, under the ${d.physicalLimitPerSecond.toLocaleString('en-US')}/s that ${d.concurrency} posts in flight at ${d.latencyMs} ms would allow` : ''}. `
    + 'The posts in flight do reach the configured concurrency (Max in flight). A Lambda function with 1,769 MB or more has a full vCPU; at the '
    + 'construct\'s default memory it has a fraction of one, so in AWS the same CPU bound applies, scaled by the memory setting.'];
}

/** Section 4, from the fan-out runs: the deliver process at the largest audience. */
export function memorySection(d: FanoutData): SectionResult {
  const single = d.single[d.single.length - 1];
  const sharded = d.sharded.find((s) => s.audience === single?.audience);
  const all = d.baselines.find((b) => b.audience === single?.audience && b.mode === 'all');
  if (!single) return { id: 'memory', title: '4. Peak memory of deliver', method: '', tables: [], notes: [], targets: [], data: null, skipped: 'the fan-out benchmark did not run' };
  const worst = Math.max(single.peakRssMB, sharded?.resolvePeakRssMB ?? 0);
  return {
    id: 'memory',
    title: '4. Peak memory of deliver',
    method: `The deliver process of the fan-out runs at ${single.audience.toLocaleString('en-US')} subscribers: peak resident set size `
      + '(`process.resourceUsage().maxRSS`) and peak V8 heap (sampled every 20 ms), against the same process idle right after loading the '
      + 'bundle. Lambda bills and limits the memory of the whole process, so RSS is the figure to hold against the function\'s memory setting.',
    tables: [{
      headers: ['Process', 'Idle after load (MB RSS)', 'Peak (MB RSS)', 'Peak ÷ idle', 'Peak heap (MB)'],
      rows: [
        [`deliver, one instance delivering all ${single.audience.toLocaleString('en-US')}`, single.idleRssMB, single.peakRssMB, ratio(single.peakRssMB, single.idleRssMB), single.peakHeapMB],
        ...(sharded ? [[`deliver, default path: reading ${sharded.audience.toLocaleString('en-US')} and enqueueing ${sharded.shards} shards`, sharded.resolveIdleRssMB, sharded.resolvePeakRssMB, ratio(sharded.resolvePeakRssMB, sharded.resolveIdleRssMB), 'n/a'] as Array<string | number>] : []),
        ...(all ? [[`seed Promise.all over ${all.audience.toLocaleString('en-US')} (baseline)`, 'n/a', all.error ? `failed: ${all.error}` : all.peakRssMB, 'n/a', 'n/a'] as Array<string | number>] : []),
      ],
    }],
    notes: ['The fan-out engine keeps a fixed pool of workers over one list of ids, so memory grows with the id list (about 16 bytes of id per subscriber plus array overhead), not with promises per subscriber as in the Promise.all baseline.'],
    targets: [{
      name: `deliver peak memory at ${single.audience.toLocaleString('en-US')} subscribers`,
      target: `< ${DELIVER_MEMORY_TARGET_MB} MB`,
      measured: `${worst} MB RSS`,
      met: worst < DELIVER_MEMORY_TARGET_MB,
      ...(worst >= DELIVER_MEMORY_TARGET_MB ? { note: `over by ${round(worst - DELIVER_MEMORY_TARGET_MB, 1)} MB.` } : {}),
    }],
    data: { single, sharded, baseline: all },
  };
}
