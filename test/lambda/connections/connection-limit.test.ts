/**
 * The per-user connection limit's decisions, with a set and probes that answer as told: the
 * failing and racing answers @connections can give are hard to produce locally. The set itself is
 * tested against DynamoDB in test/lambda/stores, and the limit under racing connects through the
 * real gateway in test/e2e/connection-edges.test.ts.
 */
import { admitConnection, ConnectionLimitDeps } from '../../../lambda/connections/connection-limit';
import { PostResult } from '../../../lambda/fanout/fanout';

const OPEN: PostResult = { status: 'delivered' };
const GONE: PostResult = { status: 'gone' };
const UNKNOWN: PostResult = { status: 'failed', reason: 'SERVER_ERROR', retryable: true };

/** A user whose set holds `answers`' ids; `opening` ids answer 410 but cannot be forgotten yet. */
function deps(answers: Record<string, PostResult>, opening: string[] = []): ConnectionLimitDeps & { set: Set<string>; probed: string[]; forgotten: string[] } {
  const set = new Set(Object.keys(answers));
  const probed: string[] = [];
  const forgotten: string[] = [];
  return {
    set,
    probed,
    forgotten,
    admit: async (_user, id, max) => {
      if (set.size >= max && !set.has(id)) return false;
      set.add(id);
      return true;
    },
    connectionsOf: async () => [...set],
    probe: async (id) => { probed.push(id); return answers[id]; },
    forgetGone: async (_user, id) => {
      if (opening.includes(id)) return false;
      forgotten.push(id);
      set.delete(id);
      return true;
    },
  };
}

test('below the limit the connection takes a place and nothing is probed', async () => {
  const d = deps({ a: OPEN, b: OPEN });
  expect(await admitConnection('u', 'new', 3, d)).toEqual({ allowed: true, forgotten: 0 });
  expect(d.probed).toEqual([]);
  expect([...d.set]).toEqual(['a', 'b', 'new']);
});

test('at the limit, connections API Gateway no longer has are forgotten and their places given', async () => {
  const d = deps({ a: OPEN, b: GONE, c: OPEN });
  expect(await admitConnection('u', 'new', 3, d)).toEqual({ allowed: true, forgotten: 1 });
  expect(d.forgotten).toEqual(['b']);
  expect([...d.set].sort()).toEqual(['a', 'c', 'new']);
});

test('a probe that fails counts as open, so a failing API never lets the limit be passed', async () => {
  const d = deps({ a: OPEN, b: UNKNOWN, c: OPEN });
  expect(await admitConnection('u', 'new', 3, d)).toEqual({ allowed: false, open: 3 });
  expect(d.forgotten).toEqual([]);
});

test('a connection still in its $connect answers 410 but counts as open', async () => {
  const d = deps({ a: OPEN, b: GONE, c: OPEN }, ['b']);
  expect(await admitConnection('u', 'new', 3, d)).toEqual({ allowed: false, open: 3 });
  expect([...d.set].sort()).toEqual(['a', 'b', 'c']);
});

test('a place freed here but taken by a racing connect first is not given twice', async () => {
  const d = deps({ a: OPEN, b: GONE });
  const admit = d.admit;
  let raced = false;
  const racing: ConnectionLimitDeps = {
    ...d,
    admit: async (user, id, max) => {
      // The racing connect takes the freed place between this one's probes and its second try.
      if (!raced && d.forgotten.length > 0) { raced = true; await admit(user, 'racer', max); }
      return admit(user, id, max);
    },
  };
  expect(await admitConnection('u', 'new', 2, racing)).toEqual({ allowed: false, open: 1 });
  expect([...d.set].sort()).toEqual(['a', 'racer']);
});
