/** The read state's arithmetic (lambda/inbox/read-store.ts): pure, so every case is cheap to check. */
import { headAndState, isRead, unreadCount, unreadState, withRead } from '../../../lambda/inbox/read-store';

describe('withRead', () => {
  const start = unreadState('e1');

  it('raises upTo, keeps seqs above it, and folds runs that reach it', () => {
    const a = withRead(start, { seqs: [3, 5] });
    expect(a).toEqual({ epoch: 'e1', upTo: 0, above: [3, 5], version: 1 });
    const b = withRead(a, { seqs: [1, 2] });
    expect(b).toEqual({ epoch: 'e1', upTo: 3, above: [5], version: 2 });
    const c = withRead(b, { upTo: 4 });
    expect(c).toEqual({ epoch: 'e1', upTo: 5, above: [], version: 3 });
  });

  it('returns the same state when nothing changes: a retry is not a change', () => {
    const a = withRead(start, { seqs: [2] });
    expect(withRead(a, { seqs: [2] })).toBe(a);
    expect(withRead(a, { upTo: 0 })).toBe(a);
    const b = withRead(a, { upTo: 5 });
    expect(withRead(b, { seqs: [1, 3, 5] })).toBe(b);
  });

  it('is order-independent: any interleaving of the same mark-reads ends in the same read set', () => {
    const marks = [{ seqs: [1, 2, 3] }, { seqs: [3, 4, 5] }, { upTo: 2 }, { seqs: [9] }, { upTo: 6 }];
    const permutations = (xs: typeof marks): Array<typeof marks> => (xs.length <= 1 ? [xs]
      : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    const results = permutations(marks).map((order) => order.reduce((s, m) => withRead(s, m), start))
      .map((s) => ({ upTo: s.upTo, above: s.above }));
    expect(new Set(results.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ upTo: 6, above: [9] })]));
  });
});

describe('unreadCount', () => {
  it('counts the positions up to the head not read, from the expiry floor on', () => {
    const s = withRead(unreadState('e'), { upTo: 2, seqs: [5, 7, 12] });
    expect(unreadCount(s, 10, 0)).toBe(10 - 2 - 2);
    // A mark-read above the head the count was taken at does not count.
    expect(unreadCount(s, 6, 0)).toBe(6 - 2 - 1);
    // Expired notifications are not unread.
    expect(unreadCount(s, 10, 6)).toBe(10 - 6 - 1);
    expect(unreadCount(s, 10, 10)).toBe(0);
    expect(unreadCount(unreadState('e'), 0, 0)).toBe(0);
  });

  it('reads the head and its read state from one item: a head without one has nothing read', () => {
    expect(headAndState({ pk: 'head#u#a', epoch: 'e1', last: 7 })).toEqual({ head: { seq: 7, epoch: 'e1' }, state: unreadState('e1') });
    const both = headAndState({ epoch: 'e1', last: 9, readUpTo: 4, readAbove: [6, 8], readVersion: 3 });
    expect(both).toEqual({ head: { seq: 9, epoch: 'e1' }, state: { epoch: 'e1', upTo: 4, above: [6, 8], version: 3 } });
    expect([4, 5, 6, 7, 8].map((s) => isRead(both.state, s))).toEqual([true, false, true, false, true]);
  });
});
