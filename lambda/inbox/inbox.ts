/**
 * The inbox: read state on each user's own stream and its unread count (read-store.ts has the
 * design of the count). What the message function answers to `markRead` and `inbox`, what the
 * `resume` answer adds, and what deliver pushes after a user's new notification.
 *
 * Every count pushed or answered is taken from one snapshot of the stream's head and read state
 * (kept in one item: what the mark-read's update, or the notification's position, returned), so
 * the counts are ordered by their `seq` and `readVersion` together, and the one with the highest
 * of both is always exact.
 */
import { presentedBytes } from '../payloads/payloads';
import type { InboxFrame, NotificationFrame, StreamPosition, UnreadFrame } from '../../client/src/protocol';
import { LIMITS } from '../../lib/private/runtime-contract';
import type { HistoryStore, Position } from '../history/history-store';
import { userStream } from '../stores/keys';
import { HeadAndState, headAndState, isRead, ReadState, ReadStateStore, unreadCount, unreadState, withRead } from './read-store';

/** Times a mark-read re-reads the state after another write came first. */
const MAX_CAS_ATTEMPTS = 20;
/** Room kept in an `inbox` answer for its envelope. */
const INBOX_ENVELOPE_BYTES = 1024;
/**
 * Seqs marked read one by one above `upTo` at most, per user: beyond, mark read with `upTo`. The
 * read state is on the stream's head, which every notification writes: its size is its write cost
 * (a thousand seqs, about 6 KB, at the most).
 */
export const MAX_READ_ABOVE = 1_000;

export type UnreadCount = Omit<UnreadFrame, 'type' | 'requestId'>;

/** A mark-read as the bus event tells it. */
export interface MarkedRead {
  readonly userId: string;
  readonly epoch: string;
  /** What was asked: the ids, or the position. */
  readonly ids?: readonly string[];
  readonly upTo?: number;
  /** The count after it. */
  readonly unread: number;
  readonly readVersion: number;
  /** Who asked: a connection, or a backend through the bus. */
  readonly by: { readonly connectionId: string } | { readonly backend: true };
  readonly time: string;
}

export interface InboxDeps {
  readonly reads: ReadStateStore;
  readonly history: Pick<HistoryStore, 'head' | 'before' | 'retention'>;
  /** The user's open connections. */
  readonly connectionsOf: (userId: string) => Promise<string[]>;
  /** Posts one frame to each connection, with the fan-out's retries; failures are not thrown. */
  readonly push: (connectionIds: readonly string[], frame: string) => Promise<void>;
  /** Puts the mark-read on the bus; absent: not announced. */
  readonly announce?: (read: MarkedRead) => Promise<void>;
  /** A kept frame as answered: a payload reference as a fresh presigned URL (lambda/payloads/). */
  readonly present?: <F extends object>(frame: F) => Promise<F>;
  readonly now?: () => number;
}

export type MarkReadResult =
  | { readonly ok: true; readonly unread: UnreadCount; readonly changed: boolean }
  | { readonly ok: false; readonly code: 'BAD_REQUEST' | 'LIMIT_EXCEEDED'; readonly message: string };

export class Inbox {
  constructor(private readonly deps: InboxDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The head and read state now; a stream never written is started (seq 0, nothing read). */
  private async current(stream: string): Promise<HeadAndState> {
    const read = await this.deps.reads.get(stream);
    if (read !== undefined) return read;
    const head = await this.deps.history.head(stream, this.now());
    return { head, state: unreadState(head.epoch) };
  }

  /** The count as of now. */
  async unread(userId: string): Promise<UnreadCount> {
    const stream = userStream(userId);
    return this.countAt(stream, await this.current(stream));
  }

  private async countAt(stream: string, { head, state, since }: HeadAndState): Promise<UnreadCount> {
    // An epoch younger than the retention has nothing expired: no Query.
    const young = since !== undefined && (since + this.deps.history.retention(stream)) * 1000 > this.now();
    const expired = head.seq > state.upTo && !young ? await this.deps.reads.expiredUpTo(stream, state.upTo, this.now()) : state.upTo;
    return { count: unreadCount(state, head.seq, expired), epoch: head.epoch, seq: head.seq, readVersion: state.version };
  }

  /**
   * Marks read what `ids` names, or everything up to `upTo`, in the user's own stream; checks all
   * of it first and changes nothing when any of it is wrong. Pushes the new count to the user's
   * other connections and announces the mark-read when the state changed.
   */
  async markRead(
    userId: string, change: { ids?: readonly string[]; upTo?: StreamPosition }, by: MarkedRead['by'],
  ): Promise<MarkReadResult> {
    const stream = userStream(userId);
    let now = await this.current(stream);
    const { head } = now;
    let seqs: number[] = [];
    if (change.upTo !== undefined) {
      if (change.upTo.epoch !== head.epoch) {
        return bad(`"upTo.epoch" "${change.upTo.epoch.slice(0, 64)}" is not your stream's epoch (now "${head.epoch}"): it started over, and what you had is gone. Resume to get the current position.`);
      }
      if (change.upTo.seq > head.seq) {
        return bad(`"upTo.seq" ${change.upTo.seq} is ahead of your stream, which is at ${head.seq}. Send the seq of a notification you received.`);
      }
    } else if (change.ids !== undefined) {
      const positions = await this.deps.reads.positionsOf(stream, change.ids);
      const unknown = change.ids.filter((id) => positions.get(id)?.epoch !== head.epoch);
      if (unknown.length > 0) {
        const listed = unknown.slice(0, 5).map((id) => JSON.stringify(id.slice(0, 64))).join(', ');
        return bad(`${unknown.length} of the ids are not notifications of your own stream that are still kept (${listed}${unknown.length > 5 ? ', …' : ''}). `
          + 'Nothing was marked read; send the ids of notifications you received.');
      }
      seqs = change.ids.map((id) => positions.get(id)!.seq);
    } else {
      return bad('"markRead" needs "ids" (a list of notification ids) or "upTo" (a position such as {"epoch":"p0x1","seq":9}).');
    }

    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (attempt > 0) now = await this.current(stream);
      // Within the epoch checked above: a stream that started over since has none of these.
      if (now.head.epoch !== head.epoch) return bad('Your stream started over meanwhile: what you marked is gone. Resume to get the current position.');
      const current = now.state;
      const next = withRead(current, { upTo: change.upTo?.seq, seqs });
      if (next === current) return { ok: true, unread: await this.countAt(stream, now), changed: false };
      if (next.above.length > MAX_READ_ABOVE) {
        return { ok: false, code: 'LIMIT_EXCEEDED', message: `More than ${MAX_READ_ABOVE} notifications would be marked read one by one; mark read with "upTo" instead.` };
      }
      const written = await this.deps.reads.put(stream, next, current);
      if (written === undefined) continue;
      // The head as the write left it: a notification that arrived meanwhile is counted.
      const unread = await this.countAt(stream, written);
      const except = 'connectionId' in by ? by.connectionId : undefined;
      await Promise.all([
        this.pushTo(userId, unread, except),
        this.deps.announce?.({
          userId, epoch: head.epoch, ...(change.ids ? { ids: change.ids } : { upTo: change.upTo!.seq }),
          unread: unread.count, readVersion: unread.readVersion, by, time: new Date(this.now()).toISOString(),
        }),
      ]);
      return { ok: true, unread, changed: true };
    }
    throw new Error(`The read state of ${stream} kept changing under ${MAX_CAS_ATTEMPTS} attempts; try again.`);
  }

  /** A position of the user's stream that was taken and not used (history-store.ts) is not unread: marked read, unannounced. */
  async voided(stream: string, seq: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { state } = await this.current(stream);
      const next = withRead(state, { seqs: [seq] });
      if (next === state || await this.deps.reads.put(stream, next, state) !== undefined) return;
    }
  }

  /**
   * After a new notification of the user's stream was posted to `connectionIds`: pushes them the
   * count, from the head as its position's increment returned it (`head`, the item's attributes),
   * or as read now when there is none (a redelivery, or a position another delivery claimed).
   */
  async notified(userId: string, position: Position, connectionIds: readonly string[], head?: Record<string, unknown>): Promise<void> {
    if (connectionIds.length === 0) return;
    const stream = userStream(userId);
    const snapshot = head !== undefined ? headAndState(head) : undefined;
    const at = snapshot !== undefined && snapshot.head.seq === position.seq && snapshot.head.epoch === position.epoch ? snapshot : await this.current(stream);
    const unread = await this.countAt(stream, at);
    await this.deps.push(connectionIds, JSON.stringify(unreadFrame(unread)));
  }

  private async pushTo(userId: string, unread: UnreadCount, exceptConnectionId?: string): Promise<void> {
    const connections = (await this.deps.connectionsOf(userId)).filter((id) => id !== exceptConnectionId);
    if (connections.length > 0) await this.deps.push(connections, JSON.stringify(unreadFrame(unread)));
  }

  /** A page of the user's own stream, newest last, each with its read state. */
  async page(userId: string, before: number | undefined, limit: number): Promise<Omit<InboxFrame, 'type' | 'requestId'>> {
    const stream = userStream(userId);
    const now = await this.current(stream);
    const { head, state } = now;
    const unread = await this.countAt(stream, now);
    const expired = await this.deps.reads.expiredUpTo(stream, 0, this.now());
    const from = Math.min(before ?? head.seq + 1, head.seq + 1);
    const newestFirst = await this.deps.history.before(stream, from, limit + 1, LIMITS.maxFrameBytes);
    const listed: Array<NotificationFrame & { read: boolean }> = [];
    let bytes = INBOX_ENVELOPE_BYTES + Buffer.byteLength(head.epoch);
    let hasMore = newestFirst.length > limit;
    for (const kept of newestFirst.slice(0, limit)) {
      if (kept.frame === undefined || kept.seq <= expired) continue;
      const size = presentedBytes(kept.frame) + 16;
      if (bytes + size > LIMITS.maxFrameBytes) {
        hasMore = true;
        break;
      }
      bytes += size;
      listed.push({ ...(JSON.parse(kept.frame) as NotificationFrame), read: isRead(state, kept.seq) });
    }
    const present = this.deps.present;
    const notifications = present ? await Promise.all(listed.map((frame) => present(frame))) : listed;
    return { epoch: head.epoch, notifications: notifications.reverse(), hasMore, unread: unread.count, seq: head.seq, readVersion: unread.readVersion };
  }
}

export function unreadFrame(unread: UnreadCount, requestId?: string): UnreadFrame {
  return { type: 'unread', ...unread, ...(requestId !== undefined ? { requestId } : {}) };
}

function bad(message: string): MarkReadResult {
  return { ok: false, code: 'BAD_REQUEST', message };
}
