/**
 * The tables of docs/protocol.md, rendered from the protocol's schemas and written between
 * `<!-- protocol:NAME -->` and `<!-- /protocol:NAME -->` markers; the prose around them is written by hand.
 */
import {
  ANSWERS, CLIENT_ACTIONS, CLIENT_ENVELOPE, CLIENT_FRAMES, CLIENT_MESSAGE_DETAIL, MARK_READ_DETAIL, NOTIFICATIONS_READ_DETAIL, PUSH_CONTENT, PUSH_DEVICE_DETAIL,
  CONNECTION_CONTROL_DETAIL, DEAD_LETTER_ATTRIBUTES, DEAD_LETTER_REASONS, ERROR_CODES, JsonSchema,
  NOTIFICATION_DETAIL, NOTIFICATION_TARGET_FIELDS, PROTOCOL_VERSION, SERVER_FRAMES,
} from '../../lib/private/protocol';
import { API_SUBPROTOCOL } from '../../lib/private/runtime-contract';
import { code, table, typeText } from './describe';

export const PROTOCOL_DOC = 'docs/protocol.md';

export function renderTables(): Record<string, string> {
  return {
    'version': `Protocol version **${PROTOCOL_VERSION}**, spoken under the subprotocol \`${API_SUBPROTOCOL}\`.`,
    'publish-fields': fieldTable(NOTIFICATION_DETAIL, (name) => (NOTIFICATION_TARGET_FIELDS as string[]).includes(name) ? 'one target' : undefined),
    'dead-letter-reasons': codeTable(['reason', 'meaning'], DEAD_LETTER_REASONS),
    'dead-letter-attributes': table(['attribute', 'value'], Object.entries(DEAD_LETTER_ATTRIBUTES).map(([name, { description }]) => [`\`${name}\``, description])),
    'client-frames': table(['client sends', 'server answers'], [
      ...CLIENT_ACTIONS.flatMap((action) => {
        const answers = SERVER_FRAMES[ANSWERS[action]].examples ?? [];
        return (CLIENT_FRAMES[action].examples ?? []).map((request, index) => {
          const replays = (request as { since?: unknown }).since !== undefined;
          const missed = action === 'resume' ? "the user's missed notifications, then " : 'the missed notifications, then ';
          return [code(request), `${replays ? missed : ''}${code(answers[index] ?? answers[0])}`];
        });
      }),
      ['anything else, or not JSON', code({ type: 'error', code: '…', message: '…', requestId: '…' })],
    ]),
    'client-fields': table(['action', 'field', 'type', 'required', 'meaning'], [
      ['any', '`requestId`', typeText(CLIENT_ENVELOPE.properties!.requestId), 'no', CLIENT_ENVELOPE.properties!.requestId.description ?? ''],
      ...CLIENT_ACTIONS.flatMap((action) => fieldRows(CLIENT_FRAMES[action], ['action', 'requestId'])
        .map((row) => [`\`${action}\``, ...row])),
    ]),
    'server-frames': table(['`type`', 'fields', 'meaning'], Object.values(SERVER_FRAMES).map((frame: JsonSchema) => [
      typeText(frame.properties!.type),
      Object.keys(frame.properties!).filter((name) => name !== 'type')
        .map((name) => `\`${name}\`${frame.required?.includes(name) ? '' : '?'}`).join(', '),
      frame.description ?? '',
    ])),
    'error-codes': codeTable(['error code', 'when'], ERROR_CODES),
    'client-message-event': `${fieldTable(CLIENT_MESSAGE_DETAIL)}\n\n${jsonBlock(example(CLIENT_MESSAGE_DETAIL))}`,
    'mark-read-event': `${fieldTable(MARK_READ_DETAIL)}\n\n${jsonBlock(example(MARK_READ_DETAIL))}`,
    'notifications-read-event': `${fieldTable(NOTIFICATIONS_READ_DETAIL)}\n\n${jsonBlock(example(NOTIFICATIONS_READ_DETAIL))}`,
    'push-content': `${fieldTable(PUSH_CONTENT)}\n\n${jsonBlock(example(PUSH_CONTENT))}`,
    'push-device-event': `${fieldTable(PUSH_DEVICE_DETAIL)}\n\n${jsonBlock(example(PUSH_DEVICE_DETAIL))}`,
    'connection-control-event': `${fieldTable(CONNECTION_CONTROL_DETAIL)}\n\n${jsonBlock(example(CONNECTION_CONTROL_DETAIL))}`,
    'example-notification': jsonBlock(example(SERVER_FRAMES.notification, 0)),
    'example-client-message': jsonBlock(example(SERVER_FRAMES.notification, 1)),
    'example-presence-event': jsonBlock(example(SERVER_FRAMES.presenceEvent)),
    'example-stream-notification': jsonBlock(example(SERVER_FRAMES.notification, 2)),
    'example-subscribe-since': jsonBlock(example(CLIENT_FRAMES.subscribe, 1)),
    'example-subscribed-recovered': jsonBlock(example(SERVER_FRAMES.subscribed, 1)),
    'example-resume': jsonBlock(example(CLIENT_FRAMES.resume)),
    'example-resumed': jsonBlock(example(SERVER_FRAMES.resumed)),
    'example-history': jsonBlock(example(CLIENT_FRAMES.history)),
    'example-history-answer': jsonBlock(example(SERVER_FRAMES.history)),
  };
}

/** One of the schema's own examples; throws when it has no such example, so that the document cannot show one of its own making. */
function example(schema: JsonSchema, index = 0): unknown {
  const value = schema.examples?.[index];
  if (value === undefined) throw new Error(`${schema.title} has no example ${index}: add it to its schema in lib/private/protocol.`);
  return value;
}

/** A JSON value as a code block, on one line as it travels. */
function jsonBlock(value: unknown): string {
  return `\`\`\`json\n${JSON.stringify(value)}\n\`\`\``;
}

/** One row per code: the code, then what it means. */
function codeTable(head: [string, string], codes: Record<string, string>): string {
  return table(head, Object.entries(codes).map(([name, meaning]) => [`\`${name}\``, meaning]));
}

function fieldTable(schema: JsonSchema, requirement?: (name: string) => string | undefined): string {
  return table(['field', 'type', 'required', 'meaning'], fieldRows(schema, [], requirement));
}

/** One row per field: name, type, whether it is required, meaning. */
function fieldRows(schema: JsonSchema, leaveOut: string[], requirement: (name: string) => string | undefined = () => undefined): string[][] {
  return Object.entries(schema.properties ?? {}).filter(([name]) => !leaveOut.includes(name)).map(([name, property]) => [
    `\`${name}\``, typeText(property), requirement(name) ?? (schema.required?.includes(name) ? 'yes' : 'no'), property.description ?? '',
  ]);
}

/** The document with every marked table replaced; throws when a marker is missing. */
export function withTables(markdown: string, tables: Record<string, string> = renderTables()): string {
  let out = markdown;
  for (const [name, rendered] of Object.entries(tables)) {
    const start = `<!-- protocol:${name} (generated by \`npm run docs:protocol\` from lib/private/protocol: do not edit) -->`;
    const end = `<!-- /protocol:${name} -->`;
    const pattern = new RegExp(`${escape(start)}\\n[\\s\\S]*?\\n${escape(end)}`);
    if (!pattern.test(out)) throw new Error(`${PROTOCOL_DOC} has no "${start}" … "${end}" markers: add them where the ${name} table belongs.`);
    out = out.replace(pattern, () => `${start}\n${rendered}\n${end}`);
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
