/**
 * The edges of a connection's life, each race run many times through the real handler bundles
 * behind the local gateway: a delivery during `$connect`, connects of one user racing against
 * the per-user cap, and presence changes racing each other. Each test counts what was lost,
 * duplicated or admitted across its trials and expects none.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { connect, connectionIdOf, eventBridgeClient, publish, refusedStatus, TestClient, useLocalRuntime } from './support/clients';
import { eventually } from './support/suite';

const MAX_CONNECTIONS_PER_USER = 5;
/** Long enough for a delivery to meet a connection between its row and its open socket. */
const HANDSHAKE_DELAY_MS = 40;

const runtime = useLocalRuntime({
  handshakeDelayMs: HANDSHAKE_DELAY_MS,
  settings: {
    'connections.maxPerUser': MAX_CONNECTIONS_PER_USER,
    presenceRules: ['rooms/*'],
    publishRules: ['rooms/*'],
    'clientMessages.maxPerSecond': 1000,
  },
});

const open: TestClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => (c.closeCode === undefined ? c.close() : undefined)));
});

async function openAs(userId: string): Promise<TestClient> {
  const client = await connect(runtime(), userId);
  open.push(client);
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({
    endpoint: runtime().dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }));
}

describe('a delivery during $connect', () => {
  const TRIALS = 30;
  const NOTIFICATIONS = 8;

  it(`every notification after the resume point arrives, and the connection stays registered (${TRIALS} trials)`, async () => {
    const bus = eventBridgeClient(runtime());
    const doc = documentClient();
    let lost = 0;
    let unregistered = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const userId = `edge-connect-${trial}`;
      const first = await openAs(userId);
      const start = await first.request({ action: 'resume' });
      await first.close();

      const ids = Array.from({ length: NOTIFICATIONS }, (_, i) => `t${trial}-n${i}`);
      const publishing = (async () => {
        for (const id of ids) {
          await publish(bus, runtime(), { userId, id, data: id });
          await sleep(12);
        }
      })();
      await sleep(10 + Math.floor(Math.random() * 70));
      const client = await openAs(userId);
      const resumed = await client.request({ action: 'resume', since: { epoch: start.epoch, seq: start.seq } });
      expect(resumed).toMatchObject({ type: 'resumed', recovered: true });
      await publishing;
      await runtime().drained();
      await client.sync();

      const received = new Set(client.notifications.map((n) => n.id));
      lost += ids.filter((id) => !received.has(id)).length;
      const row = await doc.send(new GetCommand({
        TableName: runtime().settings.connectionsTable,
        Key: { [Tables.connections.partitionKey]: await connectionIdOf(runtime(), client) },
      }));
      if (row.Item === undefined) unregistered++;
      await client.close();
    }
    expect({ lost, unregistered }).toEqual({ lost: 0, unregistered: 0 });
  });
});

describe('the per-user connection cap under concurrent connects', () => {
  const TRIALS = 8;
  const CONCURRENT = 25;

  /** Opens `count` connections of `userId` at once; resolves with those admitted. */
  async function connectAtOnce(userId: string, count: number): Promise<TestClient[]> {
    const attempts = await Promise.allSettled(Array.from({ length: count }, () => connect(runtime(), userId)));
    const admitted = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    open.push(...admitted);
    return admitted;
  }

  it(`admits at most ${MAX_CONNECTIONS_PER_USER} of ${CONCURRENT} simultaneous connects (${TRIALS} trials)`, async () => {
    const admittedPerTrial: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const admitted = await connectAtOnce(`edge-cap-${trial}`, CONCURRENT);
      admittedPerTrial.push(admitted.length);
      await Promise.all(admitted.map((c) => c.close()));
    }
    expect(admittedPerTrial).toEqual(Array(TRIALS).fill(MAX_CONNECTIONS_PER_USER));
  });

  /** One at a time: connectionIdOf watches every connection's frames for its own ping. */
  async function idsOf(clients: TestClient[]): Promise<string[]> {
    const ids: string[] = [];
    for (const client of clients) ids.push(await connectionIdOf(runtime(), client));
    return ids;
  }

  it('places freed by closes and by connections that vanished without $disconnect are given again exactly', async () => {
    const userId = 'edge-cap-reuse';
    const doc = documentClient();
    const row = (connectionId: string) => doc.send(new GetCommand({
      TableName: runtime().settings.connectionsTable, Key: { [Tables.connections.partitionKey]: connectionId },
    })).then((r) => r.Item);
    const refused = async () => refusedStatus(`${runtime().wsUrl}?token=${encodeURIComponent(await runtime().token(userId))}`);

    const first = await connectAtOnce(userId, CONCURRENT);
    expect(first).toHaveLength(MAX_CONNECTIONS_PER_USER);
    expect(await refused()).toBe(429);
    const firstIds = await idsOf(first);
    await Promise.all(first.map((c) => c.close()));
    await eventually(async () => (await Promise.all(firstIds.map(row))).every((r) => r === undefined), '$disconnect to run');

    const second = await connectAtOnce(userId, CONCURRENT);
    expect(second).toHaveLength(MAX_CONNECTIONS_PER_USER);
    expect(await refused()).toBe(429);
    // Lost without $disconnect: the rows stay until a probe finds them gone, which it may only
    // once their handshake window has passed (a 410 inside it may be a connect still finishing).
    const secondIds = await idsOf(second);
    const openBy = Math.max(...(await Promise.all(secondIds.map(row))).map((r) => Number(r?.openBy)));
    for (const id of secondIds) runtime().gateway.loseConnection(id);
    await Promise.all(second.map((c) => c.waitForClose()));
    await sleep(openBy - Date.now() + 50);

    const third = await connectAtOnce(userId, CONCURRENT);
    expect(third).toHaveLength(MAX_CONNECTIONS_PER_USER);
    expect(await refused()).toBe(429);
    expect((await Promise.all(secondIds.map(row))).filter(Boolean)).toEqual([]);
  }, 60_000);
});

describe('presence under racing tabs', () => {
  const TRIALS = 40;

  it(`a member list kept from the events in arrival order equals the presence query (${TRIALS} trials)`, async () => {
    const watcher = await openAs('edge-watcher');
    const mismatches: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const topic = `rooms/edge-presence-${trial}`;
      await watcher.subscribe(topic);
      const tabA = await openAs('edge-tabs');
      const tabB = await openAs('edge-tabs');
      await tabA.subscribe(topic);
      await watcher.waitFor((f) => f.type === 'presence' && f.topic === topic && f.event === 'join', 'the first join');

      // Tab B joins while tab A leaves: the user stays present throughout.
      await Promise.all([tabB.subscribe(topic), tabA.request({ action: 'unsubscribe', topic })]);
      await watcher.sync();

      // The watcher is a member too, but is not told of itself: the list holds the others.
      const members = new Set<string>();
      for (const f of watcher.frames) {
        if (f.type !== 'presence' || f.topic !== topic || f.event === undefined) continue;
        if (f.event === 'join') members.add(f.userId as string);
        else members.delete(f.userId as string);
      }
      const answer = await watcher.request({ action: 'presence', topic });
      const truth = (answer.members as Array<{ userId: string }>).map((m) => m.userId).filter((id) => id !== watcher.userId);
      const kept = [...members].sort();
      if (JSON.stringify(kept) !== JSON.stringify(truth.sort())) mismatches.push(`${topic}: events say ${JSON.stringify(kept)}, query says ${JSON.stringify(truth)}`);
      await Promise.all([tabA.close(), tabB.close()]);
      open.splice(open.indexOf(tabA), 1);
      open.splice(open.indexOf(tabB), 1);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('a connection that lost its row', () => {
  it.each(['ping', 'subscribe'])('is told so and closed on its next %s, and its client can reconnect', async (action) => {
    const client = await openAs('edge-unregistered');
    const connectionId = await connectionIdOf(runtime(), client);
    await documentClient().send(new DeleteCommand({
      TableName: runtime().settings.connectionsTable, Key: { [Tables.connections.partitionKey]: connectionId },
    }));
    const answer = await client.request(action === 'ping' ? { action } : { action, topic: 'orders/edge-unregistered' });
    expect(answer).toMatchObject({ type: 'error', code: 'INTERNAL', message: expect.stringContaining('no longer registered') });
    await client.waitForClose();
    const again = await openAs('edge-unregistered');
    await again.subscribe('orders/edge-unregistered');
  });
});
