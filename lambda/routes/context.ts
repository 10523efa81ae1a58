/** What the routes share: their dependencies, and the answers more than one of them gives. */
import type { Caller } from '../protocol/websocket-event';
import type { Inbox } from '../inbox/answers';
import type { Reauthentication } from './reauth';
import { CounterStore, Stores } from '../stores';
import { KeptNotification } from '../history/history-store';
import { EncodedNotification, Notification } from '../protocol/notification';
import { Presence } from '../presence/presence';
import { errorFrame, ServerFrame } from '../protocol/frames';
import { ReplaySource } from '../history/replay';
import { HistoryPolicy } from '../history/streams';
import type { PushRegistration } from './push';
import { topicOwner, TopicRules, userTopicSegment } from '../protocol/topics';

export interface MessageContext {
  readonly stores: Stores;
  /** Read state on each user's own stream; absent when user streams are not kept. */
  readonly inbox?: Inbox;
  readonly history: StreamHistory;
  /** Who may subscribe to what (and ask who is present). */
  readonly rules: TopicRules;
  readonly maxSubscriptions: number;
  readonly clientMessages: ClientMessaging;
  readonly presence: Presence;
  readonly maxPresenceMembers: number;
  /** Each user's push devices; absent when push is not configured (no `push.vapidKeys`). */
  readonly push?: PushRegistration;
  /**
   * Sends `frame` to a connection whose row is gone, then closes it: with no row nothing is
   * delivered to it, and a closed client reconnects (and resumes) where an open one stays deaf.
   */
  readonly closeUnregistered: (connectionId: string, frame: ServerFrame) => Promise<void>;
  /** Fresh tokens on open connections (`reauth`); absent when tokens are not verified here or their expiry is ignored. */
  readonly reauth?: Reauthentication;
}

/** Client publishing: its rules, limits, and where an accepted message goes. */
export interface ClientMessaging {
  /** Topics clients may publish to. */
  readonly rules: TopicRules;
  readonly counters: CounterStore;
  readonly maxPerSecond: number;
  readonly maxDataBytes: number;
  /** Puts the accepted message on the event bus, for backends. */
  readonly announce: (notification: Notification, senderConnectionId: string) => Promise<void>;
  /**
   * Delivers it to the topic's subscribers but `exceptConnectionId`; resolves, with the
   * notification as delivered (positioned when the topic keeps history), once each is accounted for.
   */
  readonly deliver: (encoded: EncodedNotification, exceptConnectionId: string | undefined) => Promise<EncodedNotification>;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/** Reading streams with history: replays on subscribe and resume, pages for `history`. */
export interface StreamHistory {
  readonly policy: HistoryPolicy;
  readonly source: ReplaySource & { before(stream: string, beforeSeq: number, limit: number, maxBytes?: number): Promise<KeptNotification[]> };
  /** Notifications one request replays or lists at most. */
  readonly maxReplay: number;
  /** Posts replayed frames to the connection, in order; false when one did not arrive. */
  readonly replayTo: (connectionId: string, frames: readonly string[]) => Promise<boolean>;
  /** A kept frame as answered: a payload reference as a fresh presigned URL (lambda/payloads/). */
  readonly present?: <F extends object>(frame: F) => Promise<F>;
  readonly now?: () => number;
}

/**
 * Answers a connection whose row is gone, and closes it (see closeUnregistered): the answer to
 * its ping or subscribe.
 */
export async function unregistered(caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  const frame = errorFrame('INTERNAL',
    'This connection is no longer registered, so nothing would reach it: the server closes it. Reconnect (and resume) to be registered again.',
    requestId);
  await ctx.closeUnregistered(caller.connectionId, frame);
  return frame;
}

/**
 * Whether the caller may read `topic` (subscribe, its history, its presence), as an error frame
 * when not: a backend's decision about this user and topic (ConnectionControl) comes before the
 * topic rules, so a topic taken from a user is closed to every read, and a granted one open.
 */
export async function refusedRead(topic: string, caller: Caller, ctx: MessageContext, verb: string, requestId: string | undefined): Promise<ServerFrame | undefined> {
  const access = caller.userId !== undefined ? await ctx.stores.userConnections.topicAccess(caller.userId, topic) : undefined;
  if (access === 'revoked') return errorFrame('FORBIDDEN', 'Access to this topic was removed for this user by the server.', requestId);
  if (access !== 'granted' && !ctx.rules.allows(topic, caller.userId)) return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId, verb), requestId);
  return undefined;
}

/** Why a topic is refused, in words that say what the connection may do instead. */
export function forbiddenMessage(topic: string, userId: string | undefined, verb: string): string {
  if (topicOwner(topic) !== undefined) {
    return userId === undefined
      ? 'Topics under "users/" are private to their user, and this connection is not signed in.'
      : `Topics under "users/" are private to their user; this connection may only use "users/${userTopicSegment(userId)}/…".`;
  }
  return `This connection is not allowed to ${verb} that topic.`;
}
