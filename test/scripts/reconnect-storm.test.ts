/**
 * The reconnect-storm simulation of bench/scale.ts: the client's own backoff against a modelled
 * new-connection quota. Small fleets, so each runs in milliseconds.
 */
import { backoffDelay } from '../../client/src/backoff';
import { seededRandom, simulateReconnectStorm } from '../../bench/lib/reconnect-storm';

test('a quota larger than the fleet admits everyone on the first dial, within the first backoff', () => {
  const r = simulateReconnectStorm({ clients: 1_000, quotaPerSecond: 1_000_000, random: seededRandom(1) });
  expect(r).toMatchObject({ connected: 1_000, attempts: 1_000, refused: 0 });
  expect(r.connectedByMs.all).toBeLessThanOrEqual(500 + 10);
});

test('the quota bounds the time, whatever the backoff: every dial is admitted once or refused', () => {
  for (const backoff of [{}, { maxDelayMs: 120_000 }]) {
    const r = simulateReconnectStorm({ clients: 20_000, quotaPerSecond: 500, backoff, random: seededRandom(2) });
    expect(r.connected).toBe(20_000);
    expect(r.attempts).toBe(r.connected + r.refused);
    // 20,000 at 500/s (a first second's burst of 500 included) take at least 39 s.
    expect(r.connectedByMs.all).toBeGreaterThanOrEqual(39_000);
    expect(r.connectedByMs.p50).toBeLessThan(r.connectedByMs.all);
  }
});

test('refused clients wait the client\'s growing backoff: a longer cap means fewer dials', () => {
  const short = simulateReconnectStorm({ clients: 20_000, quotaPerSecond: 500, random: seededRandom(3) });
  const long = simulateReconnectStorm({ clients: 20_000, quotaPerSecond: 500, backoff: { maxDelayMs: 120_000 }, random: seededRandom(3) });
  expect(long.attempts).toBeLessThan(short.attempts);
});

test('first attempts spread over fleet ÷ quota stay within the quota', () => {
  const r = simulateReconnectStorm({ clients: 20_000, quotaPerSecond: 500, backoff: { initialDelayMs: 40_000, maxDelayMs: 40_000 }, random: seededRandom(4) });
  expect(r.connected).toBe(20_000);
  expect(r.refused / r.attempts).toBeLessThan(0.05);
  expect(r.peakAttemptsPerSecond).toBeLessThan(700);
});

test('the same seed gives the same storm, and the simulation uses the client\'s backoff', () => {
  const a = simulateReconnectStorm({ clients: 5_000, quotaPerSecond: 500, random: seededRandom(5) });
  const b = simulateReconnectStorm({ clients: 5_000, quotaPerSecond: 500, random: seededRandom(5) });
  expect(a).toEqual(b);
  // With random() = 1 - ε every client waits the longest first backoff: none dials before it.
  const late = simulateReconnectStorm({ clients: 100, quotaPerSecond: 1_000_000, random: () => 0.999999 });
  expect(late.connectedByMs.all).toBeGreaterThanOrEqual(backoffDelay(0, {}, () => 0.999999));
});
