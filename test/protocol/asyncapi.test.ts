/**
 * docs/asyncapi.json is a valid AsyncAPI 3.0 document, as the AsyncAPI parser judges it, and
 * describes the protocol: every client action, every server frame, both ways to pass the token,
 * the publish contract, the client message events and the dead-letter queue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { CLIENT_ACTIONS, CLIENT_MESSAGE_DETAIL, DEAD_LETTER_ATTRIBUTES, DEAD_LETTER_REASON_CODES, SERVER_FRAMES } from '../../lib/private/protocol';
import { SETTINGS } from '../../lib/private/settings';
import { API_SUBPROTOCOL, CLIENT_MESSAGE_SOURCE, TOKEN_QUERY_PARAMETER } from '../../lib/private/runtime-contract';

const text = readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.json'), 'utf8');

async function diagnose(document: string) {
  const diagnostics = await new Parser().validate(document);
  const of = (severity: DiagnosticSeverity) => diagnostics.filter((d) => d.severity === severity).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
  return { errors: of(DiagnosticSeverity.Error), warnings: of(DiagnosticSeverity.Warning) };
}

test('the AsyncAPI parser finds no errors and no warnings', async () => {
  expect(await diagnose(text)).toEqual({ errors: [], warnings: [] });
});

test('the parser does find errors in a broken document', async () => {
  const broken = JSON.parse(text);
  broken.operations.subscribe.action = 'publish';
  delete broken.components.messages.pong;
  expect((await diagnose(JSON.stringify(broken))).errors.length).toBeGreaterThan(0);
});

test('it describes every action, every server frame, the token and the publish contract', async () => {
  const { document } = await new Parser().parse(text);
  const api = document!;
  expect(api.version()).toBe('3.0.0');
  const operations = api.operations();
  for (const action of CLIENT_ACTIONS) {
    const operation = operations.get(action)!;
    expect(operation.action()).toBe('receive');
    expect(operation.messages().all().map((m) => m.id())).toEqual([`${action}Request`]);
    expect(operation.reply()!.messages().all().map((m) => m.id())).toContain('error');
  }
  expect(operations.get('sendNotification')!.action()).toBe('send');
  const messageIds = api.channels().get('connection')!.messages().all().map((m) => m.id());
  expect(messageIds).toEqual(expect.arrayContaining(Object.keys(SERVER_FRAMES)));

  const schemes = api.securitySchemes().all().map((s) => [s.type(), s.in(), s.name()]);
  expect(schemes).toEqual(expect.arrayContaining([['httpApiKey', 'query', TOKEN_QUERY_PARAMETER], ['httpApiKey', 'header', 'Sec-WebSocket-Protocol']]));
  expect(text).toContain(API_SUBPROTOCOL);

  const detail = api.channels().get('notifications')!.messages().all()[0].payload()!.properties()!.detail;
  expect(Object.keys(detail.properties()!)).toEqual(['topic', 'userId', 'broadcast', 'data', 'id', 'push']);
  expect(detail.required()).toEqual(['data']);
});

test('it describes the client message events backends receive and the dead letters operators read', async () => {
  const api = (await new Parser().parse(text)).document!;
  const clientEvent = api.channels().get('clientMessages')!;
  expect(clientEvent.address()).toBe(SETTINGS['clientMessages.detailType'].default);
  const event = clientEvent.messages().all()[0].payload()!;
  expect(event.properties()!.source.const()).toBe(CLIENT_MESSAGE_SOURCE);
  expect(Object.keys(event.properties()!.detail.properties()!)).toEqual(Object.keys(CLIENT_MESSAGE_DETAIL.properties!));
  expect(api.operations().get('sendClientMessageEvent')!.action()).toBe('send');

  const deadLetter = api.channels().get('deadLetters')!.messages().all()[0];
  expect(deadLetter.headers()!.properties()!.reason.enum()).toEqual(DEAD_LETTER_REASON_CODES);
  expect(Object.keys(deadLetter.headers()!.properties()!)).toEqual(Object.keys(DEAD_LETTER_ATTRIBUTES));
  expect(api.channels().get('deadLetters')!.servers().all().map((server) => server.protocol())).toEqual(['sqs']);
});
