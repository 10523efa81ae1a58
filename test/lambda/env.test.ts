/**
 * The handlers' environment parsers: a value the construct would never set is refused at init
 * with a message naming the variable and what it must be; an unset optional one is its default.
 */
import { Env, SETTINGS } from '../../lib/private/runtime-contract';
import { booleanEnv, integerEnv, jsonStringArrayEnv, urlEnv } from '../../lambda/core/env';

const VARIABLE = 'REALTIME_ENV_TEST';
const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

function withVariable(value: string | undefined, name = VARIABLE): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('urlEnv', () => {
  test.each(['https://abc.execute-api.eu-west-1.amazonaws.com/prod', 'http://127.0.0.1:4510/local'])('takes %s as written', (url) => {
    withVariable(url);
    expect(urlEnv(VARIABLE)).toBe(url);
  });

  test.each(['abc.execute-api.eu-west-1.amazonaws.com/prod', 'ftp://example.com/queue', 'not a url'])('refuses %s', (value) => {
    withVariable(value);
    expect(() => urlEnv(VARIABLE)).toThrow(`Environment variable ${VARIABLE} is "${value}"; it must be an http(s) URL.`);
  });

  test.each([undefined, ''])('refuses it unset (%p) as required', (value) => {
    withVariable(value);
    expect(() => urlEnv(VARIABLE)).toThrow(`Environment variable ${VARIABLE} is not set. The construct sets it; when running a handler yourself, set it too.`);
  });
});

describe('booleanEnv', () => {
  test.each([['true', true], ['false', false]])('reads %s', (value, expected) => {
    withVariable(value);
    expect(booleanEnv(VARIABLE, !expected)).toBe(expected);
  });

  test('is its default when unset', () => {
    withVariable(undefined);
    expect(booleanEnv(VARIABLE, true)).toBe(true);
    expect(booleanEnv(VARIABLE, false)).toBe(false);
  });

  test.each(['TRUE', 'yes', '1'])('refuses %s', (value) => {
    withVariable(value);
    expect(() => booleanEnv(VARIABLE, true)).toThrow(`Environment variable ${VARIABLE} is "${value}"; it must be "true" or "false".`);
  });
});

describe('jsonStringArrayEnv', () => {
  test('reads a JSON array of strings; unset is its default', () => {
    withVariable('["orders/*","users/{userId}/**"]');
    expect(jsonStringArrayEnv(VARIABLE, [])).toEqual(['orders/*', 'users/{userId}/**']);
    withVariable(undefined);
    expect(jsonStringArrayEnv(VARIABLE, ['**'])).toEqual(['**']);
  });

  test.each(['orders/*', '["orders/*"', '"orders/*"', '{"topics":["orders/*"]}', '["orders/*",1]', 'null'])('refuses %s', (value) => {
    withVariable(value);
    expect(() => jsonStringArrayEnv(VARIABLE, [])).toThrow(`Environment variable ${VARIABLE} must be a JSON array of strings, such as ["orders/*"].`);
  });
});

describe('integerEnv', () => {
  const { min, max } = SETTINGS.maxReplay;

  test('reads the variable the setting names; unset is the setting\'s default', () => {
    withVariable(String(max), Env.MAX_REPLAY);
    expect(integerEnv(SETTINGS.maxReplay)).toBe(max);
    withVariable(undefined, Env.MAX_REPLAY);
    expect(integerEnv(SETTINGS.maxReplay)).toBe(SETTINGS.maxReplay.default);
  });

  test.each([String(min - 1), String(max + 1), '2.5', 'ten'])('refuses %s', (value) => {
    withVariable(value, Env.MAX_REPLAY);
    expect(() => integerEnv(SETTINGS.maxReplay)).toThrow(`Environment variable ${Env.MAX_REPLAY} is "${value}"; it must be an integer from ${min} to ${max}.`);
  });

  test('takes only a setting that names its variable, so none can be read from another\'s', () => {
    expect(SETTINGS.batchSize).not.toHaveProperty('env');
    // The type check (npm run typecheck) fails if this compiles: batchSize is the construct's, no handler reads it.
    // @ts-expect-error a setting without `env`
    void (() => integerEnv(SETTINGS.batchSize));
  });
});
