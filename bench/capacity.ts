/**
 * Benchmark 2: DynamoDB capacity per connect, per subscribe (and the other routes), and per
 * delivered notification. The real handler bundles run against the embedded engine through a
 * proxy that asks every call for its consumed capacity (ReturnConsumedCapacity: TOTAL); index
 * writes the engine leaves out are added by DynamoDB's documented rule (bench/lib/capacity-model.ts).
 * Baselines: the table design of the common API Gateway WebSocket tutorials, measured the same way in the same run.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DevIssuer } from '../local/auth/dev-issuer';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { LocalEventBus } from '../local/bus/event-bus';
import { ConnectionRegistry, handleConnectionsRequest, startConnectionsApi } from '../local/connections-api';
import { serveOnLoopback } from '../local/loopback-server';
import { startSqsApi } from '../local/sqs-api';
import { events, notificationEventBody, sqsEvent } from './lib/events';
import { summariseCapacity, CapacitySummary } from './lib/capacity-model';
import { batchPut, DynamoFixture, seedSubscribers, startDynamoFixture } from './lib/dynamo-fixture';
import { runHandler } from './lib/handler-run';
import { PRICES } from './lib/prices';
import { SectionResult, TargetCheck } from './lib/report';
import { createTutorialTable, queryRoom, TUTORIAL_TABLE, TUTORIAL_TABLE_DEFINITION, tutorialConnectionItem } from './lib/tutorial-design';
import { benchSettings, CHAT_SETTINGS, CHAT_TOPIC, lambdaProcessEnv } from './lib/settings';
import { median, ratio, round } from './lib/stats';
import { HandlerName } from '../lib/private/runtime-contract';

export const RCU_PER_DELIVERY_TARGET = 0.01;

/** Capacity of one kind of action, per action. */
export interface ActionCapacity {
  readonly action: string;
  readonly count: number;
  readonly readUnitsPer: number;
  readonly writeUnitsPer: number;
  readonly summary: CapacitySummary;
  /** Warm invocation time of the handler, median (for the cost model). */
  readonly medianDurationMs?: number;
}

/** What the fan-out benchmark measured for one audience, for the per-delivery rows. */
export interface DeliveryCapacity {
  readonly audience: number;
  readonly delivered: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly byOperation: CapacitySummary['byOperation'];
}

export interface CapacityOptions {
  readonly connections: number;
  readonly roomSize: number;
  readonly smallBatches: number;
  readonly latencyMs: number;
  readonly deliveries: DeliveryCapacity[];
  /** The chat room: members, and how many messages each member publishes. */
  readonly chat: { readonly members: number; readonly messagesPerMember: number };
}

export async function benchCapacity(options: CapacityOptions): Promise<SectionResult> {
  const fixture = await startDynamoFixture();
  let routes: ActionCapacity[];
  let room: ActionCapacity[];
  let small: SmallNotificationFigures;
  let tutorial: TutorialFigures;
  try {
    routes = await measureRoutes(fixture, options.connections);
    room = await measureRoom(fixture, options.chat.members, options.chat.messagesPerMember, options.latencyMs);
    small = await measureSmallNotifications(fixture, options.smallBatches, options.latencyMs);
    tutorial = await measureTutorial(fixture, options.connections, options.roomSize);
  } finally {
    await fixture.stop();
  }
  const crossCheck = fixture.dynamo.engine === 'embedded' ? await measureOnDynamoDbLocal(Math.min(options.connections, 50), options.chat.members) : undefined;
  return section(options.latencyMs, routes, room, small, tutorial, options.deliveries, fixture.dynamo.engine, crossCheck);
}

/**
 * The same route actions on DynamoDB Local, which reports index writes itself: a check of the
 * index-write rule applied to dynalite's figures. Fetched from Maven Central on first use.
 */
async function measureOnDynamoDbLocal(n: number, members: number): Promise<ActionCapacity[] | string> {
  let local;
  try {
    local = await startDynamoDbLocal();
  } catch (error) {
    return `DynamoDB Local could not start: ${(error as Error).message.split('\n')[0]}`;
  }
  try {
    const fixture = await startDynamoFixture(local.endpoint);
    try {
      return [...await measureRoutes(fixture, n), ...await measureRoom(fixture, members, 1, 0)];
    } finally {
      await fixture.stop();
    }
  } finally {
    await local.stop();
  }
}

export type Check = (result: any) => boolean;

/** Runs `events` through a fresh instance of `handler` and records what they cost, per event. */
export async function measureAction(fixture: DynamoFixture, action: string, handler: HandlerName, events: unknown[], env: Record<string, string>, check: Check): Promise<ActionCapacity> {
  const mark = fixture.proxy.capacity.length;
  const run = await runHandler(handler, events, env);
  const bad = run.results.findIndex((r) => !check(r));
  if (bad >= 0) throw new Error(`${action}: invocation ${bad} answered ${JSON.stringify(run.results[bad])}`);
  const summary = summariseCapacity(fixture.proxy.capacity.slice(mark), fixture.tables, fixture.addIndexWrites);
  return {
    action,
    count: events.length,
    readUnitsPer: summary.readUnits / events.length,
    writeUnitsPer: summary.writeUnits / events.length,
    summary,
    // The first invocation pays for opening connections; the rest are what a warm function costs.
    medianDurationMs: round(median(run.durationsMs.slice(1)), 2),
  };
}

/** The body of a route response: the frame sent back. */
export const frame = (r: { body?: string }) => JSON.parse(r.body ?? '{}');

async function measureRoutes(fixture: DynamoFixture, n: number): Promise<ActionCapacity[]> {
  const settings = benchSettings();
  const env = (h: HandlerName) => lambdaProcessEnv(h, settings, { dynamodb: fixture.proxy.endpoint });
  const ids = Array.from({ length: n }, (_, i) => `r${String(i).padStart(14, '0')}=`);
  const user = (i: number) => `user-${i}`;
  const out: ActionCapacity[] = [];
  const measure = async (action: string, handler: HandlerName, events: unknown[], check: Check) => {
    out.push(await measureAction(fixture, action, handler, events, env(handler), check));
  };

  await measure('connect', 'connect', ids.map((id, i) => events.connect(id, user(i))), (r) => r.statusCode === 200);
  await measure('subscribe', 'message', ids.map((id, i) => events.message(id, user(i),
    { action: 'subscribe', topic: 'orders/42', requestId: `r${i}` })), (r) => frame(r).type === 'subscribed');
  await measure('ping', 'message', ids.map((id, i) => events.message(id, user(i), { action: 'ping' })), (r) => frame(r).type === 'pong');
  await measure('unsubscribe', 'message', ids.map((id, i) => events.message(id, user(i),
    { action: 'unsubscribe', topic: 'orders/42' })), (r) => frame(r).type === 'unsubscribed');
  // Subscribed again, so that disconnect has a subscription to clean up, as it usually has.
  const resubscribe = ids.map((id, i) => events.message(id, user(i), { action: 'subscribe', topic: 'orders/42' }));
  await runHandler('message', resubscribe, env('message'));
  await measure('disconnect (1 subscription)', 'disconnect', ids.map((id, i) => events.disconnect(id, user(i))), (r) => r.statusCode === 200);
  out.push(await measureAuthorizer(n));
  return out;
}

/** What the room figures are: the same actions in every run, named for the tables and the cost model. */
export const ROOM_ACTIONS = {
  subscribe: 'subscribe (presence topic)',
  publish: 'publish',
  presence: 'presence',
  disconnect: 'disconnect (presence topic)',
} as const;

/**
 * Client messages and presence in a room of `members` (each a different user with one
 * connection), with the sample chat app's rules: joining (subscribe with presence), publishing
 * (rate counter, ClientMessage event, audience Query, posts to the others) and asking who is
 * there. Behind the handler: a local event bus and @connections API (posts held `latencyMs`),
 * so every post and PutEvents succeeds as in AWS and nothing is cleaned up as gone.
 */
async function measureRoom(fixture: DynamoFixture, members: number, messagesPerMember: number, latencyMs: number): Promise<ActionCapacity[]> {
  const registry = new ConnectionRegistry();
  const bus = new LocalEventBus({ name: 'bench-bus', region: 'us-east-1', account: '000000000000' });
  const stage = 'bench';
  const faults = (method: string) => (method === 'POST' ? { delayMs: latencyMs } : undefined);
  const server = await serveOnLoopback((req, res) => bus.handle(req, res) || handleConnectionsRequest(req, res, { stage, registry, faults }));
  try {
    const ids = Array.from({ length: members }, (_, i) => `m${String(i).padStart(14, '0')}=`);
    const user = (i: number) => `member-${i}`;
    const now = new Date();
    for (const connectionId of ids) registry.add({ connectionId, connectedAt: now, lastActiveAt: now, sourceIp: '127.0.0.1', send() {}, close() {} });
    const settings = benchSettings({ ...CHAT_SETTINGS, callbackUrl: `${server.origin}/${stage}`, eventBusName: bus.name });
    const env = (h: HandlerName) => lambdaProcessEnv(h, settings, { dynamodb: fixture.proxy.endpoint, eventbridge: server.origin });
    const connected = await runHandler<{ statusCode?: number }>('connect', ids.map((id, i) => events.connect(id, user(i))), env('connect'));
    if (connected.results.some((r) => r?.statusCode !== 200)) throw new Error('room: a member could not connect');

    const out: ActionCapacity[] = [];
    out.push(await measureAction(fixture, ROOM_ACTIONS.subscribe, 'message', ids.map((id, i) => events.message(id, user(i),
      { action: 'subscribe', topic: CHAT_TOPIC })), env('message'), (r) => frame(r).type === 'subscribed'));
    // Members publish in turn: a few messages per user over a second or more, under the per-user limit.
    const published = bus.acceptedCount;
    const publishes = Array.from({ length: members * messagesPerMember }, (_, k) => events.message(ids[k % members], user(k % members),
      { action: 'publish', topic: CHAT_TOPIC, data: { text: `message ${k}` } }));
    out.push(await measureAction(fixture, ROOM_ACTIONS.publish, 'message', publishes, env('message'), (r) => frame(r).type === 'published'));
    if (bus.acceptedCount - published !== publishes.length) throw new Error(`room: ${bus.acceptedCount - published} ClientMessage events for ${publishes.length} publishes`);
    out.push(await measureAction(fixture, ROOM_ACTIONS.presence, 'message', ids.map((id, i) => events.message(id, user(i),
      { action: 'presence', topic: CHAT_TOPIC })), env('message'), (r) => frame(r).type === 'presence' && frame(r).count === members));
    out.push(await measureAction(fixture, ROOM_ACTIONS.disconnect, 'disconnect', ids.map((id, i) => events.disconnect(id, user(i))), env('disconnect'), (r) => r.statusCode === 200));
    return out;
  } finally {
    await server.close();
  }
}

/** The $connect authorizer verifying real RS256 tokens against a local JWKS (fetched once, then cached). */
async function measureAuthorizer(n: number): Promise<ActionCapacity> {
  let issuer: DevIssuer | undefined;
  const server = createServer((req, res) => {
    if (!issuer?.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev`;
  try {
    issuer = await DevIssuer.create({ issuer: base, audience: 'bench', pathPrefix: '/dev' });
    const tokens = await Promise.all(Array.from({ length: n }, (_, i) => issuer!.token(`user-${i}`)));
    const settings = benchSettings({ auth: { mode: 'jwt', issuer: base, audience: ['bench'], jwksUri: `${base}/.well-known/jwks.json`, userIdClaim: 'sub' } });
    const run = await runHandler<{ policyDocument?: { Statement?: Array<{ Effect?: string }> } }>('authorizer',
      tokens.map((token, i) => events.authorize(`a${String(i).padStart(14, '0')}=`, token)), lambdaProcessEnv('authorizer', settings));
    const refused = run.results.findIndex((r) => r?.policyDocument?.Statement?.[0]?.Effect !== 'Allow');
    if (refused >= 0) throw new Error(`authorizer refused a valid token: ${JSON.stringify(run.results[refused])}`);
    const empty = summariseCapacity([], {});
    return { action: 'authorize ($connect)', count: n, readUnitsPer: 0, writeUnitsPer: 0, summary: empty, medianDurationMs: round(median(run.durationsMs.slice(1)), 2) };
  } finally {
    server.close();
  }
}

/** What a small notification costs: batches of 10, each notification to a topic with one subscriber. */
export interface SmallNotificationFigures {
  readonly notifications: number;
  readonly readUnitsPerNotification: number;
  readonly medianBatchMs: number;
  readonly msPerNotification: number;
}

async function measureSmallNotifications(fixture: DynamoFixture, batches: number, latencyMs: number): Promise<SmallNotificationFigures> {
  const registry = new ConnectionRegistry();
  const api = await startConnectionsApi({ registry, faults: (method) => (method === 'POST' ? { delayMs: latencyMs } : undefined) });
  const sqs = await startSqsApi();
  try {
    const topics = Array.from({ length: 10 }, (_, i) => `small/${i}`);
    for (const topic of topics) {
      const [id] = await seedSubscribers(fixture.dynamo.client, topic, 1, Math.floor(Date.now() / 1000) + 3600);
      const now = new Date();
      registry.add({ connectionId: id, connectedAt: now, lastActiveAt: now, sourceIp: '127.0.0.1', send() {}, close() {} });
    }
    const settings = benchSettings({ callbackUrl: api.endpoint, queueUrl: sqs.queueUrl('bench-deliver'), deadLetterQueueUrl: sqs.queueUrl('bench-dlq') });
    const plan = Array.from({ length: batches }, (_, b) => sqsEvent(topics.map((topic) => notificationEventBody({ topic, id: `small-${b}-${topic}`, data: { b } }))));
    const mark = fixture.proxy.capacity.length;
    const run = await runHandler<{ batchItemFailures?: unknown[] }>('deliver', plan, lambdaProcessEnv('deliver', settings, { dynamodb: fixture.proxy.endpoint }));
    if (run.results.some((r) => (r?.batchItemFailures?.length ?? 0) > 0)) throw new Error('deliver reported failed records for small notifications');
    const summary = summariseCapacity(fixture.proxy.capacity.slice(mark), fixture.tables, fixture.addIndexWrites);
    const notifications = batches * topics.length;
    const medianBatchMs = median(run.durationsMs.slice(1));
    return {
      notifications,
      readUnitsPerNotification: summary.readUnits / notifications,
      medianBatchMs: round(medianBatchMs, 2),
      msPerNotification: round(medianBatchMs / topics.length, 2),
    };
  } finally {
    await sqs.close();
    await api.close();
  }
}

interface TutorialFigures {
  readonly connect: ActionCapacity;
  /** `returned` below `roomSize` is the engine's doing (dynalite can skip an item between pages of a hash-only index). */
  readonly roomQuery: { readonly roomSize: number; readonly returned: number; readonly readUnits: number; readonly perConnection: number };
}

/** The tutorials' connect (one PutItem of its item) and its room Query, through the same proxy. */
async function measureTutorial(fixture: DynamoFixture, n: number, roomSize: number): Promise<TutorialFigures> {
  const { client } = fixture.dynamo;
  await createTutorialTable(client);
  const tables = { ...fixture.tables, [TUTORIAL_TABLE]: TUTORIAL_TABLE_DEFINITION };
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const viaProxy = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: fixture.proxy.endpoint });
  try {
    let mark = fixture.proxy.capacity.length;
    for (let i = 0; i < n; i++) {
      const item = tutorialConnectionItem(`s${String(i).padStart(14, '0')}=`, i, 'room_general');
      await viaProxy.send(new PutItemCommand({
        TableName: TUTORIAL_TABLE,
        Item: Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: String(v) }])),
      }));
    }
    const connectSummary = summariseCapacity(fixture.proxy.capacity.slice(mark), tables, fixture.addIndexWrites);

    await batchPut(client, TUTORIAL_TABLE, Array.from({ length: roomSize }, (_, i) => tutorialConnectionItem(`t${String(i).padStart(14, '0')}=`, i, 'room_big')));
    mark = fixture.proxy.capacity.length;
    const members = await queryRoom(viaProxy, 'room_big');
    const query = summariseCapacity(fixture.proxy.capacity.slice(mark), tables, fixture.addIndexWrites);
    return {
      connect: { action: 'connect', count: n, readUnitsPer: connectSummary.readUnits / n, writeUnitsPer: connectSummary.writeUnits / n, summary: connectSummary },
      roomQuery: { roomSize, returned: members.length, readUnits: query.readUnits, perConnection: query.readUnits / roomSize },
    };
  } finally {
    viaProxy.destroy();
  }
}

function section(
  latencyMs: number,
  routes: ActionCapacity[],
  room: ActionCapacity[],
  small: SmallNotificationFigures,
  tutorial: TutorialFigures,
  deliveries: DeliveryCapacity[],
  engine: string,
  crossCheck: ActionCapacity[] | string | undefined,
): SectionResult {
  const onLocal = (action: string) => {
    if (!Array.isArray(crossCheck)) return 'n/a';
    const r = crossCheck.find((c) => c.action === action);
    return r ? `${round(r.readUnitsPer, 4)} RCU, ${round(r.writeUnitsPer, 4)} WCU` : 'n/a';
  };
  const fmt = (x: number) => round(x, 4);
  const connect = routes.find((r) => r.action === 'connect')!;
  const subscribe = routes.find((r) => r.action === 'subscribe')!;
  const publish = room.find((r) => r.action === ROOM_ACTIONS.publish)!;
  const presence = room.find((r) => r.action === ROOM_ACTIONS.presence)!;
  const members = room.find((r) => r.action === ROOM_ACTIONS.subscribe)!.count;
  const perDelivery = deliveries.map((d) => ({ ...d, rcuPer: d.readUnits / Math.max(1, d.delivered), wcuPer: d.writeUnits / Math.max(1, d.delivered) }));
  const large = perDelivery.filter((d) => d.audience >= 1000);
  const worst = large.length > 0 ? Math.max(...large.map((d) => d.rcuPer)) : Number.NaN;
  const targets: TargetCheck[] = [{
    name: 'Read capacity per delivered notification (fan-out, audience ≥ 1,000)',
    target: `≤ ${RCU_PER_DELIVERY_TARGET} RCU`,
    measured: Number.isNaN(worst) ? 'not measured' : `${fmt(worst)} RCU`,
    met: Number.isNaN(worst) ? null : worst <= RCU_PER_DELIVERY_TARGET,
    ...(worst > RCU_PER_DELIVERY_TARGET ? { note: `over by ${fmt(worst - RCU_PER_DELIVERY_TARGET)} RCU (${ratio(worst, RCU_PER_DELIVERY_TARGET)}× the goal).` } : {}),
  }];
  return {
    id: 'capacity',
    title: '2. DynamoDB capacity',
    method: `The real handler bundles run against ${engine === 'embedded' ? 'the embedded engine (dynalite)' : 'an external DynamoDB endpoint'} `
      + 'through a proxy that adds `ReturnConsumedCapacity: TOTAL` to every call and records the answer. dynalite reports '
      + 'base-table units with DynamoDB\'s formulas (reads: 4 KB units, halved when eventually consistent, rounded up per request; '
      + 'writes: 1 KB units) but leaves out global secondary index writes, which DynamoDB bills; those are added by the documented '
      + 'rule (a write of an item carrying an index key also writes the index: +1 WCU for our KEYS_ONLY indexes). Baselines: the '
      + 'common tutorials\' design (one connections table with a `roomId-index` projecting ALL), measured through the same proxy.',
    tables: [
      {
        caption: 'Per delivered notification (from the fan-out runs; reads are the audience Query pages, writes would be 410 clean-ups):',
        headers: ['Audience', 'Delivered', 'RCU total', 'RCU per delivery', 'WCU per delivery', 'Tutorial room Query, RCU per connection', 'Ratio'],
        rows: [
          [1, small.notifications, fmt(small.readUnitsPerNotification * small.notifications), fmt(small.readUnitsPerNotification), 0, 'n/a', 'n/a'],
          ...perDelivery.map((d) => [d.audience, d.delivered, fmt(d.readUnits), fmt(d.rcuPer), fmt(d.wcuPer), fmt(tutorial.roomQuery.perConnection), ratio(d.rcuPer, tutorial.roomQuery.perConnection)]),
        ],
      },
      {
        caption: 'Per route action (each run over ' + connect.count + ' connections):',
        headers: ['Action', 'RCU per action', 'WCU per action', 'Calls', 'Warm handler time (ms, median)', 'Check: DynamoDB Local reports'],
        rows: [
          ...routes.map((r) => [r.action, fmt(r.readUnitsPer), fmt(r.writeUnitsPer), describeCalls(r.summary, r.count), r.medianDurationMs ?? 'n/a', onLocal(r.action)]),
          ['tutorial baseline: connect', fmt(tutorial.connect.readUnitsPer), fmt(tutorial.connect.writeUnitsPer), describeCalls(tutorial.connect.summary, tutorial.connect.count), 'n/a', 'n/a'],
        ],
      },
      {
        caption: `Client messages and presence in a room of ${members} (the sample chat app's rules: publish and presence on rooms/*), beside the subscribe above `
          + `(${publish.count} messages, each member publishing in turn, every other member receiving each; the @connections API holding each post ${latencyMs} ms):`,
        headers: ['Action', 'RCU per action', 'WCU per action', 'On-demand US$ per million actions', 'Ratio to subscribe', 'Calls', 'Warm handler time (ms, median)', 'Check: DynamoDB Local reports'],
        rows: [
          ...room.map((r) => [r.action, fmt(r.readUnitsPer), fmt(r.writeUnitsPer), round(unitsUsd(r), 4), ratio(unitsUsd(r), unitsUsd(subscribe)),
            describeCalls(r.summary, r.count), r.medianDurationMs ?? 'n/a', onLocal(r.action)]),
          ['baseline: subscribe (no presence)', fmt(subscribe.readUnitsPer), fmt(subscribe.writeUnitsPer), round(unitsUsd(subscribe), 4), 1,
            describeCalls(subscribe.summary, subscribe.count), subscribe.medianDurationMs ?? 'n/a', onLocal(subscribe.action)],
        ],
      },
    ],
    notes: [
      typeof crossCheck === 'string'
        ? `Not cross-checked on DynamoDB Local: ${crossCheck}`
        : crossCheck
          ? `The last column runs the same actions on DynamoDB Local (Maven Central), which reports index writes in ConsumedCapacity itself: ${agreement([...routes, ...room], crossCheck)}`
          : 'Measured on the external engine given by DYNAMODB_ENDPOINT, as it reports (index writes included).',
      `Connect costs ${ratio(connect.writeUnitsPer, tutorial.connect.writeUnitsPer)}× the tutorials' connect in WCU: both write one item and one index entry.`,
      `A notification to a single subscriber or user still costs one Query: ${fmt(small.readUnitsPerNotification)} RCU (a Query is billed at least 0.5 RCU), so the per-delivery figure falls as the audience grows; the target is about fan-out. `
        + `Audience 1 row: ${small.notifications} notifications in SQS batches of 10, ${small.msPerNotification} ms of deliver time each (median batch ${small.medianBatchMs} ms).`,
      `Tutorial room Query: ${tutorial.roomQuery.roomSize.toLocaleString('en-US')} members cost ${fmt(tutorial.roomQuery.readUnits)} RCU; the tutorial design reads whole connection items (projection ALL), ours reads subscription keys only.`
        + (tutorial.roomQuery.returned !== tutorial.roomQuery.roomSize
          ? ` (The embedded engine returned ${tutorial.roomQuery.returned.toLocaleString('en-US')} of them: dynalite can drop an item at a page boundary of an index without a sort key, as the tutorials' is; our indexes have sort keys.)`
          : ''),
      `A client publish writes ${fmt(publish.writeUnitsPer)} WCU (the per-user rate counter: one conditional UpdateItem of a small item, so 1 WCU however many members) and reads `
        + `${fmt(publish.readUnitsPer)} RCU (the audience Query of ${members} subscription keys, one page); the ClientMessage event and the posts cost no DynamoDB units. `
        + `A presence query reads ${fmt(presence.readUnitsPer)} RCU for ${members} members (one Query of the topic's presence counters) and writes nothing; `
        + 'joining a presence topic adds the member\'s presence counter (an UpdateItem) to the subscribe\'s writes, and the disconnect that leaves it takes the counter down (and deletes it at zero).',
    ],
    targets,
    headlines: [
      ...large.slice(-1).map((d) => ({
        figure: `Read units per delivery, fan-out to ${d.audience.toLocaleString('en-US')}`,
        measured: `${fmt(d.rcuPer)} RCU`,
        baseline: `tutorial room Query: ${fmt(tutorial.roomQuery.perConnection)} RCU per connection`,
        ratio: ratio(d.rcuPer, tutorial.roomQuery.perConnection),
      })),
      {
        figure: `DynamoDB units per client publish, room of ${members} (rate counter and audience Query)`,
        measured: `${fmt(publish.readUnitsPer)} RCU + ${fmt(publish.writeUnitsPer)} WCU`,
        baseline: `subscribe: ${fmt(subscribe.readUnitsPer)} RCU + ${fmt(subscribe.writeUnitsPer)} WCU`,
        ratio: `${ratio(unitsUsd(publish), unitsUsd(subscribe))} (on-demand US$)`,
      },
      {
        figure: 'Write units per connect',
        measured: `${fmt(connect.writeUnitsPer)} WCU`,
        baseline: `tutorial connect: ${fmt(tutorial.connect.writeUnitsPer)} WCU`,
        ratio: ratio(connect.writeUnitsPer, tutorial.connect.writeUnitsPer),
      },
    ],
    data: { engine, routes, room, small, tutorial, deliveries: perDelivery, dynamoDbLocal: crossCheck },
  };
}

/** What an action's read and write units cost per million actions, on demand: reads and writes in one figure. */
function unitsUsd(a: ActionCapacity): number {
  return a.readUnitsPer * PRICES.dynamoRead.usd + a.writeUnitsPer * PRICES.dynamoWrite.usd;
}

function agreement(routes: ActionCapacity[], local: ActionCapacity[]): string {
  const differ = routes.filter((r) => {
    const l = local.find((x) => x.action === r.action);
    return !l || Math.abs(l.readUnitsPer - r.readUnitsPer) > 1e-9 || Math.abs(l.writeUnitsPer - r.writeUnitsPer) > 1e-9;
  });
  return differ.length === 0
    ? 'it agrees with the rule applied to dynalite\'s figures for every action.'
    : `it differs for ${differ.map((r) => r.action).join(', ')}; the DynamoDB Local figure is the one to trust.`;
}

/** The calls behind an action, per action: "1× Query bench-history, …". */
export function describeCalls(s: CapacitySummary, count: number): string {
  return Object.entries(s.byOperation).map(([op, v]) => `${round(v.calls / count, 2)}× ${op}`).join(', ');
}
