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
 * - baselines from the common tutorials' design, in a fresh process the same way: Query then an unbounded
 *   Promise.all of posts, and Query then posts one by one.
 */
import { join } from 'node:path';
import { RuntimeSettings } from '../lib/private/handlers';
import { HandlerName } from '../lib/private/runtime-contract';
import { SETTINGS } from '../lib/private/settings';
import { startSqsApi, SqsApiServer } from '../local/sqs-api';
import { summariseCapacity } from './lib/capacity-model';
import { runProbe } from './lib/child';
import { ConnectionsProcess, ServerStats, startConnectionsProcess } from './lib/connections-process';
import { DynamoFixture, seedSubscribers, startDynamoFixture } from './lib/dynamo-fixture';
import { notificationEventBody, sqsEvent } from './lib/events';
import { HandlerRun, runHandler } from './lib/handler-run';
import { SectionResult, TargetCheck } from './lib/report';
import { BENCH_TABLES, benchSettings, lambdaProcessEnv } from './lib/settings';
import { median, ratio, round } from './lib/stats';
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
  /** The audience at which the bare-HTTP ceiling is measured. */
  readonly ceilingAudience: number;
}

export interface SingleInstanceRun {
  readonly audience: number;
  readonly durationMs: number;
  /** The same notification as a fresh instance's first. */
  readonly coldDurationMs: number;
  readonly coldDeliveriesPerSecond: number;
  /** Notifications delivered in a row; every figure but the cold one is the median of the warm ones. */
  readonly repetitions: number;
  /** Time the audience Queries took (DynamoDB's answer time, per notification). */
  readonly readMs: number;
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

/** The same posts without the SDK: what the local server and this machine allow. */
interface CeilingRun {
  readonly posts: number;
  readonly signed: boolean;
  readonly deliveriesPerSecond: number;
  readonly cpuMsPerPost: number;
}

export interface FanoutData {
  readonly ceilings: CeilingRun[];
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly physicalLimitPerSecond: number;
  readonly single: SingleInstanceRun[];
  readonly sharded: ShardedRun[];
  readonly baselines: BaselineRun[];
}

const MB = 1024 * 1024;
export const WARMUP_TOPIC = 'bench/warm-up';
/** Enough to open every socket of the default concurrency and compile the hot paths. */
export const WARMUP_AUDIENCE = 200;

export async function benchFanout(options: FanoutOptions): Promise<{ section: SectionResult; data: FanoutData }> {
  return withFanoutRig(options.latencyMs, async (rig) => {
    const concurrency = SETTINGS['delivery.postConcurrency'].default;
    const data: FanoutData = {
      latencyMs: options.latencyMs,
      concurrency,
      physicalLimitPerSecond: concurrency / (options.latencyMs / 1000),
      single: [],
      sharded: [],
      baselines: [],
      ceilings: [],
    };
    for (const audience of options.audiences) {
      await withAudience(rig, audience, async (ctx) => {
        data.single.push(await singleInstance(ctx));
        if (audience > SETTINGS['delivery.shardThreshold'].default) data.sharded.push(await shardedPath(ctx, options.parallelInstances));
        data.baselines.push(await tutorialBaseline(ctx, 'all', Infinity));
        data.baselines.push(await tutorialBaseline(ctx, 'sequential', options.sequentialSample));
        if (audience === options.ceilingAudience) {
          data.ceilings.push(await ceiling(ctx, concurrency, false));
          data.ceilings.push(await ceiling(ctx, concurrency, true));
        }
      });
    }
    return { section: section(data), data };
  });
}

/** What every fan-out run needs: the embedded DynamoDB behind the recording proxy, an SQS API and the @connections process. */
export interface FanoutRig {
  readonly fixture: DynamoFixture;
  readonly sqs: SqsApiServer;
  readonly server: ConnectionsProcess;
}

/** Starts the rig (with the warm-up topic seeded), runs `work` with it, and stops it. */
export async function withFanoutRig<T>(latencyMs: number, work: (rig: FanoutRig) => Promise<T>): Promise<T> {
  const fixture = await startDynamoFixture();
  const sqs = await startSqsApi();
  const server = await startConnectionsProcess(latencyMs);
  try {
    // A small topic every instance delivers once, unmeasured, before the measured notification:
    // a deliver instance handling a stream of notifications is warm (sockets open, code compiled).
    const warmupIds = await seedSubscribers(fixture.dynamo.client, WARMUP_TOPIC, WARMUP_AUDIENCE, expiresAt(), (i) => `w${String(i).padStart(14, '0')}=`);
    await server.register(warmupIds);
    return await work({ fixture, sqs, server });
  } finally {
    await server.stop();
    await sqs.close();
    await fixture.stop();
  }
}

/** A topic of `audience` subscribers, each a connection of the @connections process, for the time of `work`. */
export async function withAudience<T>(rig: FanoutRig, audience: number, work: (ctx: RunContext) => Promise<T>): Promise<T> {
  const topic = `bench/fanout-${audience}`;
  const ids = await seedSubscribers(rig.fixture.dynamo.client, topic, audience, expiresAt());
  await rig.server.register(ids);
  try {
    return await work({ ...rig, topic, audience });
  } finally {
    await rig.server.unregister(ids);
  }
}

const expiresAt = () => Math.floor(Date.now() / 1000) + 24 * 3600;

export interface RunContext extends FanoutRig {
  readonly topic: string;
  readonly audience: number;
}

/** The deliver function's environment in the rig: the construct's defaults with `overrides`. */
export function deliverEnv(ctx: FanoutRig, overrides: Partial<RuntimeSettings> = {}): Record<string, string> {
  const settings = benchSettings({
    callbackUrl: ctx.server.endpoint,
    queueUrl: ctx.sqs.queueUrl('bench-deliver'),
    deadLetterQueueUrl: ctx.sqs.queueUrl('bench-deliver-dlq'),
    ...overrides,
  });
  return lambdaProcessEnv('deliver' satisfies HandlerName, settings, { dynamodb: ctx.fixture.proxy.endpoint });
}

let notificationsMade = 0;

/** A notification to `topic`, with an id of its own (as every published notification has: streams with history give each id a position). */
function notification(topic: string): string {
  return notificationEventBody({ topic, id: `bench-${++notificationsMade}`, data: { orderId: 42, status: 'shipped' } });
}

function failuresOf(run: HandlerRun<{ batchItemFailures?: unknown[] } | null>): number {
  return run.results.reduce((n, r) => n + (r?.batchItemFailures?.length ?? 0), 0);
}

/** Notifications one instance delivers in a row: the first is a fresh instance's, the rest are warm. */
function repetitions(audience: number): number {
  return audience <= 1_000 ? 5 : audience <= 10_000 ? 3 : 2;
}

/** One instance delivering the whole audience, with the construct's defaults and `settings`. */
export async function singleInstance(ctx: RunContext, settings: Partial<RuntimeSettings> = {}): Promise<SingleInstanceRun> {
  await ctx.server.reset();
  const mark = ctx.fixture.proxy.capacity.length;
  // The threshold above the audience: one instance delivers all of it.
  const env = deliverEnv(ctx, { 'delivery.shardThreshold': Math.max(ctx.audience, SETTINGS['delivery.shardThreshold'].default), ...settings });
  const reps = repetitions(ctx.audience);
  const run = await runHandler<{ batchItemFailures?: unknown[] }>('deliver', Array.from({ length: reps }, () => sqsEvent([notification(ctx.topic)])), env);
  const stats = await ctx.server.stats();
  checkComplete('single instance', stats, ctx.audience);
  if (stats.posts !== reps * ctx.audience) throw new Error(`single instance: ${stats.posts} posts for ${reps} × ${ctx.audience}`);
  // One notification's calls (every repetition makes the same ones).
  const capacity = summariseCapacity(ctx.fixture.proxy.capacity.slice(mark), ctx.fixture.tables, ctx.fixture.addIndexWrites);
  const warm = run.durationsMs.slice(1);
  const durationMs = median(warm);
  const readMs = ctx.fixture.proxy.capacity.slice(mark).filter((r) => r.operation === 'Query').reduce((sum, r) => sum + r.ms, 0) / reps;
  return {
    audience: ctx.audience,
    durationMs: round(durationMs, 1),
    coldDurationMs: round(run.durationsMs[0], 1),
    repetitions: reps,
    delivered: stats.distinct,
    duplicates: stats.duplicates,
    deliveriesPerSecond: round(ctx.audience / (durationMs / 1000), 0),
    readMs: round(readMs, 1),
    coldDeliveriesPerSecond: round(ctx.audience / (run.durationsMs[0] / 1000), 0),
    maxInFlight: stats.maxInFlight,
    cpuMsPerPost: round(median(run.cpuMs.slice(1)) / ctx.audience, 3),
    failures: failuresOf(run),
    idleRssMB: round(run.idle.rssBytes / MB, 1),
    peakRssMB: round(run.peak.maxRssKB / 1024, 1),
    peakHeapMB: round(run.peak.heapUsedPeakBytes / MB, 1),
    capacity: {
      audience: ctx.audience,
      delivered: ctx.audience,
      readUnits: capacity.readUnits / reps,
      writeUnits: capacity.writeUnits / reps,
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
  const runs = (await Promise.all(plans.map((plan) => runHandler('deliver', [sqsEvent([notification(WARMUP_TOPIC)]), ...plan.map((body) => sqsEvent([body]))], env))))
    .map((r) => ({ ...r, durationsMs: r.durationsMs.slice(1) }));
  const finished = Date.now();
  const stats = await ctx.server.stats();
  checkComplete('sharded', stats, ctx.audience + WARMUP_AUDIENCE);
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
    shardSize: SETTINGS['delivery.shardSize'].default,
    instances: plans.length,
    endToEndMs: round(endToEndMs, 1),
    endToEndPerSecond: round(ctx.audience / (endToEndMs / 1000), 0),
    delivered: stats.distinct - WARMUP_AUDIENCE,
    duplicates: stats.duplicates,
  };
}

async function tutorialBaseline(ctx: RunContext, mode: 'all' | 'sequential', limit: number): Promise<BaselineRun> {
  await ctx.server.reset();
  let out;
  try {
    out = await runProbe<{ attempted: number; posted: number; failed: number; queryMs: number; postMs: number; maxRssKB: number }>(
    join(__dirname, 'probes', 'tutorial-broadcast.ts'), [], {
      typescript: true,
      env: {
        BENCH_DYNAMODB: ctx.fixture.dynamo.endpoint,
        BENCH_CALLBACK: ctx.server.endpoint,
        BENCH_TABLE: BENCH_TABLES.subscriptionsTable,
        BENCH_TOPIC: ctx.topic,
        BENCH_REPEAT: String(mode === 'all' ? Math.min(2, repetitions(ctx.audience)) : 2),
        BENCH_MODE: mode,
        ...(Number.isFinite(limit) ? { BENCH_LIMIT: String(limit) } : {}),
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const reason = /heap out of memory|Allocation failed/i.test(message) ? 'ran out of memory' : message.split('\n')[0].slice(0, 200);
    return { audience: ctx.audience, mode, attempted: 0, posted: 0, failed: 0, totalMs: Number.NaN, deliveriesPerSecond: Number.NaN, peakRssMB: Number.NaN, error: reason };
  }
  checkComplete(`tutorial ${mode}`, await ctx.server.stats(), out.attempted);
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

async function ceiling(ctx: RunContext, concurrency: number, signed: boolean): Promise<CeilingRun> {
  await ctx.server.reset();
  const out = await runProbe<{ posted: number; ms: number; cpuMs: number }>(join(__dirname, 'probes', 'bare-http.ts'), [], {
    typescript: true,
    env: { BENCH_CALLBACK: ctx.server.endpoint, BENCH_COUNT: String(ctx.audience), BENCH_CONCURRENCY: String(concurrency), BENCH_SIGN: signed ? '1' : '0' },
  });
  checkComplete(signed ? 'bare signed HTTP' : 'bare HTTP', await ctx.server.stats(), ctx.audience);
  return { posts: out.posted, signed, deliveriesPerSecond: round(out.posted / (out.ms / 1000), 0), cpuMsPerPost: round(out.cpuMs / out.posted, 3) };
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
  const worstRun = d.single.reduce<SingleInstanceRun | undefined>((w, s) => (!w || s.deliveriesPerSecond < w.deliveriesPerSecond ? s : w), undefined);
  const worst = worstRun?.deliveriesPerSecond ?? Number.NaN;
  const bare = d.ceilings.find((c) => c.signed);
  const targets: TargetCheck[] = [{
    name: 'Fan-out throughput at the default concurrency',
    target: `≥ ${FANOUT_TARGET_FRACTION * 100}% of the physical limit (${limit.toLocaleString('en-US')}/s)`,
    measured: `${pct(worst)} (${worst.toLocaleString('en-US')}/s, the lowest over ${d.single.map((s) => s.audience.toLocaleString('en-US')).join(' / ')})`,
    met: worst >= FANOUT_TARGET_FRACTION * limit,
    ...(worst < FANOUT_TARGET_FRACTION * limit
      ? { note: `short by ${round(100 * (FANOUT_TARGET_FRACTION - worst / limit), 1)} points of the limit, at ${worstRun!.audience.toLocaleString('en-US')} subscribers: `
        + `the invocation spends ${worstRun!.readMs} of its ${worstRun!.durationMs} ms in audience Queries (posting starts after the first page of 100)`
        + `${bare ? `; bare signed HTTP posts reach ${pct(bare.deliveriesPerSecond)} of the limit on this machine (the harness's own ceiling)` : ''}.` }
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
      + `the handler invocation (Query included, bundle loading excluded). One instance delivers the notification several times in a row `
      + '(5 at 1,000 subscribers, 3 at 10,000, 2 at 50,000): the first is a fresh instance\'s (cold), the figures are the median of the others '
      + '(warm, as an instance in a stream of notifications is); the baselines are measured the same way (their second run). '
      + 'Each run is checked to reach every subscriber.',
    tables: [
      {
        caption: 'One deliver instance, whole audience (shard threshold raised above it), against the tutorials\' broadcast:',
        headers: ['Subscribers', 'deliver (ms)', 'audience Queries (ms, overlapping the posts)', 'Deliveries/s', '% of limit', 'Cold: deliveries/s', 'Max in flight', 'CPU per post (ms)', 'Tutorial Promise.all (deliveries/s)', 'Ratio', 'Tutorial one-by-one (deliveries/s)', 'Ratio'],
        rows: d.single.map((s) => {
          const all = baseline(s.audience, 'all');
          const seq = baseline(s.audience, 'sequential');
          return [
            s.audience, s.durationMs, s.readMs, s.deliveriesPerSecond, pct(s.deliveriesPerSecond), s.coldDeliveriesPerSecond, s.maxInFlight, s.cpuMsPerPost,
            all?.error ? `failed: ${all.error}` : all?.deliveriesPerSecond ?? 'n/a', all && !all.error ? ratio(s.deliveriesPerSecond, all.deliveriesPerSecond) : 'n/a',
            seq?.deliveriesPerSecond ?? 'n/a', seq ? ratio(s.deliveriesPerSecond, seq.deliveriesPerSecond) : 'n/a',
          ];
        }),
      },
      ...(d.ceilings.length > 0 ? [{
        caption: `What the harness allows: the same ${d.ceilings[0].posts.toLocaleString('en-US')} posts at the same concurrency from a fresh process, without the SDK:`,
        headers: ['Client', 'Deliveries/s', '% of limit', 'CPU per post (ms)', 'deliver ÷ this'],
        rows: [
          ...d.ceilings.map((c) => {
            const single = d.single.find((x) => x.audience === c.posts);
            return [c.signed ? 'bare keep-alive http.request, SigV4-signed (@smithy/signature-v4)' : 'bare keep-alive http.request, unsigned', c.deliveriesPerSecond, pct(c.deliveriesPerSecond), c.cpuMsPerPost,
              single ? ratio(single.deliveriesPerSecond, c.deliveriesPerSecond) : 'n/a'] as Array<string | number>;
          }),
          ...d.single.filter((x) => x.audience === d.ceilings[0].posts).map((x) => ['deliver (its @connections poster and fan-out engine)', x.deliveriesPerSecond, pct(x.deliveriesPerSecond), x.cpuMsPerPost, 1] as Array<string | number>),
        ],
      }] : []),
      ...(d.sharded.length > 0 ? [{
        caption: `The default path above the shard threshold (${SETTINGS['delivery.shardThreshold'].default.toLocaleString('en-US')}): shard messages of ${SETTINGS['delivery.shardSize'].default.toLocaleString('en-US')} connections on the queue:`,
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
      ...cpuNote(d, pct),
      'Tutorial Promise.all: the tutorials\' `Promise.all(connections.map(post))` after a paginated Query, with the AWS SDK v3 client\'s defaults; '
        + 'its in-flight posts are capped only by the HTTP agent\'s socket pool (50 sockets by default), and it keeps a promise per connection in memory.',
      `Tutorial one-by-one: \`for … await post\`; measured over the first ${d.baselines.find((b) => b.mode === 'sequential')?.attempted ?? 'n/a'} connections of each audience (its rate does not depend on the audience; all of 50,000 would take minutes).`,
      ...(d.sharded.length > 0 ? [`End to end: reading the audience and enqueueing shards, then the slowest of ${d.sharded[0].instances} deliver instances `
        + 'running at the same time on this machine, each taking its share of the shards one SQS batch at a time; invocation time only (each '
        + `instance's bundle load is the cold-init figure of section 3). With ${d.sharded[0].instances} instances on 2 cores the instances share the CPU: `
        + 'in AWS each has its own, so the end-to-end figure here is a floor, not a ceiling.'] : []),
    ],
    targets,
    headlines: [
      ...d.single.map((x) => {
        const all = baseline(x.audience, 'all');
        return {
          figure: `Fan-out to ${x.audience.toLocaleString('en-US')} subscribers, one warm deliver instance`,
          measured: `${x.deliveriesPerSecond.toLocaleString('en-US')} deliveries/s (${pct(x.deliveriesPerSecond)} of the limit)`,
          baseline: all && !all.error ? `tutorial Promise.all: ${all.deliveriesPerSecond.toLocaleString('en-US')}/s` : `tutorial Promise.all: ${all?.error ?? 'n/a'}`,
          ratio: all && !all.error ? ratio(x.deliveriesPerSecond, all.deliveriesPerSecond) : 'n/a',
        };
      }),
      ...d.sharded.map((x) => {
        const single = d.single.find((y) => y.audience === x.audience);
        return {
          figure: `Fan-out to ${x.audience.toLocaleString('en-US')}, default sharding, ${x.instances} instances, end to end`,
          measured: `${x.endToEndPerSecond.toLocaleString('en-US')} deliveries/s`,
          baseline: single ? `one instance, no sharding: ${single.deliveriesPerSecond.toLocaleString('en-US')}/s` : 'n/a',
          ratio: single ? ratio(x.endToEndPerSecond, single.deliveriesPerSecond) : 'n/a',
        };
      }),
    ],
    data: d,
  };
}

function cpuNote(d: FanoutData, pct: (x: number) => string): string[] {
  const largest = d.single[d.single.length - 1];
  if (!largest) return [];
  const signed = d.ceilings.find((c) => c.signed);
  const bare = d.ceilings.find((c) => !c.signed);
  const ceiling = Math.round(1000 / largest.cpuMsPerPost);
  return [`CPU per post is the deliver process's CPU time (user + system) over the measured invocation divided by the posts: at `
    + `${largest.cpuMsPerPost} ms per post, one core of this machine could not go past about ${ceiling.toLocaleString('en-US')} posts/s. `
    + (signed && bare ? `For comparison, a bare keep-alive \`http.request\` costs ${bare.cpuMsPerPost} ms per post unsigned and ${signed.cpuMsPerPost} ms `
      + `SigV4-signed (as API Gateway requires), and reaches ${pct(signed.deliveriesPerSecond)} of the limit signed: that is what the local server and `
      + 'this machine allow, so the share of the limit deliver reaches should be read against it. ' : '')
    + 'A Lambda function has a full vCPU only from 1,769 MB; at the construct\'s default memory (512 MB) it has under a third of one, '
    + 'so in AWS CPU per post bounds one instance\'s rate, scaled by the memory setting; large audiences are what the shards are for.'];
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
        ...(all ? [[`tutorial Promise.all over ${all.audience.toLocaleString('en-US')} (baseline)`, 'n/a', all.error ? `failed: ${all.error}` : all.peakRssMB, 'n/a', 'n/a'] as Array<string | number>] : []),
      ],
    }],
    notes: ['The fan-out engine keeps a fixed pool of workers over one list of ids, so memory grows with the id list (about 16 bytes of id per subscriber plus array overhead), not with promises per subscriber as in the Promise.all baseline.'],
    headlines: [{
      figure: `deliver peak memory, ${single.audience.toLocaleString('en-US')} subscribers`,
      measured: `${single.peakRssMB} MB RSS`,
      baseline: all && !all.error ? `idle after load: ${single.idleRssMB} MB; tutorial Promise.all: ${all.peakRssMB} MB` : `idle after load: ${single.idleRssMB} MB`,
      ratio: all && !all.error ? ratio(single.peakRssMB, all.peakRssMB) : ratio(single.peakRssMB, single.idleRssMB),
    }],
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
