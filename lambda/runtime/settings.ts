/**
 * A handler's configuration, read from the environment the construct sets
 * (lib/private/handlers.ts handlerEnvironment) once at init: its deployment facts and its
 * settings, each setting under the variable derived from its name and held to its range. A
 * misconfigured function fails its cold start with a message naming the variable and the fix,
 * instead of failing every request. The one place lambda/ reads its environment.
 */
import { FACT_ENV, FactName, HANDLERS, RuntimeSettings } from '../../lib/private/handlers';
import { HandlerName } from '../../lib/private/runtime-contract';
import { envNameOf, SETTINGS, SettingName, SettingSpec } from '../../lib/private/settings';

/** The part of RuntimeSettings one handler reads. */
export type HandlerSettings<H extends HandlerName> = Pick<RuntimeSettings, (typeof HANDLERS)[H]['facts'][number] | (typeof HANDLERS)[H]['settings'][number]>;

export function readSettings<H extends HandlerName>(handler: H, env: NodeJS.ProcessEnv = process.env): HandlerSettings<H> {
  const d = HANDLERS[handler];
  const facts = d.facts.map((fact) => [fact, readFact(fact, env)]);
  const settings = d.settings.map((name) => [name, readSetting(name, env)]);
  return Object.fromEntries([...facts, ...settings]) as HandlerSettings<H>;
}

function readFact(fact: FactName, env: NodeJS.ProcessEnv): string {
  const name = FACT_ENV[fact];
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set. The construct sets it; when running a handler yourself, set it too.`);
  }
  if (fact.endsWith('Url')) checkUrl(name, value);
  return value;
}

function checkUrl(name: string, value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // answered below
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new Error(`Environment variable ${name} is "${value}"; it must be an http(s) URL.`);
  }
}

/** A setting from its variable, parsed as its default is typed; the default when unset. */
function readSetting(setting: SettingName, env: NodeJS.ProcessEnv): unknown {
  const spec: SettingSpec = SETTINGS[setting];
  const name = envNameOf(setting);
  const raw = env[name];
  if (raw === undefined || raw === '') return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  if (typeof spec.default === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new Error(`Environment variable ${name} is "${raw}"; it must be "true" or "false".`);
  }
  if (Array.isArray(spec.default)) return stringArray(name, raw);
  if (typeof spec.default === 'string') return raw;
  const value = Number(raw);
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} is "${raw}"; it must be an integer from ${min} to ${max} (\`${setting}\`).`);
  }
  return value;
}

function stringArray(name: string, raw: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    // answered below
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`Environment variable ${name} must be a JSON array of strings, such as ["orders/*"].`);
  }
  return value;
}
