/**
 * Benchmark 9: what keeping history costs deliver. The real deliver bundle in the fan-out rig of
 * benchmark 1 (the embedded DynamoDB behind the recording proxy, the @connections process
 * holding each post):
 * - DynamoDB units per notification: the same notifications to a topic with history and to one
 *   without (and to a user with history.userStreams on and off), one subscriber each;
 * - fan-out throughput with history on and off, same audience, the runs interleaved.
 */
import { RuntimeSettings } from '../lib/private/handlers';
import { summariseCapacity, CapacitySummary } from './lib/capacity-model';
import { connectionIdOf, seedSubscribers } from './lib/dynamo-fixture';
import { events, KILOBYTE_FRAME, notificationEventBody, sizedNotification, sqsEvent } from './lib/events';
import { runHandler } from './lib/handler-run';
import { SectionResult, TargetCheck } from './lib/report';
import { benchSettings, lambdaProcessEnv } from './lib/settings';
import { median, ratio, round } from './lib/stats';
import { describeCalls } from './capacity';
import { deliverEnv, FanoutRig, singleInstance, SingleInstanceRun, withAudience, withFanoutRig } from './fanout';

/** Fan-out throughput with history may be at most this far below the same fan-out without. */
export const HISTORY_FANOUT_TOLERANCE = 0.1;

export interface HistoryCostOptions {
  readonly latencyMs: number;
  /** Notifications per case of the per-notification figures (one per SQS batch). */
  readonly notifications: number;
  readonly audiences: readonly number[];
  /** Pairs of fan-out runs (without, with history) per audience; the order alternates. */
  readonly rounds: number;
}

/** What one notification cost, over a run of them (one per invocation). */
interface NotificationCost {
  readonly readUnitsPer: number;
  readonly writeUnitsPer: number;
  readonly summary: CapacitySummary;
  readonly count: number;
  /** deliver's warm invocation time (ms, median). */
  readonly medianMs: number;
  readonly frameBytes: number;
}

interface CostPair {
  readonly notification: string;
  readonly without: NotificationCost;
  readonly with: NotificationCost;
}

interface FanoutPair {
  readonly audience: number;
  readonly without: SingleInstanceRun[];
  readonly with: SingleInstanceRun[];
}

const KEPT = 'kept/*';
const COST_USER = 'cost-user';

export async function benchHistoryCost(o: HistoryCostOptions): Promise<SectionResult> {
  return withFanoutRig(o.latencyMs, async (rig) => {
    const costs = await measureCosts(rig, o.notifications);
    const fanout: FanoutPair[] = [];
    for (const audience of o.audiences) {
      fanout.push(await withAudience(rig, audience, async (ctx) => {
        const pair: FanoutPair = { audience, without: [], with: [] };
        for (let r = 0; r < o.rounds; r++) {
          for (const kept of r % 2 === 0 ? [false, true] : [true, false]) {
            const run = await singleInstance(ctx, kept ? { historyRules: [ctx.topic] } : {});
            (kept ? pair.with : pair.without).push(run);
          }
        }
        return pair;
      }));
    }
    return section(o, costs, fanout);
  });
}

async function measureCosts(rig: FanoutRig, count: number): Promise<CostPair[]> {
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const subscriber = async (topic: string, i: number) => {
    const ids = await seedSubscribers(rig.fixture.dynamo.client, topic, 1, expiresAt, () => connectionIdOf(900_000 + i));
    await rig.server.register(ids);
  };
  const topics = { plain: 'plain/cost', plainKb: 'plain/cost-kb', kept: 'kept/cost', keptKb: 'kept/cost-kb' };
  await Promise.all(Object.values(topics).map(subscriber));
  // The user's one connection, written by the connect bundle as $connect writes it.
  const userConnection = connectionIdOf(990_000);
  const connected = await runHandler<{ statusCode?: number }>('connect', [events.connect(userConnection, COST_USER)],
    lambdaProcessEnv('connect', benchSettings(), { dynamodb: rig.fixture.dynamo.endpoint }));
  if (connected.results[0]?.statusCode !== 200) throw new Error('the user of the cost runs could not connect');
  await rig.server.register([userConnection]);

  const small = (target: { topic: string } | { userId: string }) => (i: number) => ({ ...target, id: `cost-${i}`, data: { orderId: 42, status: 'shipped' } });
  const kilobyte = (target: { topic: string }) => (i: number) => sizedNotification(target, `cost-kb-${i}`);
  const topicRules = { historyRules: [KEPT] };
  const run = (detail: (i: number) => object, settings: Partial<RuntimeSettings>) => costOf(rig, count, detail, settings);
  return [
    { notification: 'to a topic, small, one subscriber', without: await run(small({ topic: topics.plain }), topicRules), with: await run(small({ topic: topics.kept }), topicRules) },
    { notification: `to a topic, 1 KB (frame of ${KILOBYTE_FRAME.toLocaleString('en-US')} bytes), one subscriber`, without: await run(kilobyte({ topic: topics.plainKb }), topicRules), with: await run(kilobyte({ topic: topics.keptKb }), topicRules) },
    { notification: 'to a user, small, one connection (history.userStreams off / on)', without: await run(small({ userId: COST_USER }), { 'history.userStreams': false }), with: await run(small({ userId: COST_USER }), { 'history.userStreams': true }) },
  ];
}

/** `count` notifications, one per invocation of a fresh deliver instance, and what each cost. */
async function costOf(rig: FanoutRig, count: number, detail: (i: number) => object, settings: Partial<RuntimeSettings>): Promise<NotificationCost> {
  await rig.server.reset();
  const mark = rig.fixture.proxy.capacity.length;
  const first = costRuns++ * count;
  const plan = Array.from({ length: count }, (_, i) => sqsEvent([notificationEventBody(detail(first + i))]));
  const run = await runHandler<{ batchItemFailures?: unknown[] }>('deliver', plan, deliverEnv(rig, settings));
  if (run.results.some((r) => (r?.batchItemFailures?.length ?? 0) > 0)) throw new Error(`deliver reported failed records for ${JSON.stringify(detail(0)).slice(0, 80)}`);
  const stats = await rig.server.stats();
  // A user's notification is followed by their unread count when their stream is kept (the inbox).
  const perNotification = 'userId' in detail(0) && settings['history.userStreams'] !== false ? 2 : 1;
  if (stats.posts !== count * perNotification) throw new Error(`${stats.posts} posts for ${count} notifications of ${JSON.stringify(detail(0)).slice(0, 80)}`);
  const summary = summariseCapacity(rig.fixture.proxy.capacity.slice(mark), rig.fixture.tables, rig.fixture.addIndexWrites);
  return {
    readUnitsPer: summary.readUnits / count,
    writeUnitsPer: summary.writeUnits / count,
    summary,
    count,
    medianMs: round(median(run.durationsMs.slice(1)), 2),
    frameBytes: stats.frameBytes,
  };
}

/** Notification ids stay unique across the cost runs (history gives each id one position). */
let costRuns = 0;

function section(o: HistoryCostOptions, costs: CostPair[], fanout: FanoutPair[]): SectionResult {
  const fmt = (x: number) => round(x, 4);
  const rate = (runs: SingleInstanceRun[]) => median(runs.map((r) => r.deliveriesPerSecond));
  const fanoutRatios = fanout.map((f) => ({ audience: f.audience, ratio: rate(f.with) / rate(f.without) }));
  const worst = fanoutRatios.reduce<{ audience: number; ratio: number } | undefined>((w, f) => (!w || f.ratio < w.ratio ? f : w), undefined);
  const floor = 1 - HISTORY_FANOUT_TOLERANCE;
  const kb = costs[1];
  const targets: TargetCheck[] = worst ? [{
    name: `Fan-out throughput with history (${fanout.map((f) => f.audience.toLocaleString('en-US')).join(' / ')} subscribers)`,
    target: `within ${HISTORY_FANOUT_TOLERANCE * 100}% of the same fan-out without history`,
    measured: fanoutRatios.map((f) => `${round(f.ratio, 3)}× at ${f.audience.toLocaleString('en-US')}`).join(', '),
    met: worst.ratio >= floor,
    ...(worst.ratio < floor ? { note: `${round(100 * (1 - worst.ratio), 1)}% slower at ${worst.audience.toLocaleString('en-US')} subscribers (the goal allows ${HISTORY_FANOUT_TOLERANCE * 100}%).` } : {}),
  }] : [];
  return {
    id: 'history-cost',
    title: '9. Stream history: what keeping notifications costs deliver',
    method: `The deliver bundle in the rig of benchmark 1 (the embedded DynamoDB behind the recording proxy of benchmark 2; the @connections process holding each post ${o.latencyMs} ms). `
      + `DynamoDB units: ${o.notifications} notifications per case, one per SQS batch, to a topic with one subscriber that keeps history (historyRules \`${KEPT}\`) and to one that does not, `
      + 'and to a user with one connection with history.userStreams off and on; every notification has its own id, as published ones do. Fan-out: one notification to N subscribers of one topic '
      + `(one instance delivering the whole audience, as in benchmark 1), with history on (historyRules naming the topic) and off, ${o.rounds} runs of each, alternating which goes first; `
      + 'each run is a fresh instance delivering several notifications in a row, and its figure the median of the warm ones.',
    tables: [
      {
        caption: 'DynamoDB units and deliver time per notification:',
        headers: ['Notification', 'Frame without → with (bytes)', 'RCU without', 'RCU with', 'RCU added', 'WCU without', 'WCU with', 'WCU added',
          'deliver ms without', 'deliver ms with', 'Time ratio', 'Calls with history, per notification'],
        rows: costs.map((c) => [c.notification, `${c.without.frameBytes} → ${c.with.frameBytes}`, fmt(c.without.readUnitsPer), fmt(c.with.readUnitsPer),
          fmt(c.with.readUnitsPer - c.without.readUnitsPer), fmt(c.without.writeUnitsPer), fmt(c.with.writeUnitsPer), fmt(c.with.writeUnitsPer - c.without.writeUnitsPer),
          c.without.medianMs, c.with.medianMs, ratio(c.with.medianMs, c.without.medianMs), describeCalls(c.with.summary, c.with.count)]),
      },
      {
        caption: 'Fan-out, one warm deliver instance, history on vs off (deliveries/s, median over the runs; each run\'s figure in brackets):',
        headers: ['Subscribers', 'History off', 'History on', 'On ÷ off', 'deliver ms off', 'deliver ms on', 'WCU per notification on', 'RCU per notification off → on'],
        rows: fanout.map((f) => [
          f.audience,
          `${rate(f.without).toLocaleString('en-US')} [${f.without.map((r) => r.deliveriesPerSecond.toLocaleString('en-US')).join(', ')}]`,
          `${rate(f.with).toLocaleString('en-US')} [${f.with.map((r) => r.deliveriesPerSecond.toLocaleString('en-US')).join(', ')}]`,
          ratio(rate(f.with), rate(f.without), 3),
          median(f.without.map((r) => r.durationMs)), median(f.with.map((r) => r.durationMs)),
          fmt(median(f.with.map((r) => r.capacity.writeUnits))),
          `${fmt(median(f.without.map((r) => r.capacity.readUnits)))} → ${fmt(median(f.with.map((r) => r.capacity.readUnits)))}`,
        ]),
      },
    ],
    notes: [
      'Keeping a notification is one read and three writes before anything is posted, whatever the audience: the claim read (eventually consistent GetItem, 0.5 RCU), '
        + 'the stream head (UpdateItem, 1 WCU), the position claim (PutItem, 1 WCU) and the kept frame (PutItem, 1 WCU per KB of frame and keys: a 1 KB frame with its keys is 2). '
        + 'So the units added per notification are fixed, and per delivery they shrink as the audience grows.',
      `The time added is those four calls one after another before the first post (here ${round(kb.with.medianMs - kb.without.medianMs, 2)} ms for a 1 KB notification to one subscriber, on the embedded engine behind the proxy; `
        + 'DynamoDB answers in a few milliseconds each). A fan-out pays it once, not per subscriber.',
      'Shards (audiences above the shard threshold) carry the notification with its position: they keep nothing again.',
    ],
    targets,
    headlines: [
      {
        figure: 'DynamoDB units added by history, per notification (1 KB, to a topic)',
        measured: `+${fmt(kb.with.writeUnitsPer - kb.without.writeUnitsPer)} WCU, +${fmt(kb.with.readUnitsPer - kb.without.readUnitsPer)} RCU`,
        baseline: `without history: ${fmt(kb.without.writeUnitsPer)} WCU, ${fmt(kb.without.readUnitsPer)} RCU`,
        ratio: `${ratio(kb.with.readUnitsPer, kb.without.readUnitsPer)} (RCU); writes only with history`,
      },
      ...fanout.map((f) => ({
        figure: `Fan-out to ${f.audience.toLocaleString('en-US')} with history on, one warm deliver instance`,
        measured: `${rate(f.with).toLocaleString('en-US')} deliveries/s`,
        baseline: `history off: ${rate(f.without).toLocaleString('en-US')}/s`,
        ratio: ratio(rate(f.with), rate(f.without), 3),
      })),
    ],
    data: { options: o, costs, fanout: fanout.map((f) => ({ audience: f.audience, without: f.without.map(trim), with: f.with.map(trim) })) },
  };
}

/** A run's figures for results.json, without the per-operation breakdown. */
function trim(r: SingleInstanceRun) {
  return { deliveriesPerSecond: r.deliveriesPerSecond, durationMs: r.durationMs, coldDurationMs: r.coldDurationMs, readMs: r.readMs, readUnits: r.capacity.readUnits, writeUnits: r.capacity.writeUnits };
}
