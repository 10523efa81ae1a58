/**
 * Presence: who is subscribed to a topic that tracks it. Each present user has one counter of
 * their connections on the topic (lambda/stores/counter-store.ts): the subscribe that takes it
 * from 0 to 1 announces `join`, the removal that takes it back to 0 announces `leave`, so a user
 * with several connections joins once and leaves once, however the connections race.
 *
 * Announcements are posted once to the topic's subscribers (with the fan-out's own retries) and
 * are not re-queued: they are hints for a live member list; the `presence` request is the truth
 * a client reloads after a reconnect.
 *
 * Racing tabs of one user (one leaving as another joins) make a join and a leave whose posts may
 * arrive in either order. So after posting, the announcer reads the count again and, while it
 * says otherwise, announces what it says. The last announcement to arrive is then always one
 * whose announcer read the count after every change before it: a list kept by applying the
 * events in arrival order ends up as the count says.
 */
import { CounterStore, PresenceCount, SubscriptionEndings } from '../stores';
import { encodeFrame, presenceEventFrame } from '../protocol/frames';
import { TopicRules } from '../protocol/topics';

/** Posts a frame to a topic's subscribers, but not to `exceptConnectionId`. */
export type TopicAnnouncer = (topic: string, frame: Uint8Array, exceptConnectionId?: string) => Promise<void>;

/** Corrections one announcer posts at most: a user's tabs flapping without end must not hold it. */
const MAX_CORRECTIONS = 4;

export class Presence implements SubscriptionEndings {
  constructor(
    /** The presence rules: topics (and, with {userId}, users) whose presence is tracked. */
    private readonly rules: TopicRules,
    private readonly counters: CounterStore,
    private readonly announce: TopicAnnouncer,
  ) {}

  /** Whether `userId`'s subscriptions to `topic` are counted. Connections without a user are never present. */
  concerns(topic: string, userId: string | undefined): userId is string {
    return userId !== undefined && this.rules.allows(topic, userId);
  }

  /** Whether some user's subscriptions to `topic` may be counted. */
  mayConcern(topic: string): boolean {
    return this.rules.mayAllowSomeone(topic);
  }

  /** Whether the topic has presence at all, for the caller asking. */
  enabledFor(topic: string, userId: string | undefined): boolean {
    return this.rules.allows(topic, userId);
  }

  /**
   * After a new subscription: counts it, and announces the user's first one to the others. When
   * it throws, the subscription is not counted: the caller can undo it, and a retry joins afresh.
   */
  async subscribed(topic: string, userId: string, connectionId: string, expiresAt: number): Promise<void> {
    const connections = await this.counters.addPresence(topic, userId, expiresAt);
    if (connections !== 1) return;
    try {
      await this.announce(topic, joinOrLeave(topic, 'join', userId), connectionId);
    } catch (error) {
      await this.counters.removePresence(topic, userId).catch(() => undefined);
      throw error;
    }
    await this.correct(topic, userId, true, connectionId);
  }

  /** After a subscription ended (unsubscribe, disconnect, gone): announces the user's last one. */
  async ended(topic: string, userId: string): Promise<void> {
    if (await this.countOut(topic, userId)) await this.announceLeave(topic, userId);
  }

  /**
   * The count half of `ended`, for a caller that must know whether the count changed before a
   * later step failed. Resolves true when it was the user's last subscription to the topic.
   */
  async countOut(topic: string, userId: string): Promise<boolean> {
    return await this.counters.removePresence(topic, userId) === 0;
  }

  /** The announcement half of `ended`. */
  async announceLeave(topic: string, userId: string): Promise<void> {
    await this.announce(topic, joinOrLeave(topic, 'leave', userId));
    await this.correct(topic, userId, false);
  }

  /**
   * Reads the user's count after an announcement and, while it contradicts what was last
   * announced, announces the state it shows. Best effort: the first announcement is made, and a
   * failing read or post here leaves the list to the next change or the `presence` request.
   */
  private async correct(topic: string, userId: string, announcedPresent: boolean, exceptConnectionId?: string): Promise<void> {
    let announced = announcedPresent;
    try {
      for (let round = 0; round < MAX_CORRECTIONS; round++) {
        const present = await this.counters.presenceOf(topic, userId) > 0;
        if (present === announced) return;
        announced = present;
        await this.announce(topic, joinOrLeave(topic, present ? 'join' : 'leave', userId), exceptConnectionId);
      }
    } catch {
      // Hints only (see the module comment).
    }
  }

  /**
   * The same endings, counted but not announced: for connections found gone while an
   * announcement is posted, so one announcement never sets off a chain of others.
   */
  get quiet(): SubscriptionEndings {
    return {
      concerns: (topic, userId) => this.concerns(topic, userId),
      mayConcern: (topic) => this.mayConcern(topic),
      ended: async (topic, userId) => { await this.counters.removePresence(topic, userId); },
    };
  }

  members(topic: string, limit: number): Promise<{ members: PresenceCount[]; count: number }> {
    return this.counters.presence(topic, limit);
  }
}

function joinOrLeave(topic: string, event: 'join' | 'leave', userId: string): Uint8Array {
  return Buffer.from(encodeFrame(presenceEventFrame(topic, event, userId)), 'utf8');
}
