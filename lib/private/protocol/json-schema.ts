/**
 * The JSON Schema subset the protocol is written in, and a small checker for it: the server
 * validates frames with it rather than bundling a general validator into every Lambda.
 *
 * `errorMessage` follows the ajv-errors convention: on a property, the words for any failure of
 * it; on an object, `errorMessage.required[name]` for a missing property (the property's own
 * message when not given).
 */
import { isJsonObject } from '../json-object';

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface JsonSchema {
  readonly title?: string;
  readonly description?: string;
  readonly type?: JsonType | readonly JsonType[];
  readonly const?: string | boolean | number;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  /** A regular expression a string matches (anchor it). */
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  /** Checked in this order; properties not listed are ignored. */
  readonly properties?: { readonly [name: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Exactly one branch holds; when none does, the branch of the value's type reports. */
  readonly oneOf?: readonly JsonSchema[];
  /** At least one branch holds. */
  readonly anyOf?: readonly JsonSchema[];
  readonly examples?: readonly unknown[];
  /** The value a reader takes when the field is absent. */
  readonly default?: unknown;
  readonly errorMessage?: string | { readonly required: { readonly [name: string]: string } };
}

/** The TypeScript type of a value a schema of one type (or none) describes, for types derived from `as const` schemas. */
export type JsonValueOf<Schema> =
  Schema extends { readonly const: infer Value } ? Value
    : Schema extends { readonly enum: ReadonlyArray<infer Value> } ? Value
    : Schema extends { readonly type: 'string' } ? string
    : Schema extends { readonly type: 'integer' | 'number' } ? number
    : Schema extends { readonly type: 'boolean' } ? boolean
    : unknown;

/** The first rule a value breaks, in words from the schema. */
export interface SchemaViolation {
  /** The property path, such as `since.epoch`; empty for the value itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * Checks `value` against `schema`: properties in the order the schema lists them, each missing
 * required one or failing one reported with its `errorMessage`. Only the keywords above count.
 */
export function firstViolation(value: unknown, schema: JsonSchema, path = ''): SchemaViolation | undefined {
  const broken = (): SchemaViolation => ({ path, message: messageOf(schema) ?? `"${path}" ${describe(schema)}.` });
  if (!typeOk(value, schema)) return broken();
  if (schema.const !== undefined && value !== schema.const) return broken();
  if (schema.enum !== undefined && !schema.enum.includes(value as string)) return broken();
  if (typeof value === 'string') {
    if (value.length < (schema.minLength ?? 0) || value.length > (schema.maxLength ?? Infinity)) return broken();
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return broken();
  }
  if (typeof value === 'number') {
    if (value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity)) return broken();
  }
  if (schema.oneOf !== undefined) {
    const violations = schema.oneOf.map((branch) => firstViolation(value, branch, path));
    const matching = violations.filter((violation) => violation === undefined).length;
    if (matching > 1) return broken();
    if (matching === 0) {
      // Of branches told apart by type, the one of the value's type says best what is wrong.
      const ofItsType = schema.oneOf.flatMap((branch, index) => (branch.type !== undefined && typeOk(value, branch) ? [violations[index]!] : []));
      return ofItsType.length === 1 ? ofItsType[0] : broken();
    }
  }
  if (schema.anyOf !== undefined && schema.anyOf.every((branch) => firstViolation(value, branch, path) !== undefined)) return broken();
  if (Array.isArray(value) && (value.length < (schema.minItems ?? 0) || value.length > (schema.maxItems ?? Infinity))) return broken();
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [index, item] of value.entries()) {
      const violation = firstViolation(item, schema.items, `${path}[${index}]`);
      if (violation) return violation;
    }
  }
  if (isJsonObject(value) && schema.properties !== undefined) {
    for (const [name, property] of Object.entries(schema.properties)) {
      const at = path === '' ? name : `${path}.${name}`;
      if (value[name] === undefined) {
        if (!schema.required?.includes(name)) continue;
        const words = typeof schema.errorMessage === 'object' ? schema.errorMessage.required[name] : undefined;
        return { path: at, message: words ?? messageOf(property) ?? `"${at}" is missing.` };
      }
      const violation = firstViolation(value[name], property, at);
      if (violation) return violation;
    }
  }
  return undefined;
}

function typeOk(value: unknown, schema: JsonSchema): boolean {
  return schema.type === undefined || ([] as readonly JsonType[]).concat(schema.type).some((type) => hasType(value, type));
}

function messageOf(schema: JsonSchema): string | undefined {
  return typeof schema.errorMessage === 'string' ? schema.errorMessage : undefined;
}

/** A fallback for schemas without their own words. */
function describe(schema: JsonSchema): string {
  if (schema.const !== undefined) return `must be ${JSON.stringify(schema.const)}`;
  if (schema.enum !== undefined) return `must be one of ${schema.enum.join(', ')}`;
  return `must be of type ${([] as readonly JsonType[]).concat(schema.type ?? []).join(' or ') || 'any'}`;
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'null': return value === null;
    case 'array': return Array.isArray(value);
    case 'object': return isJsonObject(value);
    // Whole numbers JavaScript holds exactly; the schemas say so with `maximum` too.
    case 'integer': return Number.isSafeInteger(value);
    default: return typeof value === type;
  }
}
