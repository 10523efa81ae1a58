/**
 * Reading the handler configuration the construct sets (lib/private/runtime-contract Env).
 * Read once at init: a misconfigured function fails its cold start with a message naming the
 * variable, instead of failing every request.
 */
import type { EnvName } from '../../lib/private/runtime-contract';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set. The construct sets it; when running a handler yourself, set it too.`);
  }
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A required http or https URL, as written. */
export function urlEnv(name: string): string {
  const value = requiredEnv(name);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // answered below
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new Error(`Environment variable ${name} is "${value}"; it must be an http(s) URL.`);
  }
  return value;
}

/** A ranged setting the handlers read (lib/private/runtime-contract SETTINGS), with the variable it is read from. */
export interface IntegerSetting {
  readonly env: EnvName;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** The setting's whole number from its variable, within its range; its default when unset. */
export function integerEnv(setting: IntegerSetting): number {
  const name = setting.env;
  const raw = optionalEnv(name);
  if (raw === undefined) return setting.default;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
    throw new Error(`Environment variable ${name} is "${raw}"; it must be an integer from ${setting.min} to ${setting.max}.`);
  }
  return value;
}

/** A comma-separated list, blanks dropped. */
export function listEnv(name: string): string[] | undefined {
  const raw = optionalEnv(name);
  return raw?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function jsonStringArrayEnv(name: string, defaultValue: string[]): string[] {
  const raw = optionalEnv(name);
  if (raw === undefined) return defaultValue;
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

export function booleanEnv(name: string, defaultValue: boolean): boolean {
  const raw = optionalEnv(name);
  if (raw === undefined) return defaultValue;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`Environment variable ${name} is "${raw}"; it must be "true" or "false".`);
}
