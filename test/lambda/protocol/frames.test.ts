import {
  encodeFrame,
  errorFrame,
  fitsInFrame,
  notificationFrame,
  parseClientFrame,
  pongFrame,
  presenceEventFrame,
  presenceFrame,
  publishedFrame,
  rateLimitedFrame,
  requestIdOf,
  subscribedFrame,
  unsubscribedFrame,
} from '../../../lambda/protocol/frames';
import { printable } from '../../../lib/private/control-characters';

describe('parseClientFrame: publish and presence', () => {
  test('publish keeps topic, data and echo, and drops every identity field the client sends', () => {
    const frame = { action: 'publish', topic: 'rooms/lobby', data: { text: 'hi' }, echo: true, requestId: 'p1', from: 'mallory', userId: 'mallory', id: 'forged' };
    expect(parseClientFrame(JSON.stringify(frame))).toEqual({
      ok: true, request: { action: 'publish', topic: 'rooms/lobby', data: { text: 'hi' }, echo: true, requestId: 'p1' },
    });
    expect(parseClientFrame('{"action":"publish","topic":"rooms/lobby","data":null}'))
      .toEqual({ ok: true, request: { action: 'publish', topic: 'rooms/lobby', data: null, echo: false } });
  });

  test.each([
    ['no data', '{"action":"publish","topic":"rooms/lobby"}', /"data"/],
    ['no topic', '{"action":"publish","data":1}', /"topic"/],
    ['a numeric topic', '{"action":"publish","topic":7,"data":1}', /"topic" must be a string/],
    ['echo as a string', '{"action":"publish","topic":"rooms/lobby","data":1,"echo":"true"}', /"echo"/],
    ['presence without a topic', '{"action":"presence"}', /"topic"/],
  ])('%s is BAD_REQUEST, with words that say what to send', (_name, body, words) => {
    const result = parseClientFrame(body);
    expect(result).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect((result as { message: string }).message).toMatch(words);
  });

  test('presence reads its topic', () => {
    expect(parseClientFrame('{"action":"presence","topic":"rooms/lobby","requestId":"q"}'))
      .toEqual({ ok: true, request: { action: 'presence', topic: 'rooms/lobby', requestId: 'q' } });
  });

  test('the frames the server sends for them', () => {
    expect(publishedFrame('rooms/lobby', 'n-1', 'p1')).toEqual({ type: 'published', topic: 'rooms/lobby', id: 'n-1', requestId: 'p1' });
    expect(presenceFrame('rooms/lobby', [{ userId: 'a', connections: 2 }], 3))
      .toEqual({ type: 'presence', topic: 'rooms/lobby', members: [{ userId: 'a', connections: 2 }], count: 3, truncated: true });
    expect(presenceEventFrame('rooms/lobby', 'join', 'bob')).toEqual({ type: 'presence', topic: 'rooms/lobby', event: 'join', userId: 'bob' });
    expect(rateLimitedFrame('slow down', 250, 'p2')).toEqual({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 250, requestId: 'p2' });
    expect(encodeFrame(notificationFrame({ id: 'n', target: { topic: 'rooms/x' }, data: 1, from: 'alice', time: '2026-01-01T00:00:00.000Z' })))
      .toBe('{"type":"notification","id":"n","topic":"rooms/x","data":1,"from":"alice","time":"2026-01-01T00:00:00.000Z"}');
  });
});

describe('parseClientFrame', () => {
  test('reads the three actions, ignoring unknown fields', () => {
    expect(parseClientFrame('{"action":"subscribe","topic":"orders/42","requestId":"r1","x":1}'))
      .toEqual({ ok: true, request: { action: 'subscribe', topic: 'orders/42', requestId: 'r1' } });
    expect(parseClientFrame('{"action":"unsubscribe","topic":"orders/42"}'))
      .toEqual({ ok: true, request: { action: 'unsubscribe', topic: 'orders/42' } });
    expect(parseClientFrame('{"action":"ping"}')).toEqual({ ok: true, request: { action: 'ping' } });
  });

  test('objects inside a frame are rebuilt from their schema: unknown fields are dropped at every level', () => {
    expect(parseClientFrame('{"action":"subscribe","topic":"t","since":{"epoch":"e","seq":1,"x":2,"__proto__":{"y":3}}}'))
      .toEqual({ ok: true, request: { action: 'subscribe', topic: 't', since: { epoch: 'e', seq: 1 } } });
    const resumed = parseClientFrame('{"action":"resume","since":{"epoch":"e","seq":0,"admin":true}}');
    expect(resumed).toEqual({ ok: true, request: { action: 'resume', since: { epoch: 'e', seq: 0 } } });
    expect(Object.keys((resumed as { request: { since: object } }).request.since)).toEqual(['epoch', 'seq']);
    // `data` is any JSON value: the message as the client sent it.
    expect(parseClientFrame('{"action":"publish","topic":"rooms/lobby","data":{"text":"hi","x":{"y":2}}}'))
      .toEqual({ ok: true, request: { action: 'publish', topic: 'rooms/lobby', data: { text: 'hi', x: { y: 2 } }, echo: false } });
  });

  test('an unknown action is quoted back safely', () => {
    const result = parseClientFrame(JSON.stringify({ action: `evil\u202e\u0000${'x'.repeat(500)}` }));
    expect(result).toMatchObject({ ok: false, code: 'UNKNOWN_ACTION' });
    const message = (result as { message: string }).message;
    expect(message).not.toMatch(/[\u0000\u202e]/);
    // The quoted action is cut short; the rest lists the actions there are.
    expect(message.length).toBeLessThan(300);
  });

  test('a frame of exactly 128 KB is parsed; one byte more is too large', () => {
    const base = '{"action":"ping","pad":""}';
    const exact = base.replace('""', `"${'x'.repeat(128 * 1024 - base.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(128 * 1024);
    expect(parseClientFrame(exact).ok).toBe(true);
    expect(parseClientFrame(exact.replace('"x', '"xx'))).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  test('requestIdOf recovers the requestId of good and bad frames', () => {
    expect(requestIdOf('{"action":"ping","requestId":"a"}')).toBe('a');
    expect(requestIdOf('{"action":"nope","requestId":"b"}')).toBe('b');
    expect(requestIdOf('{"action":"ping","requestId":3}')).toBeUndefined();
    expect(requestIdOf('garbage')).toBeUndefined();
  });
});

describe('server frames', () => {
  test('match the wire protocol', () => {
    expect(subscribedFrame('t', 'r')).toEqual({ type: 'subscribed', topic: 't', requestId: 'r' });
    expect(unsubscribedFrame('t')).toEqual({ type: 'unsubscribed', topic: 't' });
    expect(pongFrame()).toEqual({ type: 'pong' });
    expect(errorFrame('FORBIDDEN', 'no', 'r')).toEqual({ type: 'error', code: 'FORBIDDEN', message: 'no', requestId: 'r' });
  });

  test('notification frames carry exactly one addressing field', () => {
    const time = new Date('2026-01-02T03:04:05.000Z');
    expect(encodeFrame(notificationFrame({ id: 'n1', target: { topic: 'orders/42' }, data: { a: 1 }, time })))
      .toBe('{"type":"notification","id":"n1","topic":"orders/42","data":{"a":1},"time":"2026-01-02T03:04:05.000Z"}');
    expect(notificationFrame({ id: 'n2', target: { userId: 'alice' }, data: null, time: '2026-01-02T03:04:05Z' }))
      .toEqual({ type: 'notification', id: 'n2', userId: 'alice', data: null, time: '2026-01-02T03:04:05Z' });
    expect(notificationFrame({ id: 'n3', target: { broadcast: true }, data: 'x', time }))
      .toEqual({ type: 'notification', id: 'n3', broadcast: true, data: 'x', time: time.toISOString() });
  });

  test('fitsInFrame counts UTF-8 bytes', () => {
    expect(fitsInFrame('é'.repeat(64 * 1024))).toBe(true);
    expect(fitsInFrame('é'.repeat(64 * 1024 + 1))).toBe(false);
  });

  test('printable strips control and direction characters and shortens', () => {
    expect(printable('a\u0000b\u202ec')).toBe('a?b?c');
    expect(printable('x'.repeat(100))).toHaveLength(65);
  });
});
