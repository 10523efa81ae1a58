/** The token expiry timer's pure part: when it asks, when it closes, and when it has nothing left to do. */
import { REAUTH_LEAD_SECONDS, timerIn, timerMessage, timerStep, tokenExpiryTimer } from '../../../lambda/connections/token-expiry';

const NOW = 1_800_000_000;

test('a long token is asked to renew a minute ahead, and closed after the grace', () => {
  const timer = tokenExpiryTimer('c1', NOW + 3600, NOW, 30);
  expect(timer).toMatchObject({ askAt: NOW + 3600 - REAUTH_LEAD_SECONDS, closeAt: NOW + 3630, phase: 'ask' });
  // SQS delays 15 minutes at most: the timer comes back and waits again.
  expect(timerMessage(timer, NOW).delaySeconds).toBe(900);
  expect(timerStep(timer, { tokenExpiresAt: NOW + 3600 }, NOW + 900)).toBe('wait');
});

test('a short token is asked halfway through its life, never at once in a loop', () => {
  const timer = tokenExpiryTimer('c1', NOW + 20, NOW, 30);
  expect(timer.askAt).toBe(NOW + 10);
  expect(timerMessage(timer, NOW).delaySeconds).toBe(10);
  expect(timerStep(timer, { tokenExpiresAt: NOW + 20 }, NOW + 10)).toBe('ask');
  expect(timerStep({ ...timer, phase: 'close' }, { tokenExpiresAt: NOW + 20 }, NOW + 49)).toBe('wait');
  expect(timerStep({ ...timer, phase: 'close' }, { tokenExpiresAt: NOW + 20 }, NOW + 50)).toBe('close');
});

test('a renewed or gone connection makes its old timer do nothing', () => {
  const timer = { ...tokenExpiryTimer('c1', NOW + 20, NOW, 30), phase: 'close' as const };
  expect(timerStep(timer, { tokenExpiresAt: NOW + 3600 }, NOW + 60)).toBe('drop');
  expect(timerStep(timer, undefined, NOW + 60)).toBe('drop');
  expect(timerStep(timer, {}, NOW + 60)).toBe('drop');
});

test('only well-formed timers are taken off the queue as timers; anything else is left to delivery', () => {
  const timer = tokenExpiryTimer('c1', NOW + 20, NOW, 30);
  expect(timerIn(timerMessage(timer, NOW).body)).toEqual(timer);
  expect(timerIn(JSON.stringify({ ...timer, connectionId: '' }))).toBeUndefined();
  expect(timerIn(JSON.stringify({ ...timer, phase: 'later' }))).toBeUndefined();
  expect(timerIn('{"kind":"tokenExpiry",')).toBeUndefined();
  expect(timerIn(JSON.stringify({ topic: 'orders/1', data: {} }))).toBeUndefined();
});
