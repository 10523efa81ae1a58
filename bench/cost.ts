/**
 * Benchmark 5: the cost model. US dollars for a day of the seed articles' scenario (10,000
 * connected users, 1 million notifications a day), from the units measured in this run
 * (handler times, capacity units) and public list prices (lib/prices.ts), beside the seed
 * article's own figure for the same scenario.
 */
import type { ActionCapacity, SmallNotificationFigures } from './capacity';
import type { FanoutData } from './fanout';
import { CostLine, dailyCost, MeasuredUnits, total, Workload } from './lib/cost-model';
import { PRICES, PRICES_CHECKED, PRICES_REGION } from './lib/prices';
import { SectionResult } from './lib/report';
import { ratio, round } from './lib/stats';

/** The seed article's "Cost Analysis": 10K users, 1M messages a day. */
export const SEED_DAILY_USD = 7.89;

export const SCENARIO: Workload = {
  connections: 10_000,
  notificationsPerDay: 1_000_000,
  audience: 1,
  batchSize: 10,
  memoryMb: 512,
  reconnectEveryHours: 2,
  subscriptionsPerConnection: 2,
  pingsPerConnectionPerDay: Math.floor((24 * 60) / 9),
};

interface CapacityData {
  readonly routes: ActionCapacity[];
  readonly small: SmallNotificationFigures;
}

export function costSection(capacity: CapacityData | undefined, fanout: FanoutData | undefined): SectionResult {
  if (!capacity) {
    return { id: 'cost', title: '5. Cost model', method: '', tables: [], notes: [], targets: [], data: null, skipped: 'it needs the capacity benchmark\'s measured units' };
  }
  const route = (prefix: string) => capacity.routes.find((r) => r.action.startsWith(prefix));
  const ms = (prefix: string) => route(prefix)?.medianDurationMs ?? Number.NaN;
  const units: MeasuredUnits = {
    deliverMsPerNotification: capacity.small.msPerNotification,
    readUnitsPerNotification: capacity.small.readUnitsPerNotification,
    authorizerMs: ms('authorize'),
    connectMs: ms('connect'),
    disconnectMs: ms('disconnect'),
    messageMs: ms('subscribe'),
    connectWriteUnits: route('connect')!.writeUnitsPer,
    subscribeWriteUnits: route('subscribe')!.writeUnitsPer,
    subscribeReadUnits: route('subscribe')!.readUnitsPer,
    disconnectWriteUnits: route('disconnect')!.writeUnitsPer,
    disconnectReadUnits: route('disconnect')!.readUnitsPer,
  };
  const lines = dailyCost(units, SCENARIO);
  const all = total(lines);
  const seedScope = total(lines, (l) => l.inSeedScope);
  const delivery = lines.slice(0, 6);
  const perMillion = total(delivery);
  const usd = (x: number) => `$${x < 0.01 ? x.toFixed(4) : x.toFixed(2)}`;

  const fanoutRow = fanoutMarginal(fanout, units);
  return {
    id: 'cost',
    title: '5. Cost model',
    method: `A day of the seed articles' scenario: ${SCENARIO.connections.toLocaleString('en-US')} connections open all day and `
      + `${SCENARIO.notificationsPerDay.toLocaleString('en-US')} notifications, each to one connection, with the construct's defaults `
      + `(arm64, ${SCENARIO.memoryMb} MB, SQS batches of ${SCENARIO.batchSize}). Lambda time, read and write units are the ones measured in `
      + 'this run (sections 2 and 1), Lambda duration rounded up to the millisecond per invocation as billed; prices are AWS list prices '
      + `for ${PRICES_REGION}, on demand, without free tier, as compiled on ${PRICES_CHECKED} (bench/lib/prices.ts). Assumptions: clients reconnect every `
      + `${SCENARIO.reconnectEveryHours} hours (API Gateway's maximum connection time), hold ${SCENARIO.subscriptionsPerConnection} subscriptions, `
      + `and ping every 9 minutes to stay under the 10-minute idle timeout.`,
    tables: [
      {
        caption: 'One day:',
        headers: ['Item', 'Quantity', 'Unit', 'US$ per day', 'In the seed article\'s scope'],
        rows: lines.map((l) => [l.item, round(l.quantity, 1), l.unit, usd(l.usd), l.inSeedScope ? 'yes' : 'no']),
      },
      {
        caption: 'Totals against the seed article\'s figure:',
        headers: ['Figure', 'US$ per day', 'Ratio to the seed\'s $7.89'],
        rows: [
          ['Seed article (API Gateway, Lambda 200 ms × 512 MB per message, DynamoDB 1M writes + 10M reads)', usd(SEED_DAILY_USD), 1],
          ['This library, the items the seed counts', usd(seedScope), ratio(seedScope, SEED_DAILY_USD)],
          ['This library, everything above (EventBridge, SQS, subscribe frames, keep-alive pings)', usd(all), ratio(all, SEED_DAILY_USD)],
          [`Per million notifications, delivery only (the first ${delivery.length} lines)`, usd(perMillion), ratio(perMillion, SEED_DAILY_USD)],
          ...(fanoutRow ? [[fanoutRow.label, usd(fanoutRow.usd), 'n/a'] as Array<string | number>] : []),
        ],
      },
      {
        caption: `Prices (${PRICES_REGION}, compiled ${PRICES_CHECKED}):`,
        headers: ['Item', 'US$', 'Per', 'Source'],
        rows: Object.values(PRICES).map((p) => [p.item, p.usd, p.per, p.source]),
      },
    ],
    notes: [
      'The biggest lines are API Gateway\'s: connection minutes and messages. Lambda and DynamoDB are cents, because deliver handles ten notifications per invocation in a few milliseconds each and reads only subscription keys.',
      'The seed article counts 200 ms of Lambda per message and ten DynamoDB reads per message; measured here, a notification to one subscriber takes '
        + `${units.deliverMsPerNotification} ms of deliver time and ${units.readUnitsPerNotification} read units (one Query).`,
      'Not counted: CloudWatch Logs and metrics (the handlers log at INFO and emit EMF metrics: about $0.50 per GB ingested), data transfer out, DynamoDB storage (a few MB), the Lambda INIT phase of cold starts, and SQS\'s empty long polls when the queue is idle.',
    ],
    targets: [],
    headlines: [{
      figure: 'US$ per day: 10,000 users, 1 million notifications (the seed\'s scope)',
      measured: usd(seedScope),
      baseline: `seed article: ${usd(SEED_DAILY_USD)}`,
      ratio: ratio(seedScope, SEED_DAILY_USD),
    }, {
      figure: 'US$ per day, everything counted (EventBridge, SQS, keep-alive pings…)',
      measured: usd(all),
      baseline: `seed article: ${usd(SEED_DAILY_USD)}`,
      ratio: ratio(all, SEED_DAILY_USD),
    }],
    data: { scenario: SCENARIO, units, lines, totals: { all, seedScope, perMillionDeliveryOnly: perMillion, seedDailyUsd: SEED_DAILY_USD }, fanout: fanoutRow },
  };
}

/** Marginal cost of a million deliveries in a large fan-out, from the 10,000-subscriber run. */
function fanoutMarginal(fanout: FanoutData | undefined, units: MeasuredUnits): { label: string; usd: number } | undefined {
  const run = fanout?.single.find((s) => s.audience === 10_000) ?? fanout?.single[fanout.single.length - 1];
  if (!run) return undefined;
  const msPerDelivery = run.durationMs / run.delivered;
  const rcuPerDelivery = run.capacity.readUnits / run.delivered;
  const gbS = 1e6 * (msPerDelivery / 1000) * (SCENARIO.memoryMb / 1024);
  const usd = PRICES.apiGatewayMessage.usd + gbS * PRICES.lambdaGbSecondArm.usd + rcuPerDelivery * PRICES.dynamoRead.usd;
  void units;
  return { label: `Per million deliveries in a ${run.audience.toLocaleString('en-US')}-subscriber fan-out (messages + ${round(msPerDelivery, 3)} ms and ${round(rcuPerDelivery, 4)} RCU per delivery)`, usd };
}
