import { AdaptiveConcurrency } from '../../../lambda/fanout/concurrency';
import { DEFAULT_POST_RETRY, fanOut, FanoutOptions, MIN_POST_TIMEOUT_MS } from '../../../lambda/fanout/fanout';
import { RateLimiter } from '../../../lambda/fanout/rate';
import { DELIVERED, GONE, ids, ScriptedPoster, SERVER_ERROR, THROTTLED, TOO_LARGE, VirtualClock } from './fakes';

const frame = Buffer.from('{"type":"notification","id":"n-1","topic":"t","data":1,"time":"2026-11-22T10:00:00.000Z"}');

function options(overrides: Partial<FanoutOptions> = {}): FanoutOptions {
  return { concurrency: new AdaptiveConcurrency(4), clock: new VirtualClock(), random: () => 0.5, ...overrides };
}

describe('fan-out engine', () => {
  test('posts the same frame bytes once to every connection, in audience order', async () => {
    const poster = new ScriptedPoster();
    const audience = ids(25);
    const result = await fanOut(audience, frame, poster.post, options());
    expect(poster.calls.map((c) => c.connectionId)).toEqual(audience);
    expect(poster.calls.every((c) => c.frame === frame)).toBe(true);
    expect(result.delivered.sort()).toEqual([...audience].sort());
    expect(result).toMatchObject({ gone: [], failed: [], notAttempted: [], throttled: 0, posts: 25 });
  });

  test('never has more posts in flight than the concurrency bound, and uses it', async () => {
    const poster = new ScriptedPoster();
    await fanOut(ids(50), frame, poster.post, options({ concurrency: new AdaptiveConcurrency(7) }));
    expect(poster.maxInFlight).toBe(7);
  });

  test('the bound is shared by fan-outs running side by side', async () => {
    const poster = new ScriptedPoster();
    const shared = new AdaptiveConcurrency(5);
    await Promise.all([
      fanOut(ids(20, 'a'), frame, poster.post, options({ concurrency: shared })),
      fanOut(ids(20, 'b'), frame, poster.post, options({ concurrency: shared })),
    ]);
    expect(poster.calls).toHaveLength(40);
    expect(poster.maxInFlight).toBe(5);
  });

  test('an empty audience posts nothing', async () => {
    const poster = new ScriptedPoster();
    const result = await fanOut([], frame, poster.post, options());
    expect(poster.calls).toHaveLength(0);
    expect(result.posts).toBe(0);
  });

  test('429 and 5xx are retried with backoff until delivered, each connection delivered once', async () => {
    const clock = new VirtualClock();
    const poster = new ScriptedPoster({ c1: [THROTTLED, DELIVERED], c2: [SERVER_ERROR, SERVER_ERROR, DELIVERED] });
    const result = await fanOut(ids(4), frame, poster.post, options({ clock }));
    expect(result.delivered.sort()).toEqual(ids(4));
    expect(result.failed).toEqual([]);
    expect(result.throttled).toBe(1);
    expect(poster.postsTo('c0')).toBe(1);
    expect(poster.postsTo('c1')).toBe(2);
    expect(poster.postsTo('c2')).toBe(3);
    // Jittered: half of the exponential ceiling with random() = 0.5.
    expect(clock.sleeps.sort((a, b) => a - b)).toEqual([25, 50, 50]);
  });

  test('a connection still failing after the retry budget is returned with its last reason', async () => {
    const poster = new ScriptedPoster({ c1: [SERVER_ERROR, THROTTLED] });
    const result = await fanOut(ids(3), frame, poster.post, options());
    expect(poster.postsTo('c1')).toBe(DEFAULT_POST_RETRY.maxAttempts);
    expect(result.failed).toEqual([{ connectionId: 'c1', reason: 'THROTTLED', retryable: true, detail: undefined }]);
    expect(result.delivered.sort()).toEqual(['c0', 'c2']);
  });

  test('410 is reported as gone and not retried', async () => {
    const poster = new ScriptedPoster({ c2: [GONE] });
    const result = await fanOut(ids(4), frame, poster.post, options());
    expect(result.gone).toEqual(['c2']);
    expect(poster.postsTo('c2')).toBe(1);
    expect(result.delivered).toHaveLength(3);
  });

  test('413 is not retried', async () => {
    const poster = new ScriptedPoster({ c0: [TOO_LARGE] });
    const result = await fanOut(ids(2), frame, poster.post, options());
    expect(poster.postsTo('c0')).toBe(1);
    expect(result.failed).toEqual([{ connectionId: 'c0', reason: 'PAYLOAD_TOO_LARGE', retryable: false, detail: undefined }]);
  });

  test('a poster that throws counts as a transient failure, not a crash', async () => {
    const result = await fanOut(['x'], frame, async () => {
      throw new Error('boom');
    }, options());
    expect(result.failed).toMatchObject([{ connectionId: 'x', reason: 'NETWORK_ERROR', retryable: true }]);
  });

  test('past the deadline nothing new starts, and the rest is returned untouched', async () => {
    const clock = new VirtualClock(0);
    const poster = new ScriptedPoster();
    const post: typeof poster.post = async (id, f) => {
      const r = await poster.post(id, f);
      clock.time += 10; // each post takes 10 ms of virtual time
      return r;
    };
    const audience = ids(20);
    const result = await fanOut(audience, frame, post, options({ clock, deadline: 55, concurrency: new AdaptiveConcurrency(1) }));
    expect(result.delivered.length).toBeGreaterThan(0);
    expect(result.notAttempted.length).toBeGreaterThan(0);
    expect([...result.delivered, ...result.notAttempted]).toEqual(audience);
    expect(poster.calls.map((c) => c.connectionId)).toEqual(result.delivered);
  });

  test('a deadline already past still lets one post through, so every fan-out makes progress', async () => {
    const poster = new ScriptedPoster();
    const result = await fanOut(ids(5), frame, poster.post, options({ clock: new VirtualClock(100), deadline: 50 }));
    expect(result.delivered).toEqual(['c0']);
    expect(result.notAttempted).toEqual(ids(5).slice(1));
  });

  test('fan-outs sharing a throttled bound: no post starts past the deadline, and every id not posted is returned', async () => {
    const clock = new VirtualClock(0);
    const starts: Array<{ connectionId: string; at: number }> = [];
    // One post at a time (the bound is 1), each taking 300 ms of virtual time.
    const slowPost: typeof ScriptedPoster.prototype.post = async (connectionId) => {
      starts.push({ connectionId, at: clock.now() });
      await new Promise((resolve) => setImmediate(resolve));
      clock.time += 300;
      return DELIVERED;
    };
    const shared = new AdaptiveConcurrency(1);
    const deadline = 1_000;
    const audiences = [ids(5, 'a'), ids(5, 'b')];
    const results = await Promise.all(audiences.map((audience) =>
      fanOut(audience, frame, slowPost, options({ clock, deadline, concurrency: shared }))));

    expect(starts.length).toBeGreaterThan(0);
    expect(starts.filter((s) => s.at >= deadline)).toEqual([]);
    for (const [i, result] of results.entries()) {
      expect(result.failed).toEqual([]);
      expect(result.notAttempted.length).toBeGreaterThan(0);
      expect([...result.delivered, ...result.notAttempted].sort()).toEqual([...audiences[i]].sort());
    }
    expect(starts.map((s) => s.connectionId).sort()).toEqual(results.flatMap((r) => r.delivered).sort());
    expect(shared.inFlight).toBe(0);
  });

  test('a retry that gets its place in flight only past the deadline is returned failed, with its last reason', async () => {
    const clock = new VirtualClock(0);
    const shared = new AdaptiveConcurrency(1);
    const poster = new ScriptedPoster({ x0: [SERVER_ERROR, DELIVERED] });
    // x0 fails at once; y0 then holds the only place for 500 ms while x0 waits to retry.
    const busyPost: typeof poster.post = async (id, f) => {
      const r = await poster.post(id, f);
      if (id === 'y0') clock.time += 500;
      return r;
    };
    const [retried, other] = await Promise.all([
      fanOut(['x0'], frame, busyPost, options({ clock, deadline: 400, concurrency: shared })),
      fanOut(['y0'], frame, busyPost, options({ clock, deadline: 400, concurrency: shared })),
    ]);
    expect(other.delivered).toEqual(['y0']);
    expect(poster.postsTo('x0')).toBe(1);
    expect(retried.failed).toMatchObject([{ connectionId: 'x0', reason: 'SERVER_ERROR', retryable: true }]);
    expect(retried.notAttempted).toEqual([]);
  });

  test('each post is given the time left before the deadline as its timeout, never less than the minimum', async () => {
    const clock = new VirtualClock(0);
    const timeouts: Array<number | undefined> = [];
    const post: typeof ScriptedPoster.prototype.post = async (_id, _f, timeoutMs) => {
      timeouts.push(timeoutMs);
      clock.time += 2_000;
      return DELIVERED;
    };
    await fanOut(ids(3), frame, post, options({ clock, deadline: 4_500, concurrency: new AdaptiveConcurrency(1) }));
    expect(timeouts).toEqual([4_500, 2_500, MIN_POST_TIMEOUT_MS]);
    timeouts.length = 0;
    await fanOut(ids(1), frame, post, options({ clock }));
    expect(timeouts).toEqual([undefined]);
  });

  test('no retry is scheduled beyond the deadline', async () => {
    const clock = new VirtualClock(0);
    const poster = new ScriptedPoster({ c0: [SERVER_ERROR, DELIVERED] });
    const result = await fanOut(['c0'], frame, poster.post, options({ clock, deadline: 10 }));
    expect(poster.postsTo('c0')).toBe(1);
    expect(result.failed).toMatchObject([{ connectionId: 'c0', reason: 'SERVER_ERROR', retryable: true }]);
  });

  test('throttling lowers the concurrency (AIMD) and success brings it back', async () => {
    const concurrency = new AdaptiveConcurrency(16);
    const script: Record<string, typeof THROTTLED[]> = {};
    for (const id of ids(16)) script[id] = [THROTTLED, DELIVERED];
    const poster = new ScriptedPoster(script);
    const result = await fanOut(ids(16), frame, poster.post, options({ concurrency }));
    expect(result.throttled).toBe(16);
    expect(result.delivered).toHaveLength(16);
    // After the burst of 429s, later posts ran with fewer in flight than the maximum.
    const afterThrottling = poster.inFlightAtStart.slice(16);
    expect(Math.max(...afterThrottling)).toBeLessThan(16);

    const recovery = new ScriptedPoster();
    await fanOut(ids(2000, 'r'), frame, recovery.post, options({ concurrency }));
    expect(concurrency.limit).toBe(16);
    expect(recovery.maxInFlight).toBe(16);
  });

  test('a rate limiter spaces posts out', async () => {
    const clock = new VirtualClock(0);
    const poster = new ScriptedPoster();
    await fanOut(ids(30), frame, poster.post, options({ clock, rateLimiter: new RateLimiter(100, clock, 1) }));
    expect(poster.calls).toHaveLength(30);
    // 30 posts at 100/s with no burst need at least 290 ms of waiting in total.
    expect(clock.time).toBeGreaterThanOrEqual(290);
  });
});

describe('fan-out engine: an audience read as it is posted to', () => {
  /** Pages of ids that yield one at a time; `gate(i)` is awaited before page i is yielded. */
  async function* pagesOf(pages: string[][], gate: (index: number) => Promise<void> = async () => {}): AsyncGenerator<string[]> {
    for (const [index, page] of pages.entries()) {
      await gate(index);
      yield page;
    }
  }

  test('posting starts with the first page, before the next one is read', async () => {
    const poster = new ScriptedPoster();
    let firstPost!: () => void;
    const posted = new Promise<void>((resolve) => { firstPost = resolve; });
    const post: typeof poster.post = async (id, f) => {
      firstPost();
      return poster.post(id, f);
    };
    let postsBeforePage2 = -1;
    const gate = async (index: number) => {
      if (index !== 1) return;
      await posted; // a fan-out that waits for the whole audience never gets past this
      postsBeforePage2 = poster.calls.length;
    };
    const audience = [ids(3, 'a'), ids(5, 'b')];
    const result = await fanOut(pagesOf(audience, gate), frame, post, options());
    expect(postsBeforePage2).toBeGreaterThan(0);
    expect(poster.calls.map((c) => c.connectionId)).toEqual(audience.flat());
    expect(result.delivered.sort()).toEqual(audience.flat().sort());
    expect(result).toMatchObject({ gone: [], failed: [], notAttempted: [], posts: 8 });
  });

  test('uses the whole concurrency bound once enough ids have arrived', async () => {
    const poster = new ScriptedPoster();
    await fanOut(pagesOf([['x'], ids(30)]), frame, poster.post, options({ concurrency: new AdaptiveConcurrency(6) }));
    expect(poster.calls).toHaveLength(31);
    expect(poster.maxInFlight).toBe(6);
  });

  test('ids read past the deadline, from pages not yet read when it passed, are returned untouched', async () => {
    const clock = new VirtualClock(0);
    const poster = new ScriptedPoster();
    const post: typeof poster.post = async (id, f) => {
      const r = await poster.post(id, f);
      clock.time += 10;
      return r;
    };
    // Page 2 is read only once the deadline has passed.
    const gate = async (index: number) => {
      while (index > 0 && clock.now() < 30) await new Promise((resolve) => setImmediate(resolve));
    };
    const audience = [ids(5, 'a'), ids(4, 'b'), ids(3, 'c')];
    const result = await fanOut(pagesOf(audience, gate), frame, post, options({ clock, deadline: 30, concurrency: new AdaptiveConcurrency(1) }));
    expect(result.delivered).toEqual(['a0', 'a1', 'a2']);
    expect(result.notAttempted).toEqual(['a3', 'a4', ...audience[1], ...audience[2]]);
    expect(poster.calls.map((c) => c.connectionId)).toEqual(result.delivered);
  });

  test('when reading a page fails, no new post starts, the posts in flight finish, and the error is thrown', async () => {
    const poster = new ScriptedPoster();
    async function* failing(): AsyncGenerator<string[]> {
      yield ids(20);
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('ProvisionedThroughputExceededException');
    }
    // Four posts in flight when the read fails; the sixteen ids still waiting are never posted to.
    await expect(fanOut(failing(), frame, poster.post, options())).rejects.toThrow(/ProvisionedThroughput/);
    expect(poster.inFlight).toBe(0);
    expect(poster.calls.map((c) => c.connectionId)).toEqual(ids(4));
  });
});

describe('adaptive concurrency', () => {
  test('halves once per burst of throttling, never below the minimum', async () => {
    const c = new AdaptiveConcurrency(32);
    const burst = await Promise.all(Array.from({ length: 8 }, () => c.acquire()));
    for (const slot of burst) c.release(slot, 'throttled');
    expect(c.limit).toBe(16);
    for (let i = 0; i < 10; i++) c.release(await c.acquire(), 'throttled');
    expect(c.limit).toBe(1);
  });

  test('adds about one per round of successes', async () => {
    const c = new AdaptiveConcurrency(10);
    c.release(await c.acquire(), 'throttled');
    c.release(await c.acquire(), 'throttled');
    c.release(await c.acquire(), 'throttled');
    expect(c.limit).toBe(1);
    c.release(await c.acquire(), 'success');
    expect(c.limit).toBe(2);
    c.release(await c.acquire(), 'success');
    c.release(await c.acquire(), 'success');
    expect(c.limit).toBe(2);
    c.release(await c.acquire(), 'success');
    expect(c.limit).toBe(3);
    for (let i = 0; i < 1000; i++) c.release(await c.acquire(), 'success');
    expect(c.limit).toBe(10);
  });

  test('waiters are served in order as slots free up', async () => {
    const c = new AdaptiveConcurrency(1);
    const first = await c.acquire();
    const order: number[] = [];
    const second = c.acquire().then((s) => { order.push(2); return s; });
    const third = c.acquire().then((s) => { order.push(3); return s; });
    c.release(first, 'success');
    c.release(await second, 'success');
    c.release(await third, 'success');
    expect(order).toEqual([2, 3]);
    expect(c.inFlight).toBe(0);
  });

  test('refuses a nonsensical maximum', () => {
    expect(() => new AdaptiveConcurrency(0)).toThrow(/positive integer/);
  });
});

describe('rate limiter', () => {
  test('lets a burst through, then one post per interval', async () => {
    const clock = new VirtualClock(0);
    const limiter = new RateLimiter(10, clock, 3);
    for (let i = 0; i < 3; i++) await limiter.take();
    expect(clock.sleeps).toEqual([]);
    await limiter.take();
    expect(clock.sleeps).toEqual([100]);
  });
});
