import { checkPublishedEvent, ContractResult, MAX_DATA_DEPTH, RejectReason } from '../../../lambda/protocol/publish-contract';

const options = { detailType: 'Notification', allowBroadcast: false };

function event(detail: unknown, overrides: Record<string, unknown> = {}): unknown {
  return {
    'version': '0',
    'id': 'evt-1',
    'detail-type': 'Notification',
    'source': 'orders-service',
    'time': '2026-11-22T10:00:00Z',
    detail,
    ...overrides,
  };
}

function rejected(result: ContractResult): { reason: RejectReason; message: string } {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.notification)}`);
  return result;
}

describe('publish contract', () => {
  test('a topic notification becomes the documented frame, serialised once', () => {
    const result = checkPublishedEvent(event({ topic: 'orders/42', data: { status: 'shipped' } }), options);
    if (!result.ok) throw new Error(result.message);
    expect(result.notification).toEqual({
      id: 'evt-1', target: { topic: 'orders/42' }, data: { status: 'shipped' }, time: '2026-11-22T10:00:00.000Z',
    });
    expect(JSON.parse(Buffer.from(result.frame).toString('utf8'))).toEqual({
      type: 'notification', id: 'evt-1', topic: 'orders/42', data: { status: 'shipped' }, time: '2026-11-22T10:00:00.000Z',
    });
    expect(result.frameBytes).toBe(result.frame.byteLength);
  });

  test('a user notification keeps the publisher id', () => {
    const result = checkPublishedEvent(event({ userId: 'u-123', id: 'order-42-shipped', data: null }), options);
    if (!result.ok) throw new Error(result.message);
    expect(result.notification.id).toBe('order-42-shipped');
    expect(result.eventId).toBe('evt-1');
    expect(result.notification.target).toEqual({ userId: 'u-123' });
    expect(result.notification.data).toBeNull();
  });

  test.each(['auth0|abc123', 'google-oauth2|1234', 'José', '用户', 'https://login.example.com/users/7', 'u'.repeat(512)])(
    'any user id the authorizer accepts can be targeted: %s', (userId) => {
      const result = checkPublishedEvent(event({ userId, data: 1 }), options);
      expect(result.ok && result.notification.target).toEqual({ userId });
    });

  test('broadcast is accepted only when allowed', () => {
    const detail = { broadcast: true, data: 'maintenance at 22:00' };
    const refused = rejected(checkPublishedEvent(event(detail), options));
    expect(refused.reason).toBe('BROADCAST_DISABLED');
    expect(refused.message).toMatch(/allowBroadcast/);
    const allowed = checkPublishedEvent(event(detail), { ...options, allowBroadcast: true });
    expect(allowed.ok && allowed.notification.target).toEqual({ broadcast: true });
  });

  test('unknown detail fields are ignored', () => {
    expect(checkPublishedEvent(event({ topic: 'a', data: 1, traceId: 'x' }), options).ok).toBe(true);
  });

  const violations: Array<[string, unknown, RejectReason]> = [
    ['a body that is not an object', 'hello', 'NOT_JSON'],
    ['an array', [1, 2], 'NOT_JSON'],
    ['an event without detail', event(undefined), 'NOT_JSON'],
    ['a detail that is a string', event('{"topic":"a"}'), 'NOT_JSON'],
    ['another detail type', event({ topic: 'a', data: 1 }, { 'detail-type': 'OrderShipped' }), 'WRONG_DETAIL_TYPE'],
    ['no detail type', event({ topic: 'a', data: 1 }, { 'detail-type': undefined }), 'WRONG_DETAIL_TYPE'],
    ['no target', event({ data: 1 }), 'NO_TARGET'],
    ['broadcast that is not true', event({ broadcast: 'yes', data: 1 }), 'NO_TARGET'],
    ['topic and user', event({ topic: 'a', userId: 'u', data: 1 }), 'MULTIPLE_TARGETS'],
    ['topic and broadcast', event({ topic: 'a', broadcast: true, data: 1 }), 'MULTIPLE_TARGETS'],
    ['a wildcard topic', event({ topic: 'orders/*', data: 1 }), 'BAD_TOPIC'],
    ['a path-trick topic', event({ topic: 'orders/../admin', data: 1 }), 'BAD_TOPIC'],
    ['a topic with a control character', event({ topic: 'orders/\u0000', data: 1 }), 'BAD_TOPIC'],
    ['an empty topic', event({ topic: '', data: 1 }), 'BAD_TOPIC'],
    ['a numeric topic', event({ topic: 42, data: 1 }), 'BAD_TOPIC'],
    ['a topic over 1024 characters', event({ topic: 'a'.repeat(1025), data: 1 }), 'BAD_TOPIC'],
    ['an empty user id', event({ userId: '', data: 1 }), 'BAD_USER_ID'],
    ['a numeric user id', event({ userId: 7, data: 1 }), 'BAD_USER_ID'],
    ['a user id over 512 characters as a topic segment', event({ userId: 'u'.repeat(513), data: 1 }), 'BAD_USER_ID'],
    ['a user id of 171 "/" (513 characters as a topic segment)', event({ userId: '/'.repeat(171), data: 1 }), 'BAD_USER_ID'],
    ['a user id that is not well-formed Unicode', event({ userId: 'u\ud800', data: 1 }), 'BAD_USER_ID'],
    ['a user id with a newline', event({ userId: 'u\n1', data: 1 }), 'BAD_USER_ID'],
    ['no data', event({ topic: 'a' }), 'MISSING_DATA'],
    ['an id over 128 characters', event({ topic: 'a', data: 1, id: 'x'.repeat(129) }), 'BAD_ID'],
    ['a numeric id', event({ topic: 'a', data: 1, id: 5 }), 'BAD_ID'],
    ['an empty id', event({ topic: 'a', data: 1, id: '' }), 'BAD_ID'],
    ['no id anywhere', event({ topic: 'a', data: 1 }, { id: undefined }), 'BAD_ID'],
  ];
  test('`broadcast: false` is no target: it may stand beside a topic, and alone it is no target', () => {
    const beside = checkPublishedEvent(event({ topic: 'a', broadcast: false, data: 1 }), options);
    expect(beside.ok && beside.notification.target).toEqual({ topic: 'a' });
    expect(rejected(checkPublishedEvent(event({ broadcast: false, data: 1 }), options)).reason).toBe('NO_TARGET');
  });

  test.each(violations)('%s is rejected with its reason', (_name, body, reason) => {
    const result = rejected(checkPublishedEvent(body, options));
    expect(result.reason).toBe(reason);
    expect(result.message.length).toBeGreaterThan(20);
  });

  test('a frame over 128 KB is PAYLOAD_TOO_LARGE, one just under it passes', () => {
    const overhead = checkPublishedEvent(event({ topic: 'big', data: '' }), options);
    if (!overhead.ok) throw new Error(overhead.message);
    const room = 128 * 1024 - overhead.frameBytes;
    const fits = checkPublishedEvent(event({ topic: 'big', data: 'x'.repeat(room) }), options);
    expect(fits.ok && fits.frameBytes).toBe(128 * 1024);
    const tooBig = rejected(checkPublishedEvent(event({ topic: 'big', data: 'x'.repeat(room + 1) }), options));
    expect(tooBig.reason).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.message).toMatch(/131073 bytes/);
  });

  test('data nested up to the depth limit passes, in objects and arrays alike; one level more is DATA_TOO_DEEP', () => {
    const nested = (depth: number, leaf: unknown = 1): unknown => {
      let value = leaf;
      for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
      return value;
    };
    expect(checkPublishedEvent(event({ topic: 'a', data: nested(MAX_DATA_DEPTH) }), options).ok).toBe(true);
    expect(checkPublishedEvent(event({ topic: 'a', data: { wide: Array.from({ length: 1000 }, () => ({ x: 1 })) } }), options).ok).toBe(true);
    const tooDeep = rejected(checkPublishedEvent(event({ topic: 'a', data: nested(MAX_DATA_DEPTH + 1) }), options));
    expect(tooDeep).toMatchObject({ reason: 'DATA_TOO_DEEP', message: expect.stringContaining(`at most ${MAX_DATA_DEPTH} levels`) });
    // Far deeper than serialising could handle: refused, without exhausting the stack.
    expect(rejected(checkPublishedEvent(event({ topic: 'a', data: nested(100_000) }), options)).reason).toBe('DATA_TOO_DEEP');
  });

  test('size counts UTF-8 bytes, not characters', () => {
    const overhead = checkPublishedEvent(event({ topic: 'big', data: '' }), options);
    if (!overhead.ok) throw new Error(overhead.message);
    const euros = Math.floor((128 * 1024 - overhead.frameBytes) / 3) + 1; // € is 3 bytes
    expect(rejected(checkPublishedEvent(event({ topic: 'big', data: '€'.repeat(euros) }), options)).reason).toBe('PAYLOAD_TOO_LARGE');
  });

  test('the event id is reported with a rejection, and hostile input is not echoed raw', () => {
    const result = checkPublishedEvent(event({ topic: 'a', data: 1 }, { 'detail-type': 'x\u0000y'.repeat(40) }), options);
    expect(result).toMatchObject({ ok: false, reason: 'WRONG_DETAIL_TYPE', eventId: 'evt-1' });
    expect(rejected(result).message).not.toMatch(/\u0000/);
    expect(rejected(result).message.length).toBeLessThan(200);
  });
});
