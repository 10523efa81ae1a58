/**
 * Hostile client frames, made from the protocol's schemas for every action: each field of the
 * wrong type, out of its bounds or missing, the frame too large, and unknown fields. The message
 * function answers each with the error code and the words the schema gives, the requestId echoed;
 * the parser and the deployed route agree.
 */
import type { RouteResponse, WebSocketEvent } from '../../lambda/protocol/websocket-event';
import { parseClientFrame } from '../../lambda/protocol/frames';
import { CLIENT_ACTIONS, CLIENT_FRAMES, ClientAction, JsonSchema, JsonType, MAX_REQUEST_ID_LENGTH } from '../../lib/private/protocol';
import { handlerEnvironment } from '../../lib/private/handlers';
import { LIMITS } from '../../lib/private/runtime-contract';
import { localSettings } from '../../local/settings';
import { startTestDynamo, TestDynamo } from '../support/dynamo';
import { loadHandler } from '../support/handlers';
import { connectEvent, messageEvent, newConnectionId } from '../support/websocket-events';

type Handler = (event: WebSocketEvent) => Promise<RouteResponse>;

/** Values of every JSON type but `type`. */
const NOT: Record<Exclude<JsonType, 'null' | 'number'>, unknown[]> = {
  string: [7, true, null, [], {}],
  integer: ['7', 1.5, true, null, [], {}, 2 ** 53],
  boolean: ['true', 1, null, [], {}],
  object: ['x', 7, true, []],
  array: ['x', 7, {}],
};

interface Case { readonly name: string; readonly frame: Record<string, unknown>; readonly words: string }

/** A valid frame of the action: its first example, without requestId. */
/** The first example, or the first that has `field` (a frame with alternative fields shows each in an example of its own). */
function validFrame(action: ClientAction, field?: string): Record<string, unknown> {
  const examples = CLIENT_FRAMES[action].examples as Array<Record<string, unknown>>;
  const { requestId: _ignored, ...frame } = examples.find((e) => field === undefined || field in e) ?? examples[0];
  return frame;
}

/** Values that break `schema`, each with where it goes below `path`, from its type and bounds. */
function breaking(schema: JsonSchema, words: string, path: string[]): Array<{ path: string[]; value: unknown; words: string }> {
  const own = (value: unknown) => ({ path, value, words: typeof schema.errorMessage === 'string' ? schema.errorMessage : words });
  if (schema.oneOf) {
    // Values of a type no branch takes, then what breaks the fields of the object branch.
    const object = schema.oneOf.find((branch) => branch.type === 'object')!;
    return [...NOT.object.map(own), ...fieldCases(object, words, path)];
  }
  const type = schema.type as Exclude<JsonType, 'null' | 'number'> | undefined;
  if (type === undefined) return [];
  const out = NOT[type].map(own);
  if (schema.maxLength !== undefined) out.push(own('x'.repeat(schema.maxLength + 1)));
  if (schema.minLength !== undefined && schema.minLength > 0) out.push(own(''));
  if (schema.minimum !== undefined) out.push(own(schema.minimum - 1));
  return [...out, ...fieldCases(schema, words, path)];
}

function fieldCases(schema: JsonSchema, words: string, path: string[]): Array<{ path: string[]; value: unknown; words: string }> {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => breaking(property, words, [...path, name]));
}

function withValue(frame: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const inner = rest.length === 0 ? value : withValue({ ...(frame[head] as Record<string, unknown> ?? STREAM_EXAMPLE) }, rest, value);
  return { ...frame, [head]: inner };
}
const STREAM_EXAMPLE = { epoch: 'k3j9', seq: 41 };

function hostileCases(action: ClientAction): Case[] {
  const schema: JsonSchema = CLIENT_FRAMES[action];
  const cases: Case[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (name === 'action') continue;
    const valid = validFrame(action, name);
    for (const { path, value, words } of breaking(property, '', [name])) {
      cases.push({ name: `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 20)}`, frame: withValue(valid, path, value), words });
    }
    if (schema.required?.includes(name)) {
      const { [name]: _missing, ...frame } = valid;
      const required = typeof schema.errorMessage === 'object' ? schema.errorMessage.required[name] : undefined;
      cases.push({ name: `no ${name}`, frame, words: required ?? (property.errorMessage as string) });
    }
  }
  return cases;
}

let db: TestDynamo;
let message: Handler;
let connectionId: string;

beforeAll(async () => {
  db = await startTestDynamo();
  const settings = localSettings('http://127.0.0.1:9', db.tables);
  const env = { ...db.env, ...handlerEnvironment('connect', settings), ...handlerEnvironment('message', settings) };
  const connect = loadHandler<{ handler: Handler }>('connect', env).handler;
  message = loadHandler<{ handler: Handler }>('message', env).handler;
  connectionId = newConnectionId();
  expect(await connect(connectEvent({ connectionId, userId: 'alice' }))).toEqual({ statusCode: 200 });
});
afterAll(async () => {
  await db.stop();
});

/** The frame the message function answers `body` with. */
async function answer(body: string): Promise<Record<string, unknown>> {
  const response = await message(messageEvent(body, { connectionId, userId: 'alice' }));
  return JSON.parse(response.body ?? 'null') as Record<string, unknown>;
}

describe.each(CLIENT_ACTIONS)('"%s" frames', (action) => {
  const cases = hostileCases(action);

  test('the schema gives hostile cases for every field but the action', () => {
    const fields = Object.keys(CLIENT_FRAMES[action].properties ?? {}).filter((name) => name !== 'action' && name !== 'data');
    for (const field of fields) expect(cases.some((c) => c.name.startsWith(`${field}`) || c.name === `no ${field}`)).toBe(true);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s is BAD_REQUEST with the schema\'s words', async (_name, { frame, words }) => {
    const requestId = 'requestId' in frame ? undefined : 'h-1';
    const body = JSON.stringify(requestId === undefined ? frame : { ...frame, requestId });
    expect(words).toMatch(/"\w+(\.\w+)?"/); // names the field
    const expected = { type: 'error', code: 'BAD_REQUEST', message: words, ...(requestId ? { requestId } : {}) };
    expect(await answer(body)).toEqual(expected);
    expect(parseClientFrame(body)).toEqual({ ok: false, code: 'BAD_REQUEST', message: words, ...(requestId ? { requestId } : {}) });
  });

  test('every example parses, and fields the schema does not list are ignored', () => {
    for (const example of CLIENT_FRAMES[action].examples ?? []) {
      const parsed = parseClientFrame(JSON.stringify({ ...(example as object), extra: 1, from: 'mallory', userId: 'mallory', id: 'forged' }));
      expect(parsed).toEqual({ ok: true, request: { ...(example as object), ...(action === 'publish' ? { echo: false } : {}) } });
    }
  });

  test(`a frame over ${LIMITS.maxFrameBytes} bytes is PAYLOAD_TOO_LARGE`, async () => {
    const body = JSON.stringify({ ...validFrame(action), padding: 'x'.repeat(LIMITS.maxFrameBytes) });
    expect(await answer(body)).toMatchObject({ type: 'error', code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('the envelope every frame shares', () => {
  test.each([
    ['not JSON', 'nope', 'BAD_REQUEST', /not valid JSON/],
    ['a JSON array', '[]', 'BAD_REQUEST', /must be a JSON object/],
    ['no action', '{"requestId":"e1"}', 'BAD_REQUEST', /has no "action"\. Use one of: subscribe, unsubscribe/],
    ['a numeric action', '{"action":7,"requestId":"e1"}', 'BAD_REQUEST', /"action" must be a string/],
    ['an unknown action', '{"action":"explode","requestId":"e1"}', 'UNKNOWN_ACTION', /Unknown action "explode"/],
    ['an inherited property name as action', '{"action":"toString","requestId":"e1"}', 'UNKNOWN_ACTION', /Unknown action "toString"/],
  ])('%s: %s', async (_name, body, code, words) => {
    const frame = await answer(body);
    expect(frame).toMatchObject({ type: 'error', code });
    expect(frame.message).toMatch(words);
    expect(frame.requestId).toBe(body.includes('"e1"') ? 'e1' : undefined);
  });

  test(`a requestId over ${MAX_REQUEST_ID_LENGTH} characters is refused, and not echoed`, async () => {
    const frame = await answer(JSON.stringify({ action: 'ping', requestId: 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1) }));
    expect(frame).toEqual({ type: 'error', code: 'BAD_REQUEST', message: `"requestId" must be a string of at most ${MAX_REQUEST_ID_LENGTH} characters.` });
  });
});
