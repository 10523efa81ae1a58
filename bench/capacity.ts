/**
 * Benchmark 2: DynamoDB capacity per connect, per subscribe (and the other routes), and per
 * delivered notification. The real handler bundles run against the embedded engine through a
 * proxy that asks every call for its consumed capacity (ReturnConsumedCapacity: TOTAL); index
 * writes the engine leaves out are added by DynamoDB's documented rule (lib/capacity-model).
 * Baselines: the seed articles' table design, measured the same way in the same run.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DevIssuer } from '../local/auth/dev-issuer';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { ConnectionRegistry, startConnectionsApi } from '../local/connections-api';
import { startSqsApi } from '../local/sqs-api';
import { events, notificationEventBody, sqsEvent } from './lib/events';
import { summariseCapacity, CapacitySummary } from './lib/capacity-model';
import { batchPut, DynamoFixture, seedSubscribers, startDynamoFixture } from './lib/dynamo-fixture';
import { runHandler } from './lib/handler-run';
import { SectionResult, TargetCheck } from './lib/report';
import { createSeedTable, queryRoom, SEED_TABLE, SEED_TABLE_DEFINITION, seedConnectionItem } from './lib/seed-article';
import { benchSettings, lambdaProcessEnv } from './lib/settings';
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

export async function benchCapacity(options: { connections: number; roomSize: number; smallBatches: number; latencyMs: number; deliveries: DeliveryCapacity[] }): Promise<SectionResult> {
  const fixture = await startDynamoFixture();
  let routes: ActionCapacity[];
  let small: SmallNotificationFigures;
  let seed: SeedFigures;
  try {
    routes = await measureRoutes(fixture, options.connections);
    small = await measureSmallNotifications(fixture, options.smallBatches, options.latencyMs);
    seed = await measureSeed(fixture, options.connections, options.roomSize);
  } finally {
    await fixture.stop();
  }
  const crossCheck = fixture.dynamo.engine === 'embedded' ? await measureOnDynamoDbLocal(Math.min(options.connections, 50)) : undefined;
  return section(routes, small, seed, options.deliveries, fixture.dynamo.engine, crossCheck);
}

/**
 * The same route actions on DynamoDB Local, which reports index writes itself: a check of the
 * index-write rule applied to dynalite's figures. Fetched from Maven Central on first use.
 */
async function measureOnDynamoDbLocal(n: number): Promise<ActionCapacity[] | string> {
  let local;
  try {
    local = await startDynamoDbLocal();
  } catch (error) {
    return `DynamoDB Local could not start: ${(error as Error).message.split('\n')[0]}`;
  }
  try {
    const fixture = await startDynamoFixture(local.endpoint);
    try {
      return await measureRoutes(fixture, n);
    } finally {
      await fixture.stop();
    }
  } finally {
    await local.stop();
  }
}

async function measureRoutes(fixture: DynamoFixture, n: number): Promise<ActionCapacity[]> {
  const settings = benchSettings();
  const env = (h: HandlerName) => lambdaProcessEnv(h, settings, { dynamodb: fixture.proxy.endpoint });
  const ids = Array.from({ length: n }, (_, i) => `r${String(i).padStart(14, '0')}=`);
  const user = (i: number) => `user-${i}`;
  const out: ActionCapacity[] = [];

  const measure = async (action: string, handler: HandlerName, events: unknown[], check: (result: any) => boolean) => {
    const mark = fixture.proxy.capacity.length;
    const run = await runHandler(handler, events, env(handler));
    const bad = run.results.findIndex((r) => !check(r));
    if (bad >= 0) throw new Error(`${action}: invocation ${bad} answered ${JSON.stringify(run.results[bad])}`);
    const summary = summariseCapacity(fixture.proxy.capacity.slice(mark), fixture.tables, fixture.addIndexWrites);
    out.push({
      action,
      count: events.length,
      readUnitsPer: summary.readUnits / events.length,
      writeUnitsPer: summary.writeUnits / events.length,
      summary,
      // The first invocation pays for opening connections; the rest are what a warm function costs.
      medianDurationMs: round(median(run.durationsMs.slice(1)), 2),
    });
  };
  const frame = (r: { body?: string }) => JSON.parse(r.body ?? '{}');

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

interface SeedFigures {
  readonly connect: ActionCapacity;
  /** `returned` below `roomSize` is the engine's doing (dynalite can skip an item between pages of a hash-only index). */
  readonly roomQuery: { readonly roomSize: number; readonly returned: number; readonly readUnits: number; readonly perConnection: number };
}

/** The seed's connect (one PutItem of its item) and its room Query, through the same proxy. */
async function measureSeed(fixture: DynamoFixture, n: number, roomSize: number): Promise<SeedFigures> {
  const { client } = fixture.dynamo;
  await createSeedTable(client);
  const tables = { ...fixture.tables, [SEED_TABLE]: SEED_TABLE_DEFINITION };
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const viaProxy = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: fixture.proxy.endpoint });
  try {
    let mark = fixture.proxy.capacity.length;
    for (let i = 0; i < n; i++) {
      const item = seedConnectionItem(`s${String(i).padStart(14, '0')}=`, i, 'room_general');
      await viaProxy.send(new PutItemCommand({
        TableName: SEED_TABLE,
        Item: Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: String(v) }])),
      }));
    }
    const connectSummary = summariseCapacity(fixture.proxy.capacity.slice(mark), tables, fixture.addIndexWrites);

    await batchPut(client, SEED_TABLE, Array.from({ length: roomSize }, (_, i) => seedConnectionItem(`t${String(i).padStart(14, '0')}=`, i, 'room_big')));
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
  routes: ActionCapacity[],
  small: SmallNotificationFigures,
  seed: SeedFigures,
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
      + 'seed articles\' design (one connections table with a `roomId-index` projecting ALL), measured through the same proxy.',
    tables: [
      {
        caption: 'Per delivered notification (from the fan-out runs; reads are the audience Query pages, writes would be 410 clean-ups):',
        headers: ['Audience', 'Delivered', 'RCU total', 'RCU per delivery', 'WCU per delivery', 'Seed room Query, RCU per connection', 'Ratio'],
        rows: [
          [1, small.notifications, fmt(small.readUnitsPerNotification * small.notifications), fmt(small.readUnitsPerNotification), 0, 'n/a', 'n/a'],
          ...perDelivery.map((d) => [d.audience, d.delivered, fmt(d.readUnits), fmt(d.rcuPer), fmt(d.wcuPer), fmt(seed.roomQuery.perConnection), ratio(d.rcuPer, seed.roomQuery.perConnection)]),
        ],
      },
      {
        caption: 'Per route action (each run over ' + connect.count + ' connections):',
        headers: ['Action', 'RCU per action', 'WCU per action', 'Calls', 'Warm handler time (ms, median)', 'Check: DynamoDB Local reports'],
        rows: [
          ...routes.map((r) => [r.action, fmt(r.readUnitsPer), fmt(r.writeUnitsPer), describeCalls(r.summary, r.count), r.medianDurationMs ?? 'n/a', onLocal(r.action)]),
          ['seed baseline: connect', fmt(seed.connect.readUnitsPer), fmt(seed.connect.writeUnitsPer), describeCalls(seed.connect.summary, seed.connect.count), 'n/a', 'n/a'],
        ],
      },
    ],
    notes: [
      typeof crossCheck === 'string'
        ? `Not cross-checked on DynamoDB Local: ${crossCheck}`
        : crossCheck
          ? `The last column runs the same actions on DynamoDB Local (Maven Central), which reports index writes in ConsumedCapacity itself: ${agreement(routes, crossCheck)}`
          : 'Measured on the external engine given by DYNAMODB_ENDPOINT, as it reports (index writes included).',
      `Connect costs ${ratio(connect.writeUnitsPer, seed.connect.writeUnitsPer)}× the seed's connect in WCU: both write one item and one index entry.`,
      `A notification to a single subscriber or user still costs one Query: ${fmt(small.readUnitsPerNotification)} RCU (a Query is billed at least 0.5 RCU), so the per-delivery figure falls as the audience grows; the target is about fan-out. `
        + `Audience 1 row: ${small.notifications} notifications in SQS batches of 10, ${small.msPerNotification} ms of deliver time each (median batch ${small.medianBatchMs} ms).`,
      `Seed room Query: ${seed.roomQuery.roomSize.toLocaleString('en-US')} members cost ${fmt(seed.roomQuery.readUnits)} RCU; the seed reads whole connection items (projection ALL), ours reads subscription keys only.`
        + (seed.roomQuery.returned !== seed.roomQuery.roomSize
          ? ` (The embedded engine returned ${seed.roomQuery.returned.toLocaleString('en-US')} of them: dynalite can drop an item at a page boundary of an index without a sort key, as the seed's is; our indexes have sort keys.)`
          : ''),
    ],
    targets,
    headlines: [
      ...large.slice(-1).map((d) => ({
        figure: `Read units per delivery, fan-out to ${d.audience.toLocaleString('en-US')}`,
        measured: `${fmt(d.rcuPer)} RCU`,
        baseline: `seed room Query: ${fmt(seed.roomQuery.perConnection)} RCU per connection`,
        ratio: ratio(d.rcuPer, seed.roomQuery.perConnection),
      })),
      {
        figure: 'Write units per connect',
        measured: `${fmt(connect.writeUnitsPer)} WCU`,
        baseline: `seed connect: ${fmt(seed.connect.writeUnitsPer)} WCU`,
        ratio: ratio(connect.writeUnitsPer, seed.connect.writeUnitsPer),
      },
    ],
    data: { engine, routes, small, seed, deliveries: perDelivery, dynamoDbLocal: crossCheck },
  };
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

function describeCalls(s: CapacitySummary, count: number): string {
  return Object.entries(s.byOperation).map(([op, v]) => `${round(v.calls / count, 2)}× ${op}`).join(', ');
}
