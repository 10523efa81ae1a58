/**
 * The dead-letter queue's contract and the client message event are defined once, in
 * lib/private/protocol: what deliver and the message function write matches those schemas, and
 * the compiler refuses a reason code or attribute name they do not list.
 */
import { clientMessageEntry } from '../../lambda/routes/client-message-event';
import { fitInSqs, rejectedMessage } from '../../lambda/fanout/dead-letters';
import {
  CLIENT_MESSAGE_DETAIL, clientMessageEvent, DEAD_LETTER_HEADERS, DEAD_LETTER_REASON_CODES, DEAD_LETTER_REASONS, DeadLetterAttributes,
  firstViolation, PUBLISH_REJECT_REASONS,
} from '../../lib/private/protocol';
import { CLIENT_MESSAGE_SOURCE } from '../../lib/private/runtime-contract';
import { schemaMismatch } from '../support/schema';

describe('dead letters', () => {
  test('every reason is documented once, the publish contract\'s first, and deliver writes each as the schema says', () => {
    expect(DEAD_LETTER_REASON_CODES.slice(0, Object.keys(PUBLISH_REJECT_REASONS).length)).toEqual(Object.keys(PUBLISH_REJECT_REASONS));
    expect(DEAD_LETTER_REASON_CODES).toEqual(expect.arrayContaining(['BAD_SHARD', 'UNDELIVERED', 'RETRIES_EXHAUSTED']));
    for (const reason of DEAD_LETTER_REASON_CODES) {
      expect(DEAD_LETTER_REASONS[reason].length).toBeGreaterThan(5);
      const letter = rejectedMessage('{"detail":{}}', reason, 'What was wrong.', { eventId: 'e-1', notificationId: 'n-1' });
      expect(schemaMismatch(letter.attributes, DEAD_LETTER_HEADERS)).toBeUndefined();
      expect(letter.attributes).toEqual({ reason, reasonMessage: 'What was wrong.', eventId: 'e-1', notificationId: 'n-1' });
    }
  });

  test('a truncated dead letter is documented too', () => {
    const letter = fitInSqs(rejectedMessage('x'.repeat(300 * 1024), 'PAYLOAD_TOO_LARGE', 'Too large.'));
    expect(letter.attributes).toMatchObject({ truncated: 'true', originalBytes: String(300 * 1024) });
    expect(schemaMismatch(letter.attributes, DEAD_LETTER_HEADERS)).toBeUndefined();
  });

  test('an unlisted reason or attribute is refused by the schema and by the compiler', () => {
    expect(firstViolation({ reason: 'LOST' }, DEAD_LETTER_HEADERS)).toEqual({ path: 'reason', message: expect.stringMatching(/must be one of NOT_JSON, /) });
    expect(schemaMismatch({ reason: 'UNDELIVERED', why: 'x' }, DEAD_LETTER_HEADERS)).toBe('not in the schema: why');
    // @ts-expect-error a reason code the protocol does not list
    expect(() => rejectedMessage('{}', 'LOST', 'x')).not.toThrow();
    // @ts-expect-error an attribute the protocol does not list
    const unlisted: DeadLetterAttributes = { why: 'x' };
    expect(unlisted).toBeDefined();
  });
});

describe('client message events', () => {
  const notification = { id: 'n-7', target: { topic: 'rooms/lobby' }, from: 'alice', data: null, time: '2026-11-22T10:00:00.000Z' };

  test('the entry the message function puts matches the schema, with the configured detail type', () => {
    const entry = clientMessageEntry(notification, 'L0SM9cOFvHcCIhw=', 'bus', 'ChatMessage');
    const detail = JSON.parse(entry.Detail!);
    expect(schemaMismatch(detail, CLIENT_MESSAGE_DETAIL)).toBeUndefined();
    const event = { 'detail-type': entry.DetailType, 'source': entry.Source, 'time': entry.Time!.toISOString(), detail };
    expect(firstViolation(event, clientMessageEvent('ChatMessage'))).toBeUndefined();
    expect(entry.Source).toBe(CLIENT_MESSAGE_SOURCE);
  });

  test('a detail with a field missing or one the schema does not list does not match', () => {
    const detail = JSON.parse(clientMessageEntry(notification, 'c-1', 'bus', 'ClientMessage').Detail!);
    const { connectionId: _dropped, ...missing } = detail;
    expect(schemaMismatch(missing, CLIENT_MESSAGE_DETAIL)).toMatch(/connectionId/);
    expect(schemaMismatch({ ...detail, userId: 'alice' }, CLIENT_MESSAGE_DETAIL)).toBe('not in the schema: userId');
    expect(schemaMismatch(CLIENT_MESSAGE_DETAIL.examples![0], CLIENT_MESSAGE_DETAIL)).toBeUndefined();
  });
});
