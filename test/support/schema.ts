/**
 * Holds what the code produces to the protocol's schemas: a value matches when it breaks no rule
 * of its schema and has no field the schema does not list (the checker alone ignores those).
 */
import { isJsonObject } from '../../lib/private/json-object';
import { firstViolation, JsonSchema } from '../../lib/private/protocol';

/** What about `value` the schema does not say, in words; undefined when it matches exactly. */
export function schemaMismatch(value: unknown, schema: JsonSchema): string | undefined {
  const violation = firstViolation(value, schema);
  if (violation) return `${violation.path || 'the value'}: ${violation.message}`;
  const unlisted = isJsonObject(value) ? Object.keys(value).filter((name) => !(name in (schema.properties ?? {}))) : [];
  return unlisted.length === 0 ? undefined : `not in the schema: ${unlisted.join(', ')}`;
}
