/**
 * The protocol's texts state the runtime's limits and settings by deriving them from
 * runtime-contract.ts (lib/private/protocol/limits.ts), never by restating them: a changed limit or
 * prop changes the docs, the AsyncAPI document and the client types with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_HISTORY_LIMIT, DEAD_LETTER_REASONS, ERROR_CODES, CLIENT_FRAMES, MAX_DATA_DEPTH, NOTIFICATION_DETAIL } from '../../lib/private/protocol';
import { FRAME_SIZE, IDLE_TIMEOUT } from '../../lib/private/protocol/limits';
import { SETTINGS } from '../../lib/private/settings';
import { LIMITS } from '../../lib/private/runtime-contract';

const DIR = join(__dirname, '..', '..', 'lib', 'private', 'protocol');

/** Each source file of the protocol without its comments, which may explain a number in words. */
const sources = readdirSync(DIR).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && name !== 'limits.ts')
  .map((name) => [name, readFileSync(join(DIR, name), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')] as const);

test('no protocol source restates a limit, a default or a prop in its texts', () => {
  const restated = [
    FRAME_SIZE, `${LIMITS.maxFrameBytes} bytes`, IDLE_TIMEOUT, `${DEFAULT_HISTORY_LIMIT} by default`, `${MAX_DATA_DEPTH} levels`,
    ...Object.keys(SETTINGS).flatMap((name) => (name.includes('.') ? [`\`${name}\``] : [])),
  ];
  expect(sources.length).toBeGreaterThan(5);
  const found = sources.flatMap(([name, text]) => restated.filter((words) => text.includes(words)).map((words) => `${name}: ${words}`));
  expect(found).toEqual([]);
});

test('the texts state the limits as runtime-contract.ts holds them', () => {
  expect(FRAME_SIZE).toBe(`${LIMITS.maxFrameBytes / 1024} KB`);
  expect(ERROR_CODES.PAYLOAD_TOO_LARGE).toContain(`larger than ${FRAME_SIZE}`);
  expect(ERROR_CODES.BAD_REQUEST).toContain(`\`${'history.maxReplay'}\``);
  expect(DEAD_LETTER_REASONS.PAYLOAD_TOO_LARGE).toContain(FRAME_SIZE);
  expect(NOTIFICATION_DETAIL.properties!.data.description).toContain(`would exceed ${FRAME_SIZE}`);
  expect(CLIENT_FRAMES.ping.description).toContain(`idle for ${LIMITS.idleTimeoutSeconds / 60} minutes`);
  const limit = CLIENT_FRAMES.history.properties!.limit;
  expect(limit.description).toContain(`${DEFAULT_HISTORY_LIMIT} by default, at most \`${'history.maxReplay'}\``);
  // Said in words only: a schema `default` would be filled in by the parser.
  expect(limit.default).toBeUndefined();
});
