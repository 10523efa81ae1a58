/** The client's keep-alive timing: the one rule behind its defaults and the demo page's timing. */
import { keepAliveTiming } from '../../client/src';
import { LIMITS } from '../../lib/private/runtime-contract';

describe('keepAliveTiming', () => {
  it('gives the client’s documented defaults for API Gateway’s closes', () => {
    const apiGateway = { idleTimeoutMs: LIMITS.idleTimeoutSeconds * 1000, maxConnectionMs: LIMITS.maxConnectionSeconds * 1000 };
    expect(keepAliveTiming()).toEqual({ pingIntervalMs: 300_000, maxConnectionMs: 6_900_000 });
    expect(keepAliveTiming(apiGateway)).toEqual(keepAliveTiming());
  });

  it('pings at half the idle timeout and replaces a connection at most a fifth of its life early', () => {
    expect(keepAliveTiming({ idleTimeoutMs: 1000, maxConnectionMs: 6000 })).toEqual({ pingIntervalMs: 500, maxConnectionMs: 4800 });
    expect(keepAliveTiming({ idleTimeoutMs: 60_000, maxConnectionMs: 3_600_000 })).toEqual({ pingIntervalMs: 30_000, maxConnectionMs: 3_300_000 });
  });

  it('refuses timeouts that are not positive, saying which', () => {
    expect(() => keepAliveTiming({ idleTimeoutMs: 0, maxConnectionMs: 6000 })).toThrow('idleTimeoutMs must be a positive number of milliseconds; got 0.');
    expect(() => keepAliveTiming({ idleTimeoutMs: 1000, maxConnectionMs: Number.NaN })).toThrow(/maxConnectionMs must be a positive number/);
  });
});
