/**
 * `npm start -- --data-dir DIR` (startLocalRuntime({ dataDir })): the embedded DynamoDB keeps its
 * tables in DIR, so a restart finds a room's history again; without it, all is in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startupBanner } from '../../local/banner';
import { startLocalRuntime } from '../../local/runtime';
import { Bundles, handlerBundles } from '../e2e/support/bundles';
import { connect, eventBridgeClient, publish } from '../e2e/support/clients';

let bundles: Bundles;
let dataDir: string;

beforeAll(() => {
  bundles = handlerBundles();
  dataDir = mkdtempSync(join(tmpdir(), 'local-data-'));
});
afterAll(() => {
  bundles?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (more: { dataDir?: string } = {}) => startLocalRuntime({
  port: 0, assetsDir: bundles.assetsDir, ttlSweepIntervalMs: 0, settings: { historyRules: ['rooms/*'] }, ...more,
});

async function historyOf(runtime: Awaited<ReturnType<typeof start>>, topic: string): Promise<unknown[]> {
  const client = await connect(runtime, 'alice');
  try {
    const page = await client.request({ action: 'history', topic });
    return (page.notifications as Array<{ data: unknown }>).map((n) => n.data);
  } finally {
    await client.close();
  }
}

test('a restart with the same data dir finds the history again', async () => {
  const first = await start({ dataDir });
  expect(first.dynamo.dataDir).toBe(join(dataDir, 'dynamodb'));
  expect(startupBanner(first)).toContain(`Kept in ${join(dataDir, 'dynamodb')}: history and subscriptions survive a restart.`);
  const events = eventBridgeClient(first);
  await publish(events, first, { topic: 'rooms/kept', data: 'before the restart' });
  await first.drained();
  events.destroy();
  expect(await historyOf(first, 'rooms/kept')).toEqual(['before the restart']);
  await first.stop();

  const second = await start({ dataDir });
  try {
    expect(await historyOf(second, 'rooms/kept')).toEqual(['before the restart']);
  } finally {
    await second.stop();
  }
});

test('without a data dir, a restart starts empty, and the banner says how to keep the data', async () => {
  const runtime = await start();
  try {
    expect(runtime.dynamo.dataDir).toBeUndefined();
    expect(startupBanner(runtime)).toContain('In memory: everything is gone on restart (npm start -- --data-dir .data keeps it).');
    expect(await historyOf(runtime, 'rooms/kept')).toEqual([]);
  } finally {
    await runtime.stop();
  }
});
