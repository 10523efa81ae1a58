/**
 * Which notifications are kept, and keeping them: a notification of a stream with history is
 * given its position and its frame is kept before it is posted anywhere, so nothing a client
 * received is missing from the history it may later replay.
 */
import { Clock } from '../runtime/clock';
import { EncodedNotification, encodeNotification } from '../protocol/notification';
import { HistoryPolicy, streamOf } from './streams';
import { HistoryStore } from './history-store';

export class NotificationHistory {
  constructor(readonly store: HistoryStore, readonly policy: HistoryPolicy, private readonly clock: Clock) {}

  /**
   * Gives the notification its position and keeps its frame, when its stream keeps history, and
   * returns it encoded with the position. A notification that has one (a shard, a retry) is
   * returned as it is. `mayBeRedelivery: false` (a fresh client message, a first receive) skips
   * looking for the position an earlier delivery gave it.
   */
  async keep(encoded: EncodedNotification, mayBeRedelivery = true): Promise<EncodedNotification> {
    const { encoded: positioned, kept } = await this.position(encoded, mayBeRedelivery);
    return (await kept) ?? positioned;
  }

  /**
   * As `keep`, but resolves once the position is known (the head's increment, on a first receive),
   * with `kept`, which settles once the frame is kept, with the notification as kept (its position
   * may differ when a concurrent delivery of the same id claimed first). Posting meanwhile costs the
   * notification no extra round trip; `kept` must be awaited before the notification is reported done.
   */
  async position(encoded: EncodedNotification, mayBeRedelivery = true): Promise<{
    encoded: EncodedNotification; kept: Promise<EncodedNotification | undefined>; head?: Record<string, unknown>;
  }> {
    const { notification } = encoded;
    const as = (frame: EncodedNotification) => ({ encoded: frame, kept: Promise.resolve(frame) });
    if (notification.seq !== undefined) return as(encoded);
    const stream = streamOf(notification.target, this.policy);
    if (stream === undefined) return as(encoded);
    const encodeAt = ({ seq, epoch }: { seq: number; epoch: string }) => encodeNotification({ ...notification, seq, epoch });
    const frameAt = (position: { seq: number; epoch: string }) => Buffer.from(encodeAt(position).frame).toString('utf8');
    const { position, kept, head } = await this.store.position(stream, notification.id, frameAt, this.clock.now(), mayBeRedelivery);
    const settled = kept.then((done) => encodeAt(done.position));
    settled.catch(() => undefined);
    return { encoded: encodeAt(position), kept: settled, head };
  }
}
