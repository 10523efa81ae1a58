import type { NotificationFrame, StreamPosition, SubscribedFrame } from './protocol';

/** Where a stream with history is: the server's `epoch` and the notification's `seq` in it. */
export type Position = StreamPosition;

/** A notification as the server pushes it (docs/protocol.md). */
export type Notification = Omit<NotificationFrame, 'type'>;

/** What the server's `subscribed` or `resumed` answer says about the stream. */
export type StreamAck = Pick<SubscribedFrame, 'epoch' | 'seq' | 'recovered'>;

/** Seqs handed over beyond a hole; past this many, the hole is taken as never to be filled. */
const MAX_AHEAD = 100;

/**
 * One stream's ordering (a topic, or the user's own notifications): holds its frames from a
 * (re)subscribe until the server's answer, then hands them over in seq order; later frames pass
 * at once. Tracks the position to resume from: the last seq up to which everything was handed
 * over, so a notification overtaken by a later one is still asked for after a reconnect.
 */
export class Stream {
  position?: Position;
  /** Seqs above `position` already handed over (a live frame overtook a retried one). */
  private readonly ahead = new Set<number>();
  private held?: Notification[];
  /**
   * After an answer that replayed nothing (a fresh subscribe, or a gap), notifications up to its
   * position may still be on their way live: for seqs in (above, upTo], ids alone decide.
   */
  private unsure?: { epoch: string; above: number; upTo: number };

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** From now on, frames wait for `release` (a subscribe or resume is on its way). */
  hold(): void {
    this.held ??= [];
  }

  /** A frame arrived: what to hand over now, in order. */
  take(frame: Notification): Notification[] {
    if (this.held) {
      this.held.push(frame);
      return [];
    }
    return this.pass(frame) ? [frame] : [];
  }

  /**
   * The answer came: the held frames in seq order, without those already handed over.
   * `lost` says the server could not fill the gap since our position, which then means nothing.
   */
  release(ack: StreamAck = {}, lost = false): Notification[] {
    const held = (this.held ?? []).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    this.held = undefined;
    if (lost || (ack.epoch !== undefined && ack.epoch !== this.position?.epoch)) this.forget();
    const above = this.position && this.position.epoch === ack.epoch ? this.position.seq : -1;
    const out = held.filter((frame) => this.pass(frame));
    this.unsure = undefined;
    if (ack.epoch !== undefined && ack.seq !== undefined) {
      if (!ack.recovered && ack.seq > above) this.unsure = { epoch: ack.epoch, above, upTo: ack.seq };
      // A resume or resubscribe starts after the answer's position.
      this.advance({ epoch: ack.epoch, seq: ack.seq });
    }
    return out;
  }

  /** Counts a notification as handed over without handing it (the app's own published message). */
  skip(at: Position): void {
    this.pass({ ...at, id: '', data: null, time: '' });
  }

  forget(): void {
    this.position = undefined;
    this.ahead.clear();
  }

  private pass(frame: Notification): boolean {
    const { epoch, seq } = frame;
    if (epoch === undefined || seq === undefined) return true;
    const at = this.position;
    if (!at || at.epoch !== epoch) {
      this.forget();
      this.position = { epoch, seq };
      return true;
    }
    if (this.ahead.has(seq)) return false;
    if (seq <= at.seq) {
      const u = this.unsure;
      return u !== undefined && u.epoch === epoch && seq > u.above && seq <= u.upTo;
    }
    this.ahead.add(seq);
    if (seq === at.seq + 1 || this.ahead.size > MAX_AHEAD) this.advance({ epoch, seq: Math.min(...this.ahead) });
    return true;
  }

  /** Moves the position forward to `to`, then over every seq handed over right after it. */
  private advance(to: Position): void {
    let seq = this.position && this.position.epoch === to.epoch ? Math.max(this.position.seq, to.seq) : to.seq;
    for (const s of this.ahead) if (s <= seq) this.ahead.delete(s);
    while (this.ahead.delete(seq + 1)) seq++;
    this.position = { epoch: to.epoch, seq };
  }
}
