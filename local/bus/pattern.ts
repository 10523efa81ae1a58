/**
 * EventBridge event-pattern matching, for the subset of the pattern language the construct's rules
 * use and a little more: exact values, nested objects, `prefix`, `exists` and `anything-but` (a
 * value or a list of values). Unsupported operators are refused when the pattern is compiled
 * rather than silently mismatched. Pure.
 */
import { isJsonObject } from '../../lib/private/json-object';

export type EventPattern = { readonly [key: string]: EventPattern | ReadonlyArray<unknown> };

const SUPPORTED_OPERATORS = new Set(['prefix', 'exists', 'anything-but']);

export function assertSupportedPattern(pattern: EventPattern, path = ''): void {
  for (const [key, condition] of Object.entries(pattern)) {
    const where = path ? `${path}.${key}` : key;
    if (Array.isArray(condition)) {
      for (const value of condition) {
        if (value !== null && typeof value === 'object') {
          const operators = Object.keys(value);
          const unsupported = operators.filter((op) => !SUPPORTED_OPERATORS.has(op));
          if (unsupported.length > 0) {
            throw new Error(`Event pattern at ${where} uses ${unsupported.join(', ')}; the local bus supports exact values, prefix, exists and anything-but.`);
          }
          const excluded = (value as { 'anything-but'?: unknown })['anything-but'];
          if (excluded !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).every(isScalar)) {
            throw new Error(`Event pattern at ${where} uses anything-but with an operator; the local bus supports it with values only.`);
          }
        }
      }
    } else if (condition && typeof condition === 'object') {
      assertSupportedPattern(condition as EventPattern, where);
    } else {
      throw new Error(`Event pattern at ${where} must be an array of values or a nested pattern.`);
    }
  }
}

/** True when `event` matches every field of `pattern` (each field: any of its listed values). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const record = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, condition]) => {
    const value = typeof record === 'object' ? record[key] : undefined;
    if (Array.isArray(condition)) return condition.some((allowed) => matchesValue(allowed, value));
    return isJsonObject(value) && matchesPattern(condition as EventPattern, value);
  });
}

function matchesValue(allowed: unknown, value: unknown): boolean {
  // An array value in the event matches if any of its elements does.
  if (Array.isArray(value)) return value.some((element) => matchesValue(allowed, element));
  if (allowed !== null && typeof allowed === 'object') {
    const operator = allowed as { prefix?: string; exists?: boolean; 'anything-but'?: unknown };
    if (operator.exists !== undefined) return operator.exists === (value !== undefined);
    if (operator['anything-but'] !== undefined) {
      const excluded = operator['anything-but'];
      return value !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
    }
    if (operator.prefix !== undefined) return typeof value === 'string' && value.startsWith(operator.prefix);
    return false;
  }
  return value !== undefined && allowed === value;
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null;
}
