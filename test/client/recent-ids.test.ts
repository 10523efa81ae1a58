import { RecentIds } from '../../client/src/recent-ids';

describe('RecentIds (the duplicate window)', () => {
  it('reports a repeated id as a duplicate', () => {
    const ids = new RecentIds(3);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('a')).toBe(false);
  });

  it('remembers only the last `capacity` ids, forgetting the oldest first', () => {
    const ids = new RecentIds(3);
    ['a', 'b', 'c', 'd'].forEach((id) => ids.add(id));
    expect(ids.size).toBe(3);
    expect(ids.add('d')).toBe(false);
    expect(ids.add('b')).toBe(false);
    expect(ids.add('a')).toBe(true); // forgotten: it was the oldest
    for (let i = 0; i < 10_000; i++) ids.add(`n-${i}`);
    expect(ids.size).toBe(3);
  });
});
