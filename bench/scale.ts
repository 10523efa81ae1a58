/**
 * Benchmark 13: the million-connection plan. Not a measurement of AWS (nothing is deployed): the
 * per-call costs measured by benchmarks 1 and 2 (of this run, or of the committed run when they
 * did not run), AWS's documented quotas (each cited), and a simulation of a reconnect storm that
 * runs the client library's own backoff (bench/lib/reconnect-storm.ts) against the new-connection
 * quota. Every figure says where it comes from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../lib/private/settings';
import { HOT_TOPIC_PARTITIONS } from '../lambda/stores/keys';
import type { BenchContext } from './run';
import { PRICES } from './lib/prices';
import { seededRandom, simulateReconnectStorm, StormResult } from './lib/reconnect-storm';
import { SectionResult } from './lib/report';
import { round } from './lib/stats';

const FLEET = 1_000_000;

/** AWS's documented quotas the plan uses, with where each is written. */
export const QUOTAS = {
  newConnections: {
    name: 'API Gateway: new WebSocket connections per second, per account and Region', value: 500, adjustable: 'yes',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
  },
  connectionDuration: {
    name: 'API Gateway: WebSocket connection duration', value: 7_200, adjustable: 'no', unit: 's',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
  },
  accountThrottle: {
    name: 'API Gateway: requests per second per account and Region, across HTTP, REST, WebSocket and WebSocket callback (@connections) APIs', value: 10_000, adjustable: 'yes (quota L-8A5B8E43)',
    burst: 5_000,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
  },
  lambdaConcurrency: {
    name: 'Lambda: concurrent executions per account and Region', value: 1_000, adjustable: 'yes',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  lambdaScaling: {
    name: 'Lambda: new execution environments per function, every 10 s', value: 1_000, adjustable: 'no',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html',
  },
  sqsPollers: {
    name: 'Lambda SQS event source (standard queue): concurrent batches to start, added per minute, at most', value: 5, perMinute: 300, max: 1_000, adjustable: 'no',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
  },
  partitionWrites: {
    name: 'DynamoDB: write units per second per partition', value: 1_000, adjustable: 'no',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
  },
  partitionReads: {
    name: 'DynamoDB: read units per second per partition', value: 3_000, adjustable: 'no',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
  },
  tableThroughput: {
    name: 'DynamoDB: on-demand read and write request units per second, per table', value: 40_000, adjustable: 'yes',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
  },
} as const;

/** A Lambda function has one full vCPU at 1,769 MB, and CPU in proportion below it. */
const FULL_VCPU_MB = 1_769;
const CONSTRUCT_MEMORY_MB = SETTINGS['functions.memorySize'].default;
/** AWS's "single-digit milliseconds" for one DynamoDB call, at its high end (section 7's model). */
const AWS_DYNAMODB_CALL_MS = 10;

interface Measured {
  /** Where the measured figures come from. */
  readonly from: string;
  readonly connectMs: number;
  readonly authorizeMs: number;
  readonly connectCalls: number;
  readonly connectWriteUnits: number;
  readonly subscribeMs: number;
  readonly subscribeWriteUnits: number;
  /** CPU of deliver per post (the lowest, at the largest audience measured). */
  readonly cpuMsPerPost: number;
  /** Read units per 1,000 subscribers read for a fan-out. */
  readonly readUnitsPerThousand: number;
  /** One instance reading the audience and enqueueing shards: subscribers per second. */
  readonly resolvePerSecond: number;
}

interface RouteFigures { action: string; writeUnitsPer: number; medianDurationMs: number; summary: { calls: number }; count: number }
interface FanoutFigures { single: Array<{ audience: number; cpuMsPerPost: number; capacity: { readUnits: number } }>; sharded: Array<{ audience: number; resolveMs: number }> }

/** The per-call figures from this run's benchmarks 1 and 2, or from the committed run's. */
function measured(ctx: BenchContext): Measured {
  let capacity = ctx.results.get('capacity')?.data as { routes: RouteFigures[] } | undefined;
  let fanout = ctx.results.get('fanout')?.data as FanoutFigures | undefined;
  let from = 'this run';
  if (!capacity?.routes || !fanout?.single?.length) {
    const committed = JSON.parse(readFileSync(join(__dirname, 'results.json'), 'utf8')) as { date: string; sections: Record<string, { data: unknown }> };
    capacity = capacity?.routes ? capacity : committed.sections.capacity?.data as { routes: RouteFigures[] };
    fanout = fanout?.single?.length ? fanout : committed.sections.fanout?.data as FanoutFigures;
    from = `the committed run of ${committed.date.slice(0, 10)} (bench/results.json) for what this run did not measure`;
  }
  const route = (prefix: string) => {
    const r = capacity!.routes.find((x) => x.action.startsWith(prefix));
    if (!r) throw new Error(`no measured ${prefix} route`);
    return r;
  };
  const largest = fanout!.single[fanout!.single.length - 1];
  const sharded = fanout!.sharded[fanout!.sharded.length - 1];
  return {
    from,
    connectMs: route('connect').medianDurationMs,
    authorizeMs: route('authorize').medianDurationMs,
    connectCalls: route('connect').summary.calls / route('connect').count,
    connectWriteUnits: route('connect').writeUnitsPer,
    subscribeMs: route('subscribe').medianDurationMs,
    subscribeWriteUnits: route('subscribe').writeUnitsPer,
    cpuMsPerPost: largest.cpuMsPerPost,
    readUnitsPerThousand: (1000 * largest.capacity.readUnits) / largest.audience,
    resolvePerSecond: sharded ? sharded.audience / (sharded.resolveMs / 1000) : Number.NaN,
  };
}

interface StormCase {
  readonly label: string;
  readonly quotaPerSecond: number;
  readonly backoff: { initialDelayMs?: number; maxDelayMs?: number };
}

function stormCases(): StormCase[] {
  const q = QUOTAS.newConnections.value;
  const spread = Math.ceil((FLEET / q) * 1000);
  return [
    { label: 'the client\'s defaults (first wait up to 0.5 s, doubling to 30 s)', quotaPerSecond: q, backoff: {} },
    { label: 'maxDelayMs 120 s', quotaPerSecond: q, backoff: { maxDelayMs: 120_000 } },
    { label: `initialDelayMs = maxDelayMs = fleet ÷ quota (${round(spread / 1000, 0).toLocaleString('en-US')} s)`, quotaPerSecond: q, backoff: { initialDelayMs: spread, maxDelayMs: spread } },
    { label: 'the client\'s defaults', quotaPerSecond: 2_000, backoff: {} },
    { label: 'the client\'s defaults', quotaPerSecond: 10_000, backoff: {} },
  ];
}

const minutes = (ms: number) => (Number.isFinite(ms) ? `${round(ms / 60_000, 1)} min` : 'not within 4 h');
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const usd = (x: number) => `$${x < 0.01 ? x.toFixed(4) : x.toFixed(2)}`;

export async function scaleSection(ctx: BenchContext): Promise<SectionResult> {
  const m = measured(ctx);
  const storms: Array<{ storm: StormCase; result: StormResult }> = stormCases().map((storm, i) => ({
    storm,
    result: simulateReconnectStorm({ clients: FLEET, quotaPerSecond: storm.quotaPerSecond, backoff: storm.backoff, random: seededRandom(42 + i) }),
  }));
  const quota = QUOTAS.newConnections.value;
  const throttle = QUOTAS.accountThrottle;
  const connectSeconds = FLEET / quota;
  const renewalsPerSecond = FLEET / QUOTAS.connectionDuration.value;
  // $connect runs the authorizer and the connect function; locally, and with AWS's DynamoDB latency added per call.
  const connectLocalMs = m.authorizeMs + m.connectMs;
  const connectAwsMs = connectLocalMs + m.connectCalls * AWS_DYNAMODB_CALL_MS;
  const connectConcurrency = (quota * connectAwsMs) / 1000;
  const connectWrites = quota * m.connectWriteUnits;
  const topicWritesPerSubscribe = 1; // the subscription item (under 1 KB) on the topic's partition; its index write lands under the connection's key
  // One broadcast to the fleet.
  const broadcastPostSeconds = Math.max(0, FLEET - throttle.burst) / throttle.value;
  const cpuShare = CONSTRUCT_MEMORY_MB / FULL_VCPU_MB;
  const postsPerInstance = cpuShare / (m.cpuMsPerPost / 1000);
  const instancesForThrottle = Math.ceil(throttle.value / postsPerInstance);
  const deliverGbSeconds = (FLEET / postsPerInstance) * (CONSTRUCT_MEMORY_MB / 1024);
  const shardSize = SETTINGS['delivery.shardSize'].default;
  const shards = Math.ceil(FLEET / shardSize);
  const readUnits = (FLEET / 1000) * m.readUnitsPerThousand;
  const readSeconds = readUnits / QUOTAS.partitionReads.value;
  const costs = {
    messages: (FLEET / 1e6) * PRICES.apiGatewayMessage.usd,
    lambda: deliverGbSeconds * PRICES.lambdaGbSecondArm.usd + ((shards + 1) / 1e6) * PRICES.lambdaRequest.usd,
    reads: (readUnits / 1e6) * PRICES.dynamoRead.usd,
    sqs: ((3 * shards) / 1e6) * PRICES.sqsRequest.usd,
  };
  const broadcastUsd = costs.messages + costs.lambda + costs.reads + costs.sqs;
  const fastest = storms.find((s) => s.storm.quotaPerSecond === 10_000)!;
  const defaults = storms[0];

  return {
    id: 'scale',
    title: '13. A million connections: the plan',
    method: 'Nothing here is measured on AWS: the figures are AWS\'s documented quotas (first table, each with its source), the per-call costs '
      + `measured by benchmarks 1 and 2 (from ${m.from}), and a simulation of a reconnect storm. The simulation drops all ${n(FLEET)} clients at the `
      + 'same moment and lets each dial again with the client library\'s own backoff (`backoffDelay` from client/src/backoff.ts, imported; after a drop, '
      + 'attempt k waits backoffDelay(k), as client/src/client.ts dials) against the new-connection quota modelled as a token bucket holding one second '
      + 'of the quota (AWS documents the rate, not a burst), in 10 ms steps, with a seeded random generator; a refused handshake is a failed dial. '
      + 'Handshake times are left out.',
    tables: [
      {
        caption: 'The quotas the plan uses (defaults, per account and Region unless said):',
        headers: ['Quota', 'Default', 'Can be raised', 'Source'],
        rows: Object.values(QUOTAS).map((q) => [q.name, n(q.value) + ('unit' in q ? ` ${q.unit}` : '') + ('burst' in q ? ` (burst ${n(q.burst)})` : '') + ('perMinute' in q ? ` (+${q.perMinute}/min, at most ${n(q.max)})` : ''), q.adjustable, q.source]),
      },
      {
        caption: `${n(FLEET)} clients reconnecting at once (the simulation):`,
        headers: ['Backoff (client `reconnect` option) and quota', 'Half connected', '90%', '99%', 'All', 'Dials', 'Refused', 'Busiest second (dials)', 'Quota used'],
        rows: storms.map(({ storm, result: r }) => [
          `${storm.label}; quota ${n(storm.quotaPerSecond)}/s`, minutes(r.connectedByMs.p50), minutes(r.connectedByMs.p90), minutes(r.connectedByMs.p99), minutes(r.connectedByMs.all),
          n(r.attempts), n(r.refused), n(r.peakAttemptsPerSecond), `${round(100 * r.quotaUse, 0)}%`,
        ]),
      },
      {
        caption: `The plan for ${n(FLEET)} connections:`,
        headers: ['Figure', 'Value', 'From'],
        rows: [
          ['Connect the fleet (clients arriving as fast as the quota allows)', minutes(connectSeconds * 1000), `${n(FLEET)} ÷ ${n(quota)}/s`],
          ['Reconnect the fleet after everyone dropped, client defaults', `all in ${minutes(defaults.result.connectedByMs.all)}; half in ${minutes(defaults.result.connectedByMs.p50)}`, 'the simulation'],
          ['… with the quota raised to 10,000/s', `all in ${minutes(fastest.result.connectedByMs.all)}`, 'the simulation'],
          ['New connections just to stay connected (each connection lasts at most 2 h; the client renews before)', `${n(renewalsPerSecond)}/s, ${round((100 * renewalsPerSecond) / quota, 0)}% of the default quota`, `${n(FLEET)} ÷ 7,200 s`],
          ['Lambda concurrency for connects at the quota (authorizer + connect)', `${round(connectConcurrency, 0)}`, `${n(quota)}/s × ${round(connectAwsMs, 1)} ms (measured ${round(connectLocalMs, 2)} ms locally, + ${round(m.connectCalls, 0)} DynamoDB calls × ${AWS_DYNAMODB_CALL_MS} ms in AWS)`],
          ['DynamoDB writes for connects at the quota', `${n(connectWrites)} WCU/s (connections table, spread over connection ids)`, `${n(quota)}/s × ${m.connectWriteUnits} WCU measured per connect`],
          ['… and for each topic every client subscribes to', `${n(quota * m.subscribeWriteUnits)} WCU/s, of which ${n(quota * topicWritesPerSubscribe)}/s on the topic\'s one partition key`, `${m.subscribeWriteUnits} WCU measured per subscribe; ${n(QUOTAS.partitionWrites.value)} WCU/s per partition`],
          ['One broadcast to the fleet: @connections posts', `${round(broadcastPostSeconds, 0)} s at the least`, `(${n(FLEET)} − the ${n(throttle.burst)} burst) ÷ ${n(throttle.value)} requests/s, the account throttle shared with every API Gateway API`],
          ['… deliver instances to post at that rate', `${instancesForThrottle} (about ${n(postsPerInstance)} posts/s each)`, `${round(m.cpuMsPerPost, 3)} ms of CPU per post measured, on the ${round(cpuShare, 2)} vCPU of ${CONSTRUCT_MEMORY_MB} MB; SQS starts 5 batches at once`],
          ['… reading the audience', `${n(readUnits)} read units; ${round(readSeconds, 1)} s at the least on one partition (${n(m.resolvePerSecond)} subscribers/s read and enqueued by one instance here)`, `${round(m.readUnitsPerThousand, 2)} RCU per 1,000 subscribers measured; ${n(QUOTAS.partitionReads.value)} RCU/s per partition`],
          ['… shard messages', `${n(shards)}`, `${n(FLEET)} ÷ shardSize ${n(shardSize)}`],
          ['… cost', `${usd(broadcastUsd)}: API Gateway messages ${usd(costs.messages)}, Lambda ${usd(costs.lambda)}, DynamoDB ${usd(costs.reads)}, SQS ${usd(costs.sqs)}`, 'bench/lib/prices.ts (us-east-1); frames under 32 KB'],
        ],
      },
    ],
    notes: [
      `The first limit hit is the new-connection quota (${n(quota)}/s): after a deploy or an outage the fleet needs ${minutes(defaults.result.connectedByMs.all)} `
        + `to come back whatever the clients do, because the quota admits ${n(quota)} a second. The backoff only decides how many refused dials that costs: `
        + `${n(defaults.result.refused)} with the defaults (${n(defaults.result.peakAttemptsPerSecond)} in the first second), ${n(storms[1].result.refused)} with maxDelayMs 120 s. `
        + `Spreading the first attempts over fleet ÷ quota (${minutes((FLEET / quota) * 1000)}) keeps the storm within the quota (${n(storms[2].result.refused)} refused) `
        + 'but makes every client wait as long on average: no backoff setting brings the fleet back sooner. Raising the quota does: '
        + `10,000/s brings everyone back in ${minutes(fastest.result.connectedByMs.all)}.`,
      `The second is the account's request throttle (${n(throttle.value)}/s): every @connections post of a broadcast counts, and so do the connects `
        + 'and client messages of every API in the account, so a broadcast during a reconnect storm shares it. A broadcast to a million takes '
        + `${round(broadcastPostSeconds, 0)} s at the default; deliver halves its posts in flight on 429s and retries, then re-queues what still fails for those connections only (dead-lettered after delivery.maxReceiveCount receives).`,
      `The third appears once the connect quota is raised: a topic every client subscribes to takes one write per subscribe on one partition key, so above `
        + `${n(QUOTAS.partitionWrites.value)} subscribes a second to one topic its partition throttles (benchmark 14 measures what that does), unless the topic `
        + `is named in hotTopics.subscriptionRules, which spreads its subscriptions over ${HOT_TOPIC_PARTITIONS} keys.`,
      `Lambda is not the limit: connects need about ${round(connectConcurrency, 0)} concurrent executions at the default quota (${round((10_000 * connectAwsMs) / 1000, 0)} at 10,000/s), `
        + `a broadcast about ${instancesForThrottle} deliver instances, against ${n(QUOTAS.lambdaConcurrency.value)} concurrent executions by default; `
        + 'the SQS event source starts 5 batches at once and adds up to 300 a minute.',
    ],
    targets: [],
    headlines: [{
      figure: `Reconnect ${n(FLEET)} clients after a drop (simulated, client's backoff, default quota)`,
      measured: `all in ${minutes(defaults.result.connectedByMs.all)}`,
      baseline: `quota raised to 10,000/s: ${minutes(fastest.result.connectedByMs.all)}`,
      ratio: round(defaults.result.connectedByMs.all / fastest.result.connectedByMs.all, 1),
    }],
    data: { fleet: FLEET, measured: m, storms, broadcast: { postSeconds: broadcastPostSeconds, instances: instancesForThrottle, readUnits, shards, costs, usd: broadcastUsd }, connect: { seconds: connectSeconds, renewalsPerSecond, concurrency: connectConcurrency, writeUnits: connectWrites } },
  };
}
