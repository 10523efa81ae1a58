/**
 * Many clients leaving at once while DynamoDB struggles, as when a fleet of clients closes in
 * waves: the real handler bundles in the local runtime, real `ws` clients, the embedded engine
 * behind a proxy that makes every connection delete slow, stalls a few for good (their
 * $disconnect times out) and fails some others for more attempts than the SDK makes. Every other
 * $disconnect must still clean up: a timed-out invocation takes nothing else down with it, and a
 * failed cleanup is tried again while the invocation has time.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { LocalDynamo, startDynamo } from '../../local/dynamodb';
import { DYNAMODB_MAX_ATTEMPTS } from '../../lambda/stores/clients';
import { connect, TestClient, useLocalRuntime } from '../e2e/support/clients';
import { eventually } from './support/clients';
import { DynamoFault, DynamoProxy, startDynamoProxy } from './support/dynamodb-proxy';

const CLIENTS = 300;
const WAVE_SIZE = 25;
const WAVE_INTERVAL_MS = 500;
/** Clients connecting and subscribing at once while the test sets up (the leaving is what is under test). */
const JOINING_AT_ONCE = 50;
/** How long each connection delete is held: enough to keep a wave's $disconnects overlapping the next. */
const DELETE_LATENCY_MS = 1_000;
/** The first connections deleted never get an answer: their $disconnect times out, in the first wave. */
const STALLED = 2;
/** One connection in this many is failed for every attempt of its first SDK call. */
const UNLUCKY_EVERY = 10;
/** Long past the function timeout: a stalled delete is only ever dropped. */
const STALL_MS = 10 * 60_000;
const INTERNAL_ERROR: DynamoFault = { errorType: 'InternalServerError', status: 500 };

/** Which connection deletes stall, fail or are slow, by connection id, in the order they arrive. */
class ConnectionDeleteFaults {
  readonly stalled = new Set<string>();
  readonly unlucky = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly failures = new Map<string, number>();

  constructor(private readonly connectionsTable: () => string) {}

  fault = (operation: string, request: Record<string, unknown>): DynamoFault | undefined => {
    const id = this.connectionId(operation, request);
    if (id === undefined || !this.unlucky.has(id)) return undefined;
    const failed = this.failures.get(id) ?? 0;
    if (failed >= DYNAMODB_MAX_ATTEMPTS) return undefined;
    this.failures.set(id, failed + 1);
    return INTERNAL_ERROR;
  };

  latency = (operation: string, request: Record<string, unknown>): number | undefined => {
    const id = this.connectionId(operation, request);
    if (id === undefined) return undefined;
    return this.stalled.has(id) ? STALL_MS : DELETE_LATENCY_MS;
  };

  /** The connection a delete of a connection row is for; chooses its fate the first time it is seen. */
  private connectionId(operation: string, request: Record<string, unknown>): string | undefined {
    if (operation !== 'DeleteItem' || request.TableName !== this.connectionsTable()) return undefined;
    const key = request.Key as Record<string, { S?: string }> | undefined;
    const id = key?.[Tables.connections.partitionKey]?.S;
    if (id === undefined || this.seen.has(id)) return id;
    this.seen.add(id);
    if (this.stalled.size < STALLED) this.stalled.add(id);
    else if (this.seen.size % UNLUCKY_EVERY === 0) this.unlucky.add(id);
    return id;
  }
}

let dynamo: LocalDynamo;
let proxy: DynamoProxy;
const runtimeLog: string[] = [];
const disconnectLog: string[] = [];
const faults = new ConnectionDeleteFaults(() => runtime().settings.connectionsTable);

// Jest runs hooks in the order they are declared: DynamoDB and its proxy start before the
// runtime and stop after it.
beforeAll(async () => {
  dynamo = await startDynamo();
  proxy = await startDynamoProxy({ target: dynamo.endpoint, faults: faults.fault, latency: faults.latency });
});
const runtime = useLocalRuntime(() => ({
  dynamodbEndpoint: proxy.endpoint,
  log: (line) => runtimeLog.push(line),
  handlerLog: (fn, line) => {
    if (fn === 'disconnect') disconnectLog.push(line);
  },
}));
afterAll(async () => {
  await proxy?.close();
  await dynamo?.stop();
});

async function rows(table: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start as never }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** `count` clients, each subscribed to a topic of its own. */
async function subscribedClients(count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  while (clients.length < count) {
    const batch = Array.from({ length: Math.min(JOINING_AT_ONCE, count - clients.length) }, (_, i) => `leaver-${clients.length + i}`);
    clients.push(...await Promise.all(batch.map(async (userId) => {
      const client = await connect(runtime(), userId);
      await client.subscribe(`orders/${userId}`);
      return client;
    })));
  }
  return clients;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('clients closing in waves while DynamoDB struggles leave only the timed-out $disconnects\' rows behind', async () => {
  const clients = await subscribedClients(CLIENTS);
  expect(await rows(runtime().settings.connectionsTable)).toBe(CLIENTS);
  expect(await rows(runtime().settings.subscriptionsTable)).toBe(CLIENTS);

  // Every $disconnect settles, failed or not, before the tables are counted.
  const disconnect = runtime().functions.disconnect;
  const invoke = disconnect.invoke.bind(disconnect);
  let settled = 0;
  disconnect.invoke = ((event: unknown) => invoke(event).finally(() => settled++)) as typeof disconnect.invoke;

  for (let wave = 0; wave < CLIENTS / WAVE_SIZE; wave++) {
    if (wave > 0) await sleep(WAVE_INTERVAL_MS);
    for (const client of clients.slice(wave * WAVE_SIZE, (wave + 1) * WAVE_SIZE)) client.ws.close(1000, 'done');
  }
  await eventually(() => expect(settled).toBe(CLIENTS), 60_000);

  const failed = runtimeLog.filter((line) => line.startsWith('$disconnect integration failed'));
  const timedOut = failed.filter((line) => line.includes('Sandbox.Timedout'));
  const outcome = {
    failedDisconnects: failed.length,
    timedOut: timedOut.length,
    // A stalled invocation may still log its own failure, its delete's request timeout, after it
    // timed out (its worker runs on until the others in it finish): those are not counted.
    cleanupsFailed: disconnectLog.filter((line) => line.includes('could not clean up the connection')
      && !line.includes('"name":"TimeoutError"')).length,
    connectionRowsLeft: await rows(runtime().settings.connectionsTable),
    subscriptionRowsLeft: await rows(runtime().settings.subscriptionsTable),
  };
  // What is left is the stalled invocations' own: in Lambda too, a timed-out $disconnect leaves
  // its rows to TTL and 410 cleanup.
  expect(faults.unlucky.size).toBeGreaterThan(0);
  expect(outcome).toEqual({
    failedDisconnects: STALLED,
    timedOut: STALLED,
    cleanupsFailed: 0,
    connectionRowsLeft: STALLED,
    subscriptionRowsLeft: STALLED,
  });
}, 180_000);
