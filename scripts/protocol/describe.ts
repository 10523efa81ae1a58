/** Schemas in words, for tables and summaries. */
import { JsonSchema, JsonType } from '../../lib/private/protocol';

/** The type of a field with its limits, such as "string of at most 128 characters". */
export function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum !== undefined) return schema.enum.map((value) => `\`"${value}"\``).join(' or ');
  if (schema.oneOf !== undefined) return schema.oneOf.map(typeText).join(' or ');
  if (schema.type === undefined) return 'any JSON value';
  const all = ([] as readonly JsonType[]).concat(schema.type);
  // "string (not empty) or null": the limits belong to the value's type, not to null.
  const nullable = all.length > 1 && all.includes('null');
  const types = all.filter((type) => !nullable || type !== 'null').map((type) => {
    switch (type) {
      case 'integer': return 'whole number';
      case 'object': return schema.properties ? `object \`{${Object.keys(schema.properties).map((name) => `"${name}"`).join(', ')}}\`` : 'object';
      case 'array': return `array of ${schema.items ? typeText(schema.items).replace(/^object /, 'objects ') : 'values'}`;
      default: return type;
    }
  });
  if (!nullable) return [types.join(' or '), ...limits(schema)].join(', ');
  const bounds = limits(schema);
  return `${types.join(' or ')}${bounds.length > 0 ? ` (${bounds.join(', ')})` : ''} or null`;
}

function limits(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (schema.minLength !== undefined && schema.minLength > 0) out.push('not empty');
  if (schema.maxLength !== undefined) out.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) out.push(`${schema.minimum} or more`);
  if (schema.minItems !== undefined && schema.minItems > 0) out.push(`at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  if (schema.maxItems !== undefined) out.push(`at most ${schema.maxItems} items`);
  return out;
}

/** Escapes a table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** A JSON value as one line of code. */
export function code(value: unknown): string {
  return `\`${JSON.stringify(value)}\``;
}
