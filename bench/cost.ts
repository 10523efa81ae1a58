/**
 * Benchmark 5: the cost model. US dollars for a day of the tutorials' scenario (10,000
 * connected users, 1 million notifications a day), from the units measured in this run
 * (handler times, capacity units) and public list prices (bench/lib/prices.ts), beside the
 * tutorial design's estimate for the same scenario.
 */
import { ActionCapacity, ROOM_ACTIONS, SmallNotificationFigures } from './capacity';
import type { FanoutData } from './fanout';
import { pushCost } from './lib/cost-model';
import { measurePushCpuMs } from './push';
import { ActionUnits, chatDailyCost, ChatUnits, ChatWorkload, clientMessageCost, CostLine, dailyCost, MeasuredUnits, total, Workload } from './lib/cost-model';
import { PRICES, PRICES_CHECKED, PRICES_REGION } from './lib/prices';
import { SectionResult, Table } from './lib/report';
import { ratio, round } from './lib/stats';

/** The tutorial design's cost estimate for 10K users and 1M messages a day: API Gateway, Lambda 200 ms × 512 MB per message, DynamoDB 1M writes + 10M reads. */
export const TUTORIAL_DAILY_USD = 7.89;

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

/**
 * The sample chat app's day (the tutorials' chat: 10,000 users, 1 million messages a day),
 * on the same connection assumptions: each user in one room with presence, asking who is there
 * after each join. Rooms of ten: the tutorials' ten DynamoDB reads per message are one room's
 * connections.
 */
export const CHAT_SCENARIO: ChatWorkload = {
  ...SCENARIO,
  subscriptionsPerConnection: 0,
  messagesPerDay: 1_000_000,
  roomSize: 10,
  roomsPerConnection: 1,
  presenceQueriesPerJoin: 1,
};

/**
 * Assumed, not measured (no push service is reachable from the benchmark machine): how long
 * deliver waits for a push service's answer, within a region's network reach of FCM or Mozilla.
 */
export const PUSH_SERVICE_WAIT_MS = 50;

/** The room size of the latency benchmark, for the per-million figure. */
const LARGE_ROOM = 50;

interface CapacityData {
  readonly routes: ActionCapacity[];
  readonly room?: ActionCapacity[];
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
  const tutorialScope = total(lines, (l) => l.inTutorialScope);
  const delivery = lines.slice(0, 6);
  const perMillion = total(delivery);

  const fanoutRow = fanoutMarginal(fanout, units);
  const chat = capacity.room ? chatCost(units, capacity.room) : undefined;
  const push = pushSection();
  return {
    id: 'cost',
    title: '5. Cost model',
    method: `A day of the tutorials' scenario: ${SCENARIO.connections.toLocaleString('en-US')} connections open all day and `
      + `${SCENARIO.notificationsPerDay.toLocaleString('en-US')} notifications, each to one connection, with the construct's defaults `
      + `(arm64, ${SCENARIO.memoryMb} MB, SQS batches of ${SCENARIO.batchSize}). Lambda time, read and write units are the ones measured in `
      + 'this run (sections 2 and 1), Lambda duration rounded up to the millisecond per invocation as billed; prices are AWS list prices '
      + `for ${PRICES_REGION}, on demand, without free tier, as compiled on ${PRICES_CHECKED} (bench/lib/prices.ts). Assumptions: clients reconnect every `
      + `${SCENARIO.reconnectEveryHours} hours (API Gateway's maximum connection time), hold ${SCENARIO.subscriptionsPerConnection} subscriptions, `
      + `and ping every 9 minutes to stay under the 10-minute idle timeout.`
      + (chat ? ` The chat scenario (client messages, below) keeps these connection assumptions and adds its own: ${chat.assumptions}` : ''),
    tables: [
      dayTable('One day:', lines),
      totalsTable('Totals against the tutorial design\'s figure:', [
        ['Tutorial design estimate (API Gateway, Lambda 200 ms × 512 MB per message, DynamoDB 1M writes + 10M reads)', TUTORIAL_DAILY_USD],
        ['This library, the items the tutorial estimate counts', tutorialScope],
        ['This library, everything above (EventBridge, SQS, subscribe frames, keep-alive pings)', all],
        [`Per million notifications, delivery only (the first ${delivery.length} lines)`, perMillion],
      ], fanoutRow ? [[fanoutRow.label, usd(fanoutRow.usd), 'n/a']] : []),
      ...(chat ? chat.tables : []),
      push.table,
      {
        caption: `Prices (${PRICES_REGION}, compiled ${PRICES_CHECKED}):`,
        headers: ['Item', 'US$', 'Per', 'Source'],
        rows: Object.values(PRICES).map((p) => [p.item, p.usd, p.per, p.source]),
      },
    ],
    notes: [
      'The biggest lines are API Gateway\'s: connection minutes and messages. Lambda and DynamoDB are cents, because deliver handles ten notifications per invocation in a few milliseconds each and reads only subscription keys.',
      'The tutorial design counts 200 ms of Lambda per message and ten DynamoDB reads per message; measured here, a notification to one subscriber takes '
        + `${units.deliverMsPerNotification} ms of deliver time and ${units.readUnitsPerNotification} read units (one Query).`,
      ...(chat ? chat.notes : []),
      push.note,
      'Not counted: CloudWatch Logs and metrics (the handlers log at INFO and emit EMF metrics: about $0.50 per GB ingested), data transfer out, DynamoDB storage (a few MB), the Lambda INIT phase of cold starts, and SQS\'s empty long polls when the queue is idle.',
    ],
    targets: [],
    headlines: [{
      figure: 'US$ per day: 10,000 users, 1 million notifications (the tutorial estimate\'s scope)',
      measured: usd(tutorialScope),
      baseline: `tutorial design: ${usd(TUTORIAL_DAILY_USD)}`,
      ratio: ratio(tutorialScope, TUTORIAL_DAILY_USD),
    }, {
      figure: 'US$ per day, everything counted (EventBridge, SQS, keep-alive pings…)',
      measured: usd(all),
      baseline: `tutorial design: ${usd(TUTORIAL_DAILY_USD)}`,
      ratio: ratio(all, TUTORIAL_DAILY_USD),
    }, ...(chat ? [chat.headline] : [])],
    data: { push: push.data, scenario: SCENARIO, units, lines, totals: { all, tutorialScope, perMillionDeliveryOnly: perMillion, tutorialDailyUsd: TUTORIAL_DAILY_USD }, fanout: fanoutRow, chat: chat?.data },
  };
}

/** The push path: a million Web Push jobs to users with no connection open, one device each. */
function pushSection() {
  const cpuMs = round(measurePushCpuMs(), 3);
  const msPerPush = cpuMs + PUSH_SERVICE_WAIT_MS;
  const lines = pushCost({ msPerPush }, SCENARIO);
  return {
    table: dayTable(`Push path: 1,000,000 Web Push jobs (users with no connection open, one device each; ${cpuMs} ms of encryption and VAPID signing measured, ${PUSH_SERVICE_WAIT_MS} ms waiting for the push service assumed):`, lines),
    note: `Push: $${total(lines).toFixed(2)} per million pushes, on top of the notification's own delivery; the push services (FCM, Mozilla, Apple, Windows) do not bill the sender. `
      + 'Lambda time is mostly the wait for the push service\'s answer (assumed: none is reachable from here); the records of a batch are handled one after another in this model. '
      + 'A device is written (kept another TTL) at most once a day, so users pushed more often cost less than the last line. Mobile push through SNS (not built yet) would add $0.50 per million.',
    data: { cpuMsPerPush: cpuMs, assumedWaitMs: PUSH_SERVICE_WAIT_MS, lines, total: total(lines) },
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

const usd = (x: number) => `$${x < 0.01 ? x.toFixed(4) : x.toFixed(2)}`;

function dayTable(caption: string, lines: readonly CostLine[]): Table {
  return {
    caption,
    headers: ['Item', 'Quantity', 'Unit', 'US$ per day', 'In the tutorial design\'s scope'],
    rows: lines.map((l) => [l.item, round(l.quantity, 1), l.unit, usd(l.usd), l.inTutorialScope ? 'yes' : 'no']),
  };
}

/** Figures in US$ per day beside the tutorial design's, each with its ratio to it; `extra` rows as given. */
function totalsTable(caption: string, figures: ReadonlyArray<readonly [string, number]>, extra: ReadonlyArray<ReadonlyArray<string | number>> = []): Table {
  return {
    caption,
    headers: ['Figure', 'US$ per day', 'Ratio to the tutorial estimate\'s $7.89'],
    rows: [...figures.map(([label, x]) => [label, usd(x), ratio(x, TUTORIAL_DAILY_USD)]), ...extra],
  };
}

/** The chat scenario's tables, from the room actions the capacity benchmark measured. */
function chatCost(units: MeasuredUnits, room: readonly ActionCapacity[]) {
  const action = (name: string): ActionUnits => {
    const r = room.find((a) => a.action === name);
    if (!r) throw new Error(`the capacity benchmark did not measure "${name}"`);
    return { ms: r.medianDurationMs ?? Number.NaN, writeUnits: r.writeUnitsPer, readUnits: r.readUnitsPer };
  };
  const measuredRoom = room.find((a) => a.action === ROOM_ACTIONS.subscribe)!.count;
  const c: ChatUnits = {
    publish: action(ROOM_ACTIONS.publish),
    presence: action(ROOM_ACTIONS.presence),
    joinRoom: action(ROOM_ACTIONS.subscribe),
    disconnect: action(ROOM_ACTIONS.disconnect),
  };
  const w = CHAT_SCENARIO;
  const lines = chatDailyCost(units, c, w);
  const all = total(lines);
  const tutorialScope = total(lines, (l) => l.inTutorialScope);
  const perMillionLarge = total(clientMessageCost(c, { messagesPerDay: 1e6, roomSize: LARGE_ROOM, memoryMb: w.memoryMb }));
  const perMillion = total(clientMessageCost(c, { messagesPerDay: 1e6, roomSize: w.roomSize, memoryMb: w.memoryMb }));
  const perUser = w.messagesPerDay / w.connections;
  const assumptions = `${w.connections.toLocaleString('en-US')} users, one connection each, `
    + `${w.messagesPerDay.toLocaleString('en-US')} client messages a day (${perUser} per user) in rooms of ${w.roomSize} (each message posted to the other ${w.roomSize - 1}; `
    + `the tutorial design's ten DynamoDB reads per message are a room of about ten connections), every user in ${w.roomsPerConnection} room with presence and no other subscription, `
    + `rejoining it after every reconnect (a leave and a join announced to the other members) and asking who is there ${w.presenceQueriesPerJoin === 1 ? 'once' : `${w.presenceQueriesPerJoin} times`} after each join, `
    + `and the keep-alive pings as above (conservative: a client that hears from its room often may choose to ping less). `
    + `Message function time and units are the ones measured for a room of ${measuredRoom} (section 2): with the default delivery concurrency of 50, `
    + `a room of ${w.roomSize} is posted to in the same single wave, so the measured time is an upper bound.`;
  return {
    assumptions,
    tables: [
      dayTable(`Chat scenario: one day of ${w.messagesPerDay.toLocaleString('en-US')} client messages among ${w.connections.toLocaleString('en-US')} users in rooms of ${w.roomSize}:`, lines),
      totalsTable('Chat totals against the tutorial design\'s figure for its chat app:', [
        ['Tutorial design estimate (same scenario)', TUTORIAL_DAILY_USD],
        ['This library, the items the tutorial estimate counts', tutorialScope],
        ['This library, everything above (`published` answers, ClientMessage events, presence, subscribes, pings)', all],
        [`Per million client messages, messages only, rooms of ${w.roomSize}`, perMillion],
        [`Per million client messages, messages only, rooms of ${LARGE_ROOM}`, perMillionLarge],
      ]),
    ],
    notes: [
      `Chat: API Gateway bills every frame in and every post out, so the room size drives the bill: a message to a room of ${w.roomSize} is ${w.roomSize + 1} API Gateway messages `
        + `(in, ${w.roomSize - 1} posts, the sender's \`published\` answer). The message function adds ${c.publish.ms} ms (measured, warm), ${round(c.publish.writeUnits, 4)} WCU for the rate counter `
        + `and ${round(c.publish.readUnits, 4)} RCU for the audience Query per message; the ClientMessage event for backends is $1 per million.`,
    ],
    headline: {
      figure: `US$ per day, chat: 10,000 users, 1 million client messages in rooms of ${w.roomSize}, everything counted`,
      measured: `${usd(all)} (the tutorial estimate's scope: ${usd(tutorialScope)})`,
      baseline: `tutorial design: ${usd(TUTORIAL_DAILY_USD)}`,
      ratio: ratio(all, TUTORIAL_DAILY_USD),
    },
    data: { scenario: w, units: c, lines, totals: { all, tutorialScope, perMillion, perMillionLargeRoom: perMillionLarge, largeRoom: LARGE_ROOM } },
  };
}
