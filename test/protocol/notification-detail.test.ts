/**
 * The published notification schema (NOTIFICATION_DETAIL, in docs/asyncapi.json) says exactly what
 * deliver's publish contract accepts: one table of details, fed to both, gets the same verdicts.
 * Only what a JSON Schema cannot say (topic syntax, user id rules, depth, frame size, whether
 * broadcast is allowed) is checked beyond it, with its own reasons.
 */
import { checkPublishedEvent, RejectReason } from '../../lambda/protocol/publish-contract';
import { firstViolation, MAX_DATA_DEPTH, MAX_NOTIFICATION_ID_LENGTH, NOTIFICATION_DETAIL, notificationEvent } from '../../lib/private/protocol';

const options = { detailType: 'Notification', allowBroadcast: true, maxPayloadBytes: 256 * 1024 };
const SHA = 'a'.repeat(64);
const event = (detail: unknown) => ({ 'id': 'evt-1', 'detail-type': 'Notification', 'source': 'orders-service', 'time': '2026-11-22T10:00:00Z', detail });

/** Details and whether the contract takes them. */
const details: Array<[string, unknown, boolean]> = [
  ['a topic', { topic: 'orders/42', data: 1 }, true],
  ['a user', { userId: 'u', data: null }, true],
  ['a broadcast', { broadcast: true, data: 'maintenance' }, true],
  ['a topic beside broadcast: false', { topic: 'orders/42', broadcast: false, data: 1 }, true],
  ['a user beside a null topic', { userId: 'u', topic: null, data: 1 }, true],
  ['a null id', { topic: 'orders/42', data: 1, id: null }, true],
  ['a broadcast beside null targets', { broadcast: true, topic: null, userId: null, data: [] }, true],
  ['a null broadcast beside a topic', { topic: 'orders/42', broadcast: null, data: 1 }, true],
  ['an id of the longest length', { topic: 'orders/42', data: 1, id: 'x'.repeat(MAX_NOTIFICATION_ID_LENGTH) }, true],
  ['unknown fields', { topic: 'orders/42', data: 1, traceId: 7, from: null }, true],
  ['data that is false', { topic: 'orders/42', data: false }, true],
  ['no target', { data: 1 }, false],
  ['only broadcast: false', { broadcast: false, data: 1 }, false],
  ['only null targets', { topic: null, userId: null, broadcast: null, data: 1 }, false],
  ['a topic and a user', { topic: 'orders/42', userId: 'u', data: 1 }, false],
  ['a topic and a broadcast', { topic: 'orders/42', broadcast: true, data: 1 }, false],
  ['all three targets', { topic: 'orders/42', userId: 'u', broadcast: true, data: 1 }, false],
  ['broadcast: "yes"', { broadcast: 'yes', data: 1 }, false],
  ['broadcast: 1 beside a topic', { topic: 'orders/42', broadcast: 1, data: 1 }, false],
  ['a numeric topic', { topic: 42, data: 1 }, false],
  ['an object topic beside a user', { topic: { name: 'orders' }, userId: 'u', data: 1 }, false],
  ['a numeric user id', { userId: 7, data: 1 }, false],
  ['an array user id', { userId: ['u'], data: 1 }, false],
  ['no data', { topic: 'orders/42' }, false],
  ['a payload reference', { topic: 'orders/42', payload: { key: 'payloads/r/1.json', size: 5, sha256: SHA } }, true],
  ['a payload reference without its hash', { topic: 'orders/42', payload: { key: 'payloads/r/1.json', size: 5 } }, false],
  ['a payload reference with an upper-case hash', { topic: 'orders/42', payload: { key: 'payloads/r/1.json', size: 5, sha256: SHA.toUpperCase() } }, false],
  ['a payload reference with a negative size', { topic: 'orders/42', payload: { key: 'payloads/r/1.json', size: -1, sha256: SHA } }, false],
  ['a payload reference that is a string', { topic: 'orders/42', payload: 'payloads/r/1.json' }, false],
  ['an empty id', { topic: 'orders/42', data: 1, id: '' }, false],
  ['a numeric id', { topic: 'orders/42', data: 1, id: 5 }, false],
  ['an id too long', { topic: 'orders/42', data: 1, id: 'x'.repeat(MAX_NOTIFICATION_ID_LENGTH + 1) }, false],
  ['an id that is false', { topic: 'orders/42', data: 1, id: false }, false],
];

test.each(details)('the schema and the publish contract agree on %s', (_name, detail, accepted) => {
  const contract = checkPublishedEvent(event(detail), options);
  const violation = firstViolation(detail, NOTIFICATION_DETAIL);
  expect({ contract: contract.ok ? 'accepts' : `refuses: ${contract.message}`, schema: violation ? `refuses: ${violation.message}` : 'accepts' })
    .toEqual({ contract: accepted ? 'accepts' : expect.stringMatching(/^refuses/), schema: accepted ? 'accepts' : expect.stringMatching(/^refuses/) });
  // The whole event as a backend's rule would see it, too.
  expect(firstViolation(event(detail), notificationEvent('Notification')) === undefined).toBe(accepted);
});

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

/** What the schema takes and the contract refuses for a reason no JSON Schema states. */
const beyondTheSchema: Array<[string, unknown, RejectReason]> = [
  ['a wildcard topic', { topic: 'orders/*', data: 1 }, 'BAD_TOPIC'],
  ['both data and a payload reference', { topic: 'orders/42', data: 1, payload: { key: 'payloads/r/1.json', size: 5, sha256: SHA } }, 'MISSING_DATA'],
  ['a payload key outside the prefix', { topic: 'orders/42', payload: { key: 'payloads-other/secret.json', size: 5, sha256: SHA } }, 'BAD_PAYLOAD'],
  ['a payload key that climbs out of the prefix', { topic: 'orders/42', payload: { key: 'payloads/../secret.json', size: 5, sha256: SHA } }, 'BAD_PAYLOAD'],
  ['a payload key with an empty segment', { topic: 'orders/42', payload: { key: 'payloads//x.json', size: 5, sha256: SHA } }, 'BAD_PAYLOAD'],
  ['a payload over the maximum size', { topic: 'orders/42', payload: { key: 'payloads/x.json', size: 256 * 1024 + 1, sha256: SHA } }, 'BAD_PAYLOAD'],
  ['an empty topic', { topic: '', data: 1 }, 'BAD_TOPIC'],
  ['an empty user id', { userId: '', data: 1 }, 'BAD_USER_ID'],
  ['data too deep', { topic: 'orders/42', data: nested(MAX_DATA_DEPTH + 1) }, 'DATA_TOO_DEEP'],
  ['data over the payload limit', { topic: 'orders/42', data: 'x'.repeat(256 * 1024) }, 'PAYLOAD_TOO_LARGE'],
];

test.each(beyondTheSchema)('%s passes the schema and is refused beyond it', (_name, detail, reason) => {
  expect(firstViolation(detail, NOTIFICATION_DETAIL)).toBeUndefined();
  expect(checkPublishedEvent(event(detail), options)).toMatchObject({ ok: false, reason });
});

test('a broadcast passes the schema, and is refused unless the deployment allows it', () => {
  const detail = { broadcast: true, data: 1 };
  expect(firstViolation(detail, NOTIFICATION_DETAIL)).toBeUndefined();
  expect(checkPublishedEvent(event(detail), { ...options, allowBroadcast: false })).toMatchObject({ ok: false, reason: 'BROADCAST_DISABLED' });
});
