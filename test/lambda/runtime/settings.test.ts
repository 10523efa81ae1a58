/**
 * readSettings, the one place lambda/ reads its environment: what handlerEnvironment writes for a
 * handler comes back as it went in, for every handler; a value the construct would never set is
 * refused at init with a message naming the variable and what it must be; an unset setting is
 * its default.
 */
import { FACT_ENV, HANDLERS, handlerEnvironment, RuntimeSettings } from '../../../lib/private/handlers';
import { HANDLER_NAMES } from '../../../lib/private/runtime-contract';
import { envNameOf, SETTINGS } from '../../../lib/private/settings';
import { readSettings } from '../../../lambda/runtime/settings';
import { localSettings } from '../../../local/settings';

/** Settings unlike the defaults, so a value read back from the wrong variable or a default shows. */
const SETTINGS_UNDER_TEST: RuntimeSettings = localSettings('https://abc.execute-api.eu-west-1.amazonaws.com/prod', {
  'topicRules': ['orders/*'], 'publishRules': ['rooms/*'], 'presenceRules': ['rooms/*'], 'historyRules': ['orders/*'],
  'history.userStreams': false, 'history.retention': 3600, 'history.maxReplay': 7, 'allowBroadcast': true, 'detailType': 'Order',
  'connections.ttl': 9000, 'connections.maxPerUser': 3, 'connections.maxSubscriptions': 4,
  'clientMessages.maxPerSecond': 5, 'clientMessages.maxSize': 1000, 'clientMessages.maxPresenceMembers': 6, 'clientMessages.detailType': 'Chat',
  'delivery.postConcurrency': 8, 'delivery.shardThreshold': 90, 'delivery.shardSize': 9, 'delivery.maxRatePerSecond': 11,
  'delivery.maxAttempts': 2, 'delivery.maxReceiveCount': 12,
});

describe.each(HANDLER_NAMES.map((handler) => [handler]))('%s', (handler) => {
  test('handlerEnvironment → readSettings gives back every fact and setting it reads', () => {
    const d = HANDLERS[handler];
    const expected = Object.fromEntries([...d.facts, ...d.settings].map((key) => [key, SETTINGS_UNDER_TEST[key]]));
    expect(readSettings(handler, handlerEnvironment(handler, SETTINGS_UNDER_TEST))).toEqual(expected);
  });

  test('its settings are each set in its environment, under the variable derived from the name', () => {
    const env = handlerEnvironment(handler, SETTINGS_UNDER_TEST);
    for (const name of HANDLERS[handler].settings) expect([name, env[envNameOf(name)]]).toEqual([name, expect.any(String)]);
  });
});

describe('reading', () => {
  const env = handlerEnvironment('message', SETTINGS_UNDER_TEST);

  test('an unset setting is its default', () => {
    const { [envNameOf('history.maxReplay')]: _, [envNameOf('topicRules')]: __, ...rest } = env;
    const read = readSettings('message', rest);
    expect(read['history.maxReplay']).toBe(SETTINGS['history.maxReplay'].default);
    expect(read.topicRules).toEqual(SETTINGS.topicRules.default);
  });

  test('names derive from the prop path, with the unit of a Duration or a Size', () => {
    expect(envNameOf('clientMessages.maxPerSecond')).toBe('CLIENT_MESSAGES_MAX_PER_SECOND');
    expect(envNameOf('history.retention')).toBe('HISTORY_RETENTION_SECONDS');
    expect(envNameOf('clientMessages.maxSize')).toBe('CLIENT_MESSAGES_MAX_SIZE_BYTES');
    expect(envNameOf('topicRules')).toBe('TOPIC_RULES');
  });

  const { min, max } = SETTINGS['history.maxReplay'];
  test.each([String(min - 1), String(max + 1), '2.5', 'ten'])('refuses %s for a ranged integer, naming variable, range and setting', (value) => {
    expect(() => readSettings('message', { ...env, HISTORY_MAX_REPLAY: value })).toThrow(
      `Environment variable HISTORY_MAX_REPLAY is "${value}"; it must be an integer from ${min} to ${max} (\`history.maxReplay\`).`);
  });

  test.each(['TRUE', 'yes', '1'])('refuses %s for a boolean', (value) => {
    expect(() => readSettings('message', { ...env, HISTORY_USER_STREAMS: value })).toThrow(
      `Environment variable HISTORY_USER_STREAMS is "${value}"; it must be "true" or "false".`);
  });

  test.each(['orders/*', '["orders/*"', '"orders/*"', '{"topics":["orders/*"]}', '["orders/*",1]', 'null'])('refuses %s for a list of topic patterns', (value) => {
    expect(() => readSettings('message', { ...env, TOPIC_RULES: value })).toThrow(
      'Environment variable TOPIC_RULES must be a JSON array of strings, such as ["orders/*"].');
  });

  test.each(['abc.execute-api.eu-west-1.amazonaws.com/prod', 'ftp://example.com/queue', 'not a url'])('refuses %s as a URL', (value) => {
    expect(() => readSettings('message', { ...env, [FACT_ENV.callbackUrl]: value })).toThrow(
      `Environment variable ${FACT_ENV.callbackUrl} is "${value}"; it must be an http(s) URL.`);
  });

  test.each([undefined, ''])('refuses a fact unset (%p)', (value) => {
    expect(() => readSettings('message', { ...env, [FACT_ENV.connectionsTable]: value })).toThrow(
      `Environment variable ${FACT_ENV.connectionsTable} is not set. The construct sets it; when running a handler yourself, set it too.`);
  });
});
