/**
 * startLocalRuntime holds `settings` to the construct's ranges, and refuses the auth modes it
 * cannot run, before it starts: the handlers, whose workers start on their first invocation,
 * would refuse such a value only then, on the first request that reaches them.
 */
import { HANDLERS, RuntimeSettings } from '../../lib/private/handlers';
import { AuthSettings } from '../../lib/private/runtime-contract';
import { RANGED_SETTINGS, SETTINGS } from '../../lib/private/settings';
import { LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime';
import { Bundles, handlerBundles } from '../e2e/support/bundles';
import { connect, eventBridgeClient, publish } from '../e2e/support/clients';

let bundles: Bundles;
beforeAll(() => { bundles = handlerBundles(); });
afterAll(() => bundles.dispose());

const start = (options: LocalRuntimeOptions) => startLocalRuntime({
  port: 0, assetsDir: bundles.assetsDir, ttlSweepIntervalMs: 0, log: () => undefined, handlerLog: () => undefined, ...options,
});

test('a connection TTL under 2 hours is refused at start, naming the setting, its value and its range', async () => {
  await expect(start({ settings: { 'connections.ttl': 60 } })).rejects.toThrow(
    "settings['connections.ttl'] is 60; it must be a whole number from 7200 to 31536000, in seconds.");
});

test.each<[string, Partial<RuntimeSettings>, string]>([
  ['a fraction', { 'delivery.shardSize': 2.5 }, "settings['delivery.shardSize'] is 2.5; it must be a whole number from 1 to 5000."],
  ['a string', { 'history.maxReplay': '50' as unknown as number }, "settings['history.maxReplay'] is \"50\"; it must be a whole number from 1 to 1000"],
  ['a size above the maximum', { 'clientMessages.maxSize': 100 * 1024 + 1 }, "settings['clientMessages.maxSize'] is 102401; it must be a whole number from 1 to 102400, in bytes."],
])('%s is refused at start', async (_what, settings, message) => {
  await expect(start({ settings })).rejects.toThrow(message);
});

test('each deliver environment enforces its share of delivery.maxRatePerSecond, as each deliver instance does on AWS', async () => {
  for (const [environments, share] of [[undefined, 100], [4, 25], [3, 33], [200, 1]] as const) {
    const runtime = await start({ settings: { 'delivery.maxRatePerSecond': 100 }, queue: { deliverEnvironments: environments } });
    try {
      expect(runtime.functions.deliver.environment.DELIVERY_MAX_RATE_PER_SECOND).toBe(String(share));
      expect(runtime.settings['delivery.maxRatePerSecond']).toBe(100);
    } finally {
      await runtime.stop();
    }
  }
});

test('queue.maxReceiveCount is named as it was given', async () => {
  await expect(start({ queue: { maxReceiveCount: 0 } })).rejects.toThrow(
    'queue.maxReceiveCount is 0; it must be a whole number from 1 to 1000 (the construct\'s `delivery.maxReceiveCount`).');
});

test.each<AuthSettings>([
  { mode: 'cognito', userPoolId: 'us-east-1_example', clientIds: ['client'] },
  { mode: 'lambda' },
])('settings.auth.mode $mode is refused at start: it says what runs locally instead', async (auth) => {
  await expect(start({ settings: { auth } })).rejects.toThrow(
    `settings.auth.mode "${auth.mode}" cannot run locally. Leave settings.auth unset to use the local issuer (jwt), or set { mode: 'none' } for connections without a token.`);
});

test('every setting at its maximum starts, and the handlers that read them answer: a notification is delivered', async () => {
  const read = new Set(Object.values(HANDLERS).flatMap((handler) => handler.settings));
  const settings = Object.fromEntries(RANGED_SETTINGS.filter((name) => read.has(name)).map((name) => [name, SETTINGS[name].max]));
  const runtime = await start({ settings });
  const events = eventBridgeClient(runtime);
  try {
    expect(runtime.settings).toMatchObject(settings);
    const client = await connect(runtime, 'alice');
    await client.subscribe('rooms/1');
    // deliver loads (and reads its settings) on the first notification.
    await publish(events, runtime, { topic: 'rooms/1', data: 'at the maximum' });
    const [notification] = await client.waitForNotifications(1);
    expect(notification).toMatchObject({ topic: 'rooms/1', data: 'at the maximum' });
    await client.close();
  } finally {
    events.destroy();
    await runtime.stop();
  }
});
