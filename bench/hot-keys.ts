/**
 * Benchmark 14: hot partition keys. DynamoDB serves about 1,000 write units a second per
 * partition key; the local engines enforce nothing, so the handlers run here behind the DynamoDB
 * proxy with per-partition limits (test/faults/support/dynamodb-proxy.ts), which refuses what a
 * hot partition refuses (ProvisionedThroughputExceededException) and lets the SDK's retries run.
 *
 * Two workloads, each first without limits (the rate the rig reaches), then with limits at half
 * that rate, the ratio of a room at 2,000 messages/s (or 100,000 viewers subscribing in a minute,
 * 1,700/s) against 1,000 units/s, scaled down to what the embedded engine serves on this machine,
 * once with the topic under one key and once named in `hotTopics` (its rows spread over 8 keys):
 * - a room with history: notifications to one stream through the real deliver bundle, each taking
 *   a position (the head counter), a claim and a kept row, all under the stream's keys;
 * - a subscribe storm: connections subscribing to one topic through the real message bundle.
 * What is measured: the rate reached, the time per batch or request, the refusals, what failed
 * after the SDK's retries (records handed back to the queue, error answers), and whether anything
 * was lost or out of order (every notification kept once, positions 1..N without a gap).
 */
import { QueryCommand, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { tableDefinitions } from '../local/dynamodb';
import { Tables } from '../lib/private/runtime-contract';
import { HOT_TOPIC_PARTITIONS, historyPartitionKeys, topicPartitionKeys, topicStream } from '../lambda/stores/keys';
import { DynamoProxy, PartitionLimits, startDynamoProxy } from '../test/faults/support/dynamodb-proxy';
import { seedSubscribers } from './lib/dynamo-fixture';
import { events, notificationEventBody, sqsEvent } from './lib/events';
import { runHandler } from './lib/handler-run';
import { SectionResult } from './lib/report';
import { BENCH_TABLES, benchSettings, lambdaProcessEnv } from './lib/settings';
import { percentile, round } from './lib/stats';
import { FanoutRig, withFanoutRig } from './fanout';

/** A run held to half its keys' rate takes minutes on a busy machine: more than a handler run's default 5. */
const RUN_TIMEOUT_MS = 15 * 60_000;

export interface HotKeysOptions {
  /** Notifications to the room, per run. */
  readonly notifications: number;
  /** Subscribes to the topic, per run. */
  readonly subscribes: number;
  /** Deliver or message processes running at once. */
  readonly processes: number;
  readonly latencyMs: number;
}

interface RunFigures {
  readonly workload: 'room' | 'subscribe';
  /** Write units per second per partition key; undefined: no limit. */
  readonly limit?: number;
  /** The topic is named in hotTopics (historyRules for the room, subscriptionRules for the storm). */
  readonly spread: boolean;
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Per batch of 10 notifications (room) or per subscribe (storm). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests the proxy refused, by `operation table`. */
  readonly refused: Record<string, number>;
  /** Room: records handed back to the queue after the SDK's retries (the rate counts until all are delivered); storm: error answers. */
  readonly failed: number;
  /** Room: deliveries of the handed-back records it took until none failed. */
  readonly redeliveries: number;
  /** What was lost: notifications not kept, subscriptions not written. */
  readonly lost: number;
  /** Room: positions repeated or skipped. */
  readonly outOfOrder: number;
}

const BATCH = 10;
let made = 0;

export async function benchHotKeys(options: HotKeysOptions): Promise<SectionResult> {
  const runs = await withFanoutRig(options.latencyMs, async (rig) => {
    const out: RunFigures[] = [];
    const free = await room(rig, options, undefined, false);
    const roomLimit = Math.max(10, Math.round(free.perSecond / 2));
    out.push(free, await room(rig, options, roomLimit, false), await room(rig, options, roomLimit, true));
    const freeStorm = await storm(rig, options, undefined, false);
    const stormLimit = Math.max(10, Math.round(freeStorm.perSecond / 2));
    out.push(freeStorm, await storm(rig, options, stormLimit, false), await storm(rig, options, stormLimit, true));
    return out;
  });
  return section(options, runs);
}

/** DynamoDB's per-partition limits scaled to `writeUnits`, reads three times that, over every table and index of the rig. */
function limitsOf(writeUnits: number): PartitionLimits {
  const partitionKeys: Record<string, string> = {};
  for (const { tableName, definition } of tableDefinitions(BENCH_TABLES)) {
    partitionKeys[tableName] = definition.partitionKey;
    for (const index of definition.indexes) partitionKeys[`${tableName}/${index.indexName}`] = index.partitionKey;
  }
  return { writeUnitsPerSecond: writeUnits, readUnitsPerSecond: 3 * writeUnits, partitionKeys };
}

async function withLimits<T>(rig: FanoutRig, limit: number | undefined, work: (proxy: DynamoProxy) => Promise<T>): Promise<T> {
  const proxy = await startDynamoProxy({ target: rig.fixture.dynamo.endpoint, ...(limit ? { partitionLimits: limitsOf(limit) } : {}) });
  try {
    return await work(proxy);
  } finally {
    await proxy.close();
  }
}

function env(rig: FanoutRig, handler: 'deliver' | 'message' | 'connect', dynamodb: string, spread: boolean): Record<string, string> {
  return lambdaProcessEnv(handler, benchSettings({
    callbackUrl: rig.server.endpoint,
    queueUrl: rig.sqs.queueUrl('bench-deliver'),
    deadLetterQueueUrl: rig.sqs.queueUrl('bench-deliver-dlq'),
    historyRules: ['rooms/*'],
    // Each workload spreads the rows it writes fast: the room its kept notifications, the storm its subscriptions.
    ...(spread && handler === 'deliver' ? { 'hotTopics.historyRules': ['rooms/*'] } : {}),
    ...(spread && handler !== 'deliver' ? { 'hotTopics.subscriptionRules': ['rooms/*'] } : {}),
  }), { dynamodb });
}

const runName = (limit: number | undefined, spread: boolean) => `${limit ?? 'free'}${spread ? '-spread' : ''}`;

/** `items` split into `n` interleaved shares, one per process. */
const shares = <T>(items: readonly T[], n: number): T[][] => Array.from({ length: n }, (_, i) => items.filter((_x, j) => j % n === i));

async function room(rig: FanoutRig, options: HotKeysOptions, limit: number | undefined, spread: boolean): Promise<RunFigures> {
  const stream = `rooms/hot-${runName(limit, spread)}`;
  const member = `m${String(++made).padStart(14, '0')}=`;
  await seedSubscribers(rig.fixture.dynamo.client, stream, 1, Math.floor(Date.now() / 1000) + 3600, () => member);
  await rig.server.register([member]);
  return withLimits(rig, limit, async (proxy) => {
    const deliverEnv = env(rig, 'deliver', proxy.endpoint, spread);
    const bodies = Array.from({ length: options.notifications }, (_, i) => notificationEventBody({ topic: stream, id: `hot-${made}-${i}`, data: { text: 'x'.repeat(100), i } }));
    const batches: string[][] = [];
    for (let i = 0; i < bodies.length; i += BATCH) batches.push(bodies.slice(i, i + BATCH));
    type Batch = ReturnType<typeof sqsEvent>;
    type Answer = { batchItemFailures?: Array<{ itemIdentifier: string }> } | null;
    const started = Date.now();
    const results = await Promise.all(shares(batches.map((b) => sqsEvent(b)), options.processes).map((plan) =>
      runHandler<Answer>('deliver', plan, deliverEnv, { timeoutMs: RUN_TIMEOUT_MS }).then((run) => ({ run, plan }))));
    // What failed after the SDK's retries goes back to the queue: delivered again, as SQS would, until none fails.
    const failedOf = (answers: Answer[], plan: Batch[]) => answers.flatMap((answer, i) => {
      const failedIds = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      return plan[i].Records.filter((r) => failedIds.has(r.messageId)).map((r) => r.body);
    });
    let failedBodies = results.flatMap(({ run, plan }) => failedOf(run.results, plan));
    const failed = failedBodies.length;
    let redeliveries = 0;
    while (failedBodies.length > 0 && redeliveries < 10) {
      redeliveries++;
      const plan = chunk(failedBodies, BATCH).map((b) => sqsEvent(b));
      const again = await runHandler<Answer>('deliver', plan, deliverEnv, { timeoutMs: RUN_TIMEOUT_MS });
      failedBodies = failedOf(again.results, plan);
    }
    // Until every notification is delivered, redeliveries included.
    const seconds = (Date.now() - started) / 1000;
    const kept = await keptRows(rig, stream, spread);
    const ids = new Set(kept.map((k) => k.id));
    const seqs = kept.map((k) => k.seq).sort((a, b) => a - b);
    const outOfOrder = seqs.filter((s, i) => s !== i + 1).length + (kept.length - ids.size);
    const durations = results.flatMap(({ run }) => run.durationsMs);
    return {
      workload: 'room', limit, spread, requests: options.notifications, seconds: round(seconds, 2), perSecond: round(options.notifications / seconds, 0),
      p50Ms: round(percentile(durations, 50), 1), p99Ms: round(percentile(durations, 99), 1),
      refused: Object.fromEntries(proxy.partitionThrottles), failed, redeliveries,
      lost: options.notifications - ids.size, outOfOrder,
    };
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The stream's kept rows, under every key it may be spread over: position and notification id. */
async function keptRows(rig: FanoutRig, stream: string, spread: boolean): Promise<Array<{ seq: number; id: string }>> {
  const rows: Array<{ seq: number; id: string }> = [];
  for (const key of historyPartitionKeys(topicStream(stream), spread ? HOT_TOPIC_PARTITIONS : 1)) {
    for (const item of await allItems(BENCH_TABLES.historyTable, Tables.history.partitionKey, key, rig)) {
      const row = unmarshall(item) as { seq: number; frame?: string };
      if (row.frame === undefined) continue; // a position marked void
      rows.push({ seq: row.seq, id: String((JSON.parse(row.frame) as { id?: unknown }).id) });
    }
  }
  return rows;
}

/** Every item under one partition key. */
async function allItems(table: string, partitionKey: string, value: string, rig: FanoutRig): Promise<NonNullable<QueryCommandOutput['Items']>> {
  const items: NonNullable<QueryCommandOutput['Items']> = [];
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const page = await rig.fixture.dynamo.client.send(new QueryCommand({
      TableName: table, KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': partitionKey }, ExpressionAttributeValues: { ':k': { S: value } },
      ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function storm(rig: FanoutRig, options: HotKeysOptions, limit: number | undefined, spread: boolean): Promise<RunFigures> {
  const topic = `rooms/storm-${runName(limit, spread)}`;
  const batch = ++made;
  const ids = Array.from({ length: options.subscribes }, (_, i) => `s${batch}x${String(i).padStart(10, '0')}=`);
  const user = (i: number) => `viewer-${batch}-${i}`;
  // Each viewer from an address of its own, as a live event's audience is (connections.maxPerIp counts per address).
  const address = (i: number) => `10.${batch % 256}.${Math.floor(i / 256) % 256}.${i % 256}`;
  // The viewers' connections, made without limits (not measured).
  const connected = await runHandler<{ statusCode?: number }>('connect', ids.map((id, i) => events.connect(id, user(i), address(i))), env(rig, 'connect', rig.fixture.proxy.endpoint, spread), { omitResults: false, timeoutMs: RUN_TIMEOUT_MS });
  const refused = connected.results.filter((r) => r?.statusCode !== 200);
  if (refused.length > 0) throw new Error(`subscribe storm: ${refused.length} viewers could not connect (first answer: ${JSON.stringify(refused[0])})`);
  return withLimits(rig, limit, async (proxy) => {
    const messageEnv = env(rig, 'message', proxy.endpoint, spread);
    const started = Date.now();
    const runs = await Promise.all(shares(ids.map((id, i) => ({ id, i })), options.processes).map((plan) =>
      runHandler<{ statusCode?: number; body?: string }>('message', plan.map(({ id, i }) => events.message(id, user(i), { action: 'subscribe', topic, requestId: `r${i}` })), messageEnv, { timeoutMs: RUN_TIMEOUT_MS })));
    const seconds = (Date.now() - started) / 1000;
    const answers = runs.flatMap((r) => r.results.map((x) => JSON.parse(x?.body ?? '{}') as { type?: string }));
    const failed = answers.filter((a) => a.type !== 'subscribed').length;
    const written = (await Promise.all(topicPartitionKeys(topic, spread ? HOT_TOPIC_PARTITIONS : 1)
      .map((key) => allItems(BENCH_TABLES.subscriptionsTable, Tables.subscriptions.partitionKey, key, rig)))).flat().length;
    const durations = runs.flatMap((r) => r.durationsMs);
    return {
      workload: 'subscribe', limit, spread, requests: options.subscribes, seconds: round(seconds, 2), perSecond: round(options.subscribes / seconds, 0),
      p50Ms: round(percentile(durations, 50), 1), p99Ms: round(percentile(durations, 99), 1),
      refused: Object.fromEntries(proxy.partitionThrottles), failed, redeliveries: 0,
      lost: options.subscribes - failed - written, outOfOrder: 0,
    };
  });
}

function section(options: HotKeysOptions, runs: readonly RunFigures[]): SectionResult {
  const describe = (refused: Record<string, number>) => Object.entries(refused).map(([k, v]) => `${k.replace(/ bench-/, ' ')}: ${v.toLocaleString('en-US')}`).join('; ') || 'none';
  const find = (workload: RunFigures['workload'], limited: boolean, spread: boolean) =>
    runs.find((r) => r.workload === workload && (r.limit !== undefined) === limited && r.spread === spread)!;
  const [roomFree, roomOneKey, roomSpread] = [find('room', false, false), find('room', true, false), find('room', true, true)];
  const [stormFree, stormOneKey, stormSpread] = [find('subscribe', false, false), find('subscribe', true, false), find('subscribe', true, true)];
  const n = (x: number) => x.toLocaleString('en-US');
  const outcome = (r: RunFigures) => `${r.failed === 0 ? 'no record failed after the SDK\'s retries' : `${r.failed} records still failed after the SDK's retries and were delivered again (${r.redeliveries} redeliveries)`}, `
    + `${r.lost === 0 ? 'nothing was lost' : `${r.lost} notifications were lost`} and ${r.outOfOrder === 0 ? 'positions ran 1..N without a repeat or a gap' : `${r.outOfOrder} positions repeated or skipped`}`;
  return {
    id: 'hot-keys',
    title: '14. Hot partition keys: a busy room and a subscribe storm',
    method: `The handler bundles against the embedded DynamoDB behind a proxy that enforces DynamoDB's per-partition-key throughput (a bucket of one `
      + 'second\'s units per key value, refused with ProvisionedThroughputExceededException when empty, reads at three times the write units), which '
      + `local engines do not. Each workload runs three times: without limits, giving the rate this rig reaches; then with each key limited to half that `
      + 'rate, the ratio of a room at 2,000 messages/s or 1,700 subscribes/s (100,000 in a minute) against DynamoDB\'s 1,000 write units/s, scaled '
      + 'down to what the embedded engine serves here, first with the topic under one key, then with it named in `hotTopics` (the room in `historyRules`, the storm in `subscriptionRules`: its rows spread over '
      + `${HOT_TOPIC_PARTITIONS} keys). Room: ${n(options.notifications)} notifications with history (a 100-byte `
      + `message) to one room, in SQS batches of ${BATCH}, through ${options.processes} deliver processes at once; each takes a position (the room's head `
      + 'counter), a claim and a kept row. Records that still fail after the SDK\'s retries are handed back, as SQS would '
      + 'redeliver them, until none fails; then every kept row is read back. Storm: '
      + `${n(options.subscribes)} connections subscribing to one topic through ${options.processes} message processes at once.`,
    tables: [{
      headers: ['Workload', 'Topic', 'Limit per key (write units/s)', 'Rate reached (/s)', 'p50 (ms)', 'p99 (ms)', 'Refused by the partition (requests)', 'Failed after retries', 'Redeliveries', 'Lost', 'Positions repeated or skipped'],
      rows: runs.map((r) => [
        r.workload === 'room' ? `room, ${n(r.requests)} notifications (time per batch of ${BATCH})` : `subscribe storm, ${n(r.requests)} subscribes (time per subscribe)`,
        r.spread ? `hot (${HOT_TOPIC_PARTITIONS} keys)` : 'one key',
        r.limit ?? 'none', r.perSecond, r.p50Ms, r.p99Ms, describe(r.refused), r.failed, r.workload === 'room' ? r.redeliveries : 'n/a', r.lost, r.workload === 'room' ? r.outOfOrder : 'n/a',
      ]),
    }],
    notes: [
      `Room under one key, offered twice what its keys take: ${n(roomOneKey.perSecond)}/s against ${n(roomFree.perSecond)}/s unlimited (its keys' `
        + `${roomOneKey.limit}/s is the ceiling); the batch p99 went from ${roomFree.p99Ms} to ${roomOneKey.p99Ms} ms while the SDK retried the refusals `
        + `(up to 6 attempts, backoff up to 1 s); ${outcome(roomOneKey)}. Every notification wrote its head, its claim and its row under the room's keys.`,
      `Room named in hotTopics.historyRules, same limit: ${n(roomSpread.perSecond)}/s (${Math.round(100 * roomSpread.perSecond / roomFree.perSecond)}% of the unlimited rate), `
        + `p99 ${roomSpread.p99Ms} ms; ${outcome(roomSpread)}. The kept rows and claims are spread over ${HOT_TOPIC_PARTITIONS} keys, and the head, which stays one `
        + 'item, takes the positions of the notifications waiting for it in one write (a block), so it is written about once per batch, not once per '
        + 'notification. On DynamoDB that lifts a room\'s ceiling from about 1,000 notifications/s to about 1,000 head writes/s, times the batch.',
      `Storm under one key: ${n(stormOneKey.perSecond)} subscribes/s against ${n(stormFree.perSecond)}/s unlimited, p99 ${stormFree.p99Ms} → ${stormOneKey.p99Ms} ms, `
        + `${stormOneKey.failed} error answers, ${stormOneKey.lost} lost: the SDK's retries absorb the refusals, and 100,000 viewers subscribing in a minute take about twice the minute.`,
      `Storm on a topic named in hotTopics.subscriptionRules, same limit: ${n(stormSpread.perSecond)} subscribes/s (${Math.round(100 * stormSpread.perSecond / stormFree.perSecond)}% of the unlimited rate), `
        + `p99 ${stormSpread.p99Ms} ms, ${stormSpread.failed} error answers, ${stormSpread.lost} lost. Each subscription goes to the key its connection id hashes to; `
        + `a notification to the topic then reads ${HOT_TOPIC_PARTITIONS + 1} keys (the topic's own one too, for subscriptions from before it was hot).`,
      'Client messages (`publish`) take their position in the message function, one request at a time, so a room fed by clients still writes its head once '
        + 'per message: about 1,000 messages/s per room on DynamoDB.',
    ],
    targets: [],
    data: { options, runs },
  };
}
