/**
 * Renders the protocol's frames as TypeScript types, written twice from the one source: for the
 * client library (client/src/protocol.ts), which ships without dependencies and so cannot import
 * the runtime, and for the runtime (lambda/protocol/wire.ts), which must not depend on the
 * browser package's source.
 */
import {
  CLIENT_FRAMES, ERROR_CODE_NAMES, JsonSchema, JsonType, PRESENCE_MEMBER, SERVER_FRAMES, STREAM_POSITION,
} from '../../lib/private/protocol';

export const CLIENT_TYPES_FILE = 'client/src/protocol.ts';
export const RUNTIME_TYPES_FILE = 'lambda/protocol/wire.ts';

/** The named types, in the order they are written; nested uses of them are written by name. */
export function namedSchemas(): JsonSchema[] {
  return [...new Set([STREAM_POSITION, PRESENCE_MEMBER, ...Object.values(CLIENT_FRAMES), ...Object.values(SERVER_FRAMES)])];
}

export function renderClientTypes(): string {
  const named = namedSchemas();
  const out = [
    '// Generated from lib/private/protocol by `npm run docs:protocol`: do not edit.',
    '/** The wire protocol (docs/protocol.md): the frames a client sends and the server sends back. */',
    '',
    `export type ErrorCode = ${ERROR_CODE_NAMES.map((code) => `'${code}'`).join(' | ')};`,
    '',
  ];
  for (const schema of named) {
    out.push(...comment(schema.description, ''), `export interface ${schema.title} ${objectType(schema, named, '')}`, '');
  }
  const union = (schemas: JsonSchema[]) => [...new Set(schemas.map((s) => s.title))].join(' | ');
  out.push('/** Any frame a client sends. */', `export type ClientFrame = ${union(Object.values(CLIENT_FRAMES))};`, '');
  out.push('/** Any frame the server sends. */', `export type ServerFrame = ${union(Object.values(SERVER_FRAMES))};`, '');
  return out.join('\n');
}

function objectType(schema: JsonSchema, named: JsonSchema[], indent: string): string {
  const lines = ['{'];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const optional = schema.required?.includes(name) ? '' : '?';
    lines.push(...comment(property.description, `${indent}  `), `${indent}  readonly ${name}${optional}: ${tsType(property, named, `${indent}  `)};`);
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

function tsType(schema: JsonSchema, named: JsonSchema[], indent: string): string {
  if (named.includes(schema)) return schema.title!;
  if (schema.const !== undefined) return JSON.stringify(schema.const).replace(/"/g, "'");
  if (schema.enum === ERROR_CODE_NAMES) return 'ErrorCode';
  if (schema.enum !== undefined) return schema.enum.map((value) => `'${value}'`).join(' | ');
  if (schema.oneOf !== undefined) return schema.oneOf.map((branch) => tsType(branch, named, indent)).join(' | ');
  if (schema.type === undefined) return 'unknown';
  return ([] as readonly JsonType[]).concat(schema.type).map((type) => {
    switch (type) {
      case 'integer': return 'number';
      case 'object': return schema.properties ? objectType(schema, named, indent) : 'Record<string, unknown>';
      case 'array': return `ReadonlyArray<${schema.items ? tsType(schema.items, named, indent) : 'unknown'}>`;
      default: return type;
    }
  }).join(' | ');
}

function comment(text: string | undefined, indent: string): string[] {
  return text === undefined ? [] : [`${indent}/** ${text.replace(/\*\//g, '*\\/')} */`];
}
