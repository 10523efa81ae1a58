/**
 * The per-user connection limit's decisions, with probes that answer as told: the failing and
 * racing answers @connections can give are hard to produce locally. The end-to-end suite
 * (client-messages.test.ts) covers the limit through the real gateway.
 */
import { checkConnectionLimit, ConnectionLimitDeps } from '../../../lambda/core/connection-limit';
import { PostResult } from '../../../lambda/core/fanout';

const OPEN: PostResult = { status: 'delivered' };
const GONE: PostResult = { status: 'gone' };
const UNKNOWN: PostResult = { status: 'failed', reason: 'SERVER_ERROR', retryable: true };

function deps(answers: Record<string, PostResult>): ConnectionLimitDeps & { probed: string[]; forgotten: string[] } {
  const probed: string[] = [];
  const forgotten: string[] = [];
  return {
    probed,
    forgotten,
    connectionsOf: async () => Object.keys(answers),
    probe: async (id) => { probed.push(id); return answers[id]; },
    forget: async (id) => { forgotten.push(id); },
  };
}

test('below the limit nothing is probed', async () => {
  const d = deps({ a: OPEN, b: OPEN });
  expect(await checkConnectionLimit('u', 3, d)).toEqual({ allowed: true, forgotten: 0 });
  expect(d.probed).toEqual([]);
});

test('at the limit, connections API Gateway no longer has are forgotten and do not count', async () => {
  const d = deps({ a: OPEN, b: GONE, c: OPEN });
  expect(await checkConnectionLimit('u', 3, d)).toEqual({ allowed: true, forgotten: 1 });
  expect(d.forgotten).toEqual(['b']);
});

test('a probe that fails counts as open, so a failing API never lets the limit be passed', async () => {
  const d = deps({ a: OPEN, b: UNKNOWN, c: OPEN });
  expect(await checkConnectionLimit('u', 3, d)).toEqual({ allowed: false, open: 3 });
  expect(d.forgotten).toEqual([]);
});

test('over the limit (a race let one more in), all are probed and the verdict counts the open ones', async () => {
  const d = deps({ a: OPEN, b: OPEN, c: OPEN, d: GONE, e: OPEN });
  expect(await checkConnectionLimit('u', 4, d)).toEqual({ allowed: false, open: 4 });
  expect(d.probed.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(d.forgotten).toEqual(['d']);
});
