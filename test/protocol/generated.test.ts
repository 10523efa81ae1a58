/**
 * What is generated from the protocol's schemas is fresh: the client library's types, the tables
 * of docs/protocol.md and docs/asyncapi.json (run `npm run docs:protocol` to refresh them).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../lib/private/protocol';
import { API_SUBPROTOCOL } from '../../lib/private/runtime-contract';
import { generatedFiles } from '../../scripts/protocol/generate';
import { renderTables, withTables } from '../../scripts/protocol/docs-tables';

const ROOT = join(__dirname, '..', '..');
const files = generatedFiles(ROOT);

test.each(Object.keys(files))('%s is fresh (run `npm run docs:protocol` to refresh it)', (path) => {
  expect(readFileSync(join(ROOT, path), 'utf8')).toEqual(files[path]);
});

test('the client types say they are generated and from what', () => {
  expect(files['client/src/protocol.ts']).toMatch(/^\/\/ Generated from lib\/private\/protocol by `npm run docs:protocol`: do not edit\./);
});

test('a table edited by hand is put back, and a missing marker is an error that says what to add', () => {
  const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');
  for (const [row, handEdited] of [['| `UNKNOWN_ACTION` |', '| `UNKNOWN_ACTIONS` |'], ['| `RETRIES_EXHAUSTED` |', '| `RETRIED` |'], ['| `connectionId` |', '| `connection` |'],
    ['"event":"join","userId":"bob"}', '"event":"join","userId":"…"}'], ['"recovered":true,"epoch":"p0x1"', '"recovered":true,"epoch":"p0x2"']]) {
    const edited = doc.replace(row, handEdited);
    expect(edited).not.toEqual(doc);
    expect(withTables(edited)).toEqual(doc);
  }
  expect(() => withTables(doc.replace('<!-- /protocol:error-codes -->', ''))).toThrow(/no "<!-- protocol:error-codes .*" … "<!-- \/protocol:error-codes -->" markers/);
  expect(Object.keys(renderTables())).toEqual([
    'version', 'publish-fields', 'dead-letter-reasons', 'dead-letter-attributes', 'client-frames', 'client-fields', 'server-frames', 'error-codes',
    'client-message-event', 'mark-read-event', 'notifications-read-event', 'push-content', 'push-device-event', 'connection-control-event', 'example-notification', 'example-client-message', 'example-presence-event', 'example-stream-notification',
    'example-subscribe-since', 'example-subscribed-recovered', 'example-resume', 'example-resumed', 'example-history', 'example-history-answer',
  ]);
});

describe('the protocol version', () => {
  test('versions the AsyncAPI document, whatever the package version: a release that leaves the protocol alone changes no generated file', () => {
    const root = mkdtempSync(join(tmpdir(), 'protocol-'));
    try {
      // Only the hand-written document, no package.json: what is generated cannot depend on it.
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'docs/protocol.md'), readFileSync(join(ROOT, 'docs/protocol.md')));
      expect(generatedFiles(root)).toEqual(files);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(JSON.parse(files['docs/asyncapi.json']).info.version).toBe(PROTOCOL_VERSION);
  });

  test('is semver, its major version the subprotocol\'s, and docs/protocol.md states both', () => {
    const [major] = PROTOCOL_VERSION.match(/^(\d+)\.\d+\.\d+$/)!.slice(1);
    expect(API_SUBPROTOCOL).toBe(`realtime.v${major}`);
    expect(files['docs/protocol.md']).toContain(`Protocol version **${PROTOCOL_VERSION}**, spoken under the subprotocol \`${API_SUBPROTOCOL}\`.`);
  });
});
