import type { InboxFrame, UnreadFrame } from './protocol';
import type { Position } from './stream';

/** The user's unread count as the server last told it. */
export type UnreadCount = Omit<UnreadFrame, 'type' | 'requestId'>;

/** A page of the user's own stream, oldest first, each notification with `read`. */
export type InboxPage = Omit<InboxFrame, 'type' | 'requestId'>;

type Send = (frame: any) => Promise<any>;

/**
 * The user's inbox: the unread count, kept current on every device (`on('unread')`), marking
 * read, and paging back with read state. `client.inbox`.
 */
export class Inbox {
  /** Notifications not read; undefined until the server said. */
  unread?: number;
  private last?: UnreadCount;
  private readonly listeners = new Set<(count: number) => void>();

  /** @internal `open`: whether a connection is open now (else the next one brings the count). */
  constructor(private readonly send: Send, private readonly open: () => boolean) {}

  /** Called with the count whenever it changes (a new notification, a mark-read on any device); returns the function that stops it. */
  on(_event: 'unread', listener: (count: number) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && this.open()) this.sync();
    return () => this.listeners.delete(listener);
  }

  /** Marks read the notifications with these ids, or everything up to a position; resolves with the unread count. */
  markRead(what: readonly string[] | Position): Promise<number> {
    const frame = Array.isArray(what) ? { ids: what } : { upTo: { epoch: (what as Position).epoch, seq: (what as Position).seq } };
    return this.send({ action: 'markRead', ...frame }).then((answer) => this.take(answer));
  }

  /** Marks everything read, up to the newest notification. */
  markAllRead(): Promise<number> {
    return this.page({ limit: 1 }).then((p) => (p.seq > 0 ? this.markRead({ epoch: p.epoch, seq: p.seq }) : 0));
  }

  /** A page of the inbox, newest last: pass `before` the oldest seq listed to page back. */
  page(options: { before?: number; limit?: number } = {}): Promise<InboxPage> {
    return this.send({ action: 'inbox', ...options }).then((answer) => {
      this.take({ count: answer.unread, epoch: answer.epoch, seq: answer.seq, readVersion: answer.readVersion });
      return answer;
    });
  }

  /** @internal Asks for the count (after a connect, when someone listens). */
  sync(): void {
    if (this.listeners.size > 0) this.page({ limit: 1 }).catch(() => undefined);
  }

  /**
   * @internal A count from the server. Frames can arrive out of order: one whose seq and
   * readVersion are both no higher than those of the count kept is older, and dropped.
   */
  take(u: UnreadCount): number {
    const l = this.last;
    if (!l || u.epoch !== l.epoch || u.seq > l.seq || u.readVersion > l.readVersion) {
      this.last = u;
      if (u.count !== this.unread) {
        this.unread = u.count;
        this.listeners.forEach((fn) => fn(u.count));
      }
    }
    return this.unread!;
  }
}
