/** client.inbox (client/src/inbox.ts): the count kept from frames in any order, mark-reads and pages. */
import { Inbox } from '../../client/src/inbox';

const u = (count: number, seq: number, readVersion: number, epoch = 'e') => ({ count, epoch, seq, readVersion });

describe('client inbox', () => {
  it('keeps the newest count whatever order the frames arrive in, and tells listeners of changes only', () => {
    const sent: unknown[] = [];
    const inbox = new Inbox(async (frame) => {
      sent.push(frame);
      return { type: 'inbox', unread: 0, epoch: 'e', seq: 0, readVersion: 0, notifications: [], hasMore: false };
    }, () => true);
    const seen: number[] = [];
    inbox.on('unread', (n) => seen.push(n));
    expect(sent).toEqual([{ action: 'inbox', limit: 1 }]);
    inbox.take(u(3, 3, 0));
    inbox.take(u(2, 3, 1)); // a mark-read
    inbox.take(u(3, 3, 0)); // the older one, late: dropped
    inbox.take(u(2, 3, 1)); // the same again: no change
    inbox.take(u(3, 4, 1)); // a new notification
    inbox.take(u(2, 4, 0)); // incomparable (seq 4, version 0 < 1): older, dropped
    expect(inbox.unread).toBe(3);
    inbox.take(u(1, 1, 0, 'new-epoch'));
    expect(seen).toEqual([3, 2, 3, 1]);
  });

  it('asks for the count when the first listener comes only while a connection is open: the next connection brings it otherwise', () => {
    const sent: unknown[] = [];
    let open = false;
    const inbox = new Inbox(async (frame) => void sent.push(frame), () => open);
    const stop = inbox.on('unread', () => undefined);
    expect(sent).toEqual([]);
    // What the client does once a connection is open without a resume (whose answer carries the count).
    inbox.sync();
    expect(sent).toEqual([{ action: 'inbox', limit: 1 }]);
    stop();
    open = true;
    inbox.on('unread', () => undefined);
    expect(sent).toHaveLength(2);
  });

  it('marks read by ids or position and takes the answer', async () => {
    const sent: unknown[] = [];
    const inbox = new Inbox(async (frame) => {
      sent.push(frame);
      return frame.action === 'markRead' ? { type: 'unread', ...u(1, 5, 2) } : { type: 'inbox', unread: 2, epoch: 'e', seq: 5, readVersion: 1, notifications: [], hasMore: false };
    }, () => true);
    expect(await inbox.markRead(['a', 'b'])).toBe(1);
    expect(await inbox.markRead({ epoch: 'e', seq: 4 })).toBe(1);
    expect(sent).toEqual([{ action: 'markRead', ids: ['a', 'b'] }, { action: 'markRead', upTo: { epoch: 'e', seq: 4 } }]);
    expect(await inbox.markAllRead()).toBe(1);
    expect(sent.slice(2)).toEqual([{ action: 'inbox', limit: 1 }, { action: 'markRead', upTo: { epoch: 'e', seq: 5 } }]);
  });
});
