/**
 * startLocalRuntime holds `settings` to the construct's ranges, and refuses the auth modes it
 * cannot run, before it starts: the handlers, whose workers start on their first invocation,
 * would refuse such a value only then, on the first request that reaches them.
 */
import { AuthSettings, HANDLER_RANGED_SETTINGS, RuntimeSettings, SETTINGS } from '../../lib/private/runtime-contract';
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
  await expect(start({ settings: { connectionTtlSeconds: 60 } })).rejects.toThrow(
    'settings.connectionTtlSeconds is 60; it must be a whole number from 7200 to 31536000 (the construct\'s `connections.ttl`, in seconds).');
});

test.each<[string, Partial<RuntimeSettings>, string]>([
  ['a fraction', { shardSize: 2.5 }, 'settings.shardSize is 2.5; it must be a whole number from 1 to 5000 (the construct\'s `delivery.shardSize`).'],
  ['a string', { maxReplay: '50' as unknown as number }, 'settings.maxReplay is "50"; it must be a whole number from 1 to 1000'],
  ['a size above the maximum', { maxClientMessageDataBytes: 100 * 1024 + 1 }, 'settings.maxClientMessageDataBytes is 102401; it must be a whole number from 1 to 102400 (the construct\'s `clientMessages.maxSize`, in bytes).'],
])('%s is refused at start', async (_what, settings, message) => {
  await expect(start({ settings })).rejects.toThrow(message);
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
  const settings = Object.fromEntries(HANDLER_RANGED_SETTINGS.map((name) => [name, SETTINGS[name].max]));
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
