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
    const { notification } = encoded;
    if (notification.seq !== undefined) return encoded;
    const stream = streamOf(notification.target, this.policy);
    if (stream === undefined) return encoded;
    let positioned: EncodedNotification | undefined;
    const frameAt = ({ seq, epoch }: { seq: number; epoch: string }) => {
      positioned = encodeNotification({ ...notification, seq, epoch });
      return Buffer.from(positioned.frame).toString('utf8');
    };
    await this.store.positionAndKeep(stream, notification.id, frameAt, this.clock.now(), mayBeRedelivery);
    return positioned!;
  }
}
