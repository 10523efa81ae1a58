/**
 * The construct's validation, the local runtime's settings check and the handlers' environment
 * parsing read one table of ranges (SETTINGS in lib/private/settings.ts). For every
 * ranged setting a handler reads, all three accept its bounds and refuse one step beyond them,
 * so none can drift from the others.
 */
import { Duration, Size } from 'aws-cdk-lib';
import { ConnectionAuth, RealtimeNotificationsProps } from '../lib';
import { validateProps } from '../lib/private/props-validation';
import { HANDLERS, handlerEnvironment } from '../lib/private/handlers';
import { envNameOf, RANGED_SETTINGS, RangedSettingName, SETTINGS } from '../lib/private/settings';
import { HANDLER_NAMES, HandlerName } from '../lib/private/runtime-contract';
import { checkSettingRanges, localSettings } from '../local/settings';
import { loadHandler } from './support/handlers';

/** Props a setting is only valid with: a shard is at most the threshold; a rate cap is split between a known number of instances. */
const COMPANIONS: Partial<Record<RangedSettingName, RealtimeNotificationsProps['delivery']>> = {
  'delivery.shardSize': { shardThreshold: SETTINGS['delivery.shardThreshold'].max },
  'delivery.shardThreshold': { shardSize: SETTINGS['delivery.shardSize'].min },
  'delivery.maxRatePerSecond': { maxConcurrency: SETTINGS['delivery.maxConcurrency'].min },
};

/** The ranged settings some handler reads from its environment. */
const HANDLER_RANGED_SETTINGS = RANGED_SETTINGS.filter((name) => HANDLER_NAMES.some((h) => HANDLERS[h].settings.includes(name)));

/** A ranged setting the handlers read, and the variable they read it from. */
const handlerSetting = (name: RangedSettingName) => ({ ...(SETTINGS[name] as { min: number; max: number }), env: envNameOf(name) });

/** Props with the setting at `value`, in the prop's own type (a Duration, a Size or a number). */
function propsWith(name: RangedSettingName, value: number): RealtimeNotificationsProps {
  const setting = SETTINGS[name] as { unit?: string };
  const [group, field] = name.split('.');
  const typed = setting.unit === 'seconds' ? Duration.seconds(value) : setting.unit === 'bytes' ? Size.bytes(value) : value;
  const companions = group === 'delivery' ? COMPANIONS[name] : undefined;
  return {
    auth: ConnectionAuth.none(),
    ...(field === undefined ? { [group]: typed } : { [group]: { ...companions, [field]: typed } }),
  };
}

/** The handlers whose environment carries the setting's variable: each parses it at init. */
function handlersReading(env: string): HandlerName[] {
  const settings = localSettings('http://127.0.0.1:9');
  return HANDLER_NAMES.filter((handler) => env in handlerEnvironment(handler, settings));
}

function loadWith(handler: HandlerName, env: string, value: number): void {
  loadHandler(handler, {
    ...handlerEnvironment(handler, localSettings('http://127.0.0.1:9')),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    [env]: String(value),
  });
}

const savedEnv = { ...process.env };
afterAll(() => {
  process.env = savedEnv;
});

test('every ranged setting a handler reads is in some handler\'s environment', () => {
  expect(HANDLER_RANGED_SETTINGS.length).toBeGreaterThan(10);
  for (const name of HANDLER_RANGED_SETTINGS) expect([name, handlersReading(handlerSetting(name).env)]).not.toEqual([name, []]);
});

describe.each(HANDLER_RANGED_SETTINGS.map((name) => [name]))('%s', (name) => {
  const { min, max, env } = handlerSetting(name);
  const unit: string | undefined = (SETTINGS[name] as { unit?: string }).unit;
  const boundaries: Array<[string, number, boolean]> = [
    ['one below the minimum', min - 1, false],
    ['the minimum', min, true],
    ['the maximum', max, true],
    ['one above the maximum', max + 1, false],
  ];

  test.each(boundaries)('the construct: %s (%d) accepted = %s', (_what, value, accepted) => {
    const validate = () => validateProps(propsWith(name, value));
    if (accepted) expect(validate).not.toThrow();
    else expect(validate).toThrow(`invalid \`${name}\``);
  });

  test.each(boundaries)('the local runtime\'s settings: %s (%d) accepted = %s', (_what, value, accepted) => {
    const check = () => checkSettingRanges(localSettings('http://127.0.0.1:9', { [name]: value }));
    if (accepted) expect(check).not.toThrow();
    else expect(check).toThrow(`settings['${name}'] is ${value}; it must be a whole number from ${min} to ${max}${unit === undefined ? '' : `, in ${unit}`}.`);
  });

  test.each(boundaries)('the handlers: %s (%d) accepted = %s', (_what, value, accepted) => {
    for (const handler of handlersReading(env)) {
      const load = () => loadWith(handler, env, value);
      if (accepted) expect(load).not.toThrow();
      else expect(load).toThrow(`Environment variable ${env} is "${value}"; it must be an integer from ${min} to ${max} (\`${name}\`).`);
    }
  });
});
