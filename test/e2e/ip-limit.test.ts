/**
 * The per-IP connection limit through the real handler bundles behind the local gateway (every
 * test client comes from 127.0.0.1, as API Gateway reports it, whatever X-Forwarded-For says):
 * refused with 429 at the limit, racing connects of many users never pass it, and places of
 * closed connections are given again (those lost without $disconnect are found by the same probes
 * as the per-user limit's: connection-edges.test.ts). The default limit, 1,000, is
 * checked with 1,001 connections.
 */
import WebSocket from 'ws';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { connect, refusedStatus, TestClient, useLocalRuntime } from './support/clients';
import { eventually } from './support/suite';

const MAX_PER_IP = 5;
const CONCURRENT = 12;
const TRIALS = 5;

const runtime = useLocalRuntime({ settings: { 'connections.maxPerIp': MAX_PER_IP } });

const open: TestClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => (c.closeCode === undefined ? c.close() : undefined)));
});

/** Each connect as a user of its own: only the IP is shared. */
async function connectAtOnce(prefix: string, count: number): Promise<TestClient[]> {
  const attempts = await Promise.allSettled(Array.from({ length: count }, (_, i) => connect(runtime(), `${prefix}-${i}`)));
  const admitted = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  open.push(...admitted);
  return admitted;
}

/** The ids in 127.0.0.1's set, as the counters table holds them. */
async function ipSet(): Promise<string[]> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({
    endpoint: runtime().dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }));
  const { Item } = await doc.send(new GetCommand({ TableName: runtime().settings.countersTable, Key: { pk: 'ip#127.0.0.1', sk: 'open' }, ConsistentRead: true }));
  doc.destroy();
  return Item?.connectionIds ? [...(Item.connectionIds as Set<string>)] : [];
}

const refused = async (userId: string) => refusedStatus(`${runtime().wsUrl}?token=${encodeURIComponent(await runtime().token(userId))}`);

it(`admits at most ${MAX_PER_IP} of ${CONCURRENT} simultaneous connects of different users from one IP (${TRIALS} trials)`, async () => {
  const admittedPerTrial: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const admitted = await connectAtOnce(`ip-race-${trial}`, CONCURRENT);
    admittedPerTrial.push(admitted.length);
    await Promise.all(admitted.map((c) => c.close()));
    await eventually(async () => (await ipSet()).length === 0, '$disconnect to free the places');
  }
  expect(admittedPerTrial).toEqual(Array(TRIALS).fill(MAX_PER_IP));
}, 60_000);

it('refuses the next connection from the IP with 429, whatever X-Forwarded-For claims, and gives places back', async () => {
  const first = await connectAtOnce('ip-full', MAX_PER_IP);
  expect(first).toHaveLength(MAX_PER_IP);
  expect(await refused('ip-newcomer')).toBe(429);
  // A client header never decides the address.
  const token = await runtime().token('ip-spoofer');
  const spoofed = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${runtime().wsUrl}?token=${encodeURIComponent(token)}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.terminate();
      resolve(200);
    });
    ws.once('error', () => undefined);
  });
  expect(spoofed).toBe(429);
  await first[0].close();
  await eventually(async () => {
    try {
      open.push(await connect(runtime(), 'ip-newcomer'));
      return true;
    } catch {
      return false;
    }
  }, 'the freed place to be given again');
  expect(await ipSet()).toHaveLength(MAX_PER_IP);
}, 60_000);

describe('the default limit', () => {
  const DEFAULT_MAX = 1000;
  const atDefault = useLocalRuntime();

  it(`refuses the ${DEFAULT_MAX + 1}st connection from one IP`, async () => {
    const clients: TestClient[] = [];
    try {
      for (let batch = 0; batch < DEFAULT_MAX / 50; batch++) {
        clients.push(...await Promise.all(Array.from({ length: 50 }, (_, i) => connect(atDefault(), `crowd-${batch}-${i}`))));
      }
      expect(clients).toHaveLength(DEFAULT_MAX);
      expect(await refusedStatus(`${atDefault().wsUrl}?token=${encodeURIComponent(await atDefault().token('crowd-extra'))}`)).toBe(429);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 300_000);
});
