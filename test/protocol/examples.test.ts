/**
 * Every example the protocol's schemas hold is valid against its own schema, at every level: the
 * AsyncAPI document and docs/protocol.md show them (the docs' JSON examples are generated from
 * them), so a wrong one would teach clients and publishers a frame the server refuses.
 */
import { parseClientFrame } from '../../lambda/protocol/frames';
import {
  CLIENT_ACTIONS, CLIENT_ENVELOPE, CLIENT_FRAMES, CLIENT_MESSAGE_DETAIL, clientMessageEvent, DEAD_LETTER_HEADERS, firstViolation, JsonSchema,
  NOTIFICATION_DETAIL, notificationEvent, PRESENCE_MEMBER, SERVER_FRAMES, STREAM_POSITION,
} from '../../lib/private/protocol';
import { schemaMismatch } from '../support/schema';

const SCHEMAS: Record<string, JsonSchema> = {
  ...Object.fromEntries(Object.entries(CLIENT_FRAMES).map(([name, schema]) => [`client frame ${name}`, schema])),
  ...Object.fromEntries(Object.entries(SERVER_FRAMES).map(([name, schema]) => [`server frame ${name}`, schema])),
  'client envelope': CLIENT_ENVELOPE,
  'stream position': STREAM_POSITION,
  'presence member': PRESENCE_MEMBER,
  'notification detail': NOTIFICATION_DETAIL,
  'notification event': notificationEvent('Notification'),
  'client message detail': CLIENT_MESSAGE_DETAIL,
  'client message event': clientMessageEvent('ClientMessage'),
  'dead-letter attributes': DEAD_LETTER_HEADERS,
};

interface Checked { readonly examples: number; readonly broken: string[] }

/** Checks the examples of the schema and of every schema inside it; titled objects must list every field their examples have. */
function checkExamples(schema: JsonSchema, at: string): Checked {
  const own = (schema.examples ?? []).flatMap((example, index) => {
    const problem = schema.title !== undefined && schema.properties !== undefined ? schemaMismatch(example, schema) : firstViolation(example, schema)?.message;
    return problem === undefined ? [] : [`${at} example ${index}: ${problem}`];
  });
  const inner = [
    ...Object.entries(schema.properties ?? {}).map(([name, property]) => checkExamples(property, `${at}.${name}`)),
    ...(schema.items ? [checkExamples(schema.items, `${at}[]`)] : []),
    ...(schema.oneOf ?? []).map((branch, index) => checkExamples(branch, `${at} oneOf ${index}`)),
  ];
  return {
    examples: (schema.examples?.length ?? 0) + inner.reduce((sum, checked) => sum + checked.examples, 0),
    broken: [...own, ...inner.flatMap((checked) => checked.broken)],
  };
}

test.each(Object.entries(SCHEMAS))('every example of the %s is valid against its own schema', (_name, schema) => {
  const checked = checkExamples(schema, schema.title ?? 'schema');
  expect(checked.broken).toEqual([]);
  expect(checked.examples).toBeGreaterThan(0);
});

test('a wrong example is found, however deep', () => {
  const broken: JsonSchema = {
    title: 'Broken', type: 'object', properties: { since: { oneOf: [{ ...STREAM_POSITION, examples: [{ epoch: 'e', seq: -1 }] }, { type: 'null' }] } },
    examples: [{ since: null, extra: 1 }],
  };
  expect(checkExamples(broken, 'Broken').broken).toEqual([
    'Broken example 0: not in the schema: extra',
    expect.stringMatching(/^Broken\.since oneOf 0 example 0: seq: "since\.seq" must be/),
  ]);
});

test('every client frame example is parsed by the server as it reads it, and answered the documented way', () => {
  for (const action of CLIENT_ACTIONS) {
    for (const example of CLIENT_FRAMES[action].examples!) {
      expect(parseClientFrame(JSON.stringify(example))).toMatchObject({ ok: true, request: example });
    }
  }
});
