import { backoffDelay } from '../../client/src/backoff';

describe('backoffDelay (full jitter)', () => {
  it('spans 0 to the doubled cap of each attempt, never past the maximum', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    const caps = [100, 200, 400, 800, 1000, 1000, 1000];
    caps.forEach((cap, attempt) => {
      expect(backoffDelay(attempt, options, () => 0)).toBe(0);
      expect(backoffDelay(attempt, options, () => 0.5)).toBe(cap / 2);
      expect(backoffDelay(attempt, options, () => 0.999999)).toBe(cap - 1);
    });
  });

  it('stays within bounds with the real random source, and spreads the waits', () => {
    const waits = Array.from({ length: 500 }, () => backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 10_000 }));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(800);
    expect(new Set(waits).size).toBeGreaterThan(100);
  });

  it('does not overflow after very many attempts', () => {
    expect(backoffDelay(10_000, { initialDelayMs: 500, maxDelayMs: 30_000 }, () => 0.5)).toBe(15_000);
    expect(backoffDelay(0, {}, () => 0.5)).toBe(250);
  });
});
