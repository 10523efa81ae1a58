/**
 * What the server answers to each client frame (docs/protocol.md): parse, check, act, build the
 * answer. The message handler is a thin adapter over this.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_HISTORY_LIMIT } from '../../lib/private/protocol/client-frames';
import { LIMITS } from '../../lib/private/runtime-contract';
import { CounterStore, KeptNotification, Position, Stores } from '../stores';
import { EncodedNotification, encodeNotification, Notification } from './notification';
import { Presence } from './presence';
import { MAX_DATA_DEPTH, nestsDeeperThan } from './publish-contract';
import {
  errorFrame,
  HistoryRequest,
  historyFrame,
  NotificationFrame,
  ReplayAnswer,
  resumedFrame,
  StreamPosition,
  parseClientFrame,
  pongFrame,
  presenceFrame,
  PublishRequest,
  publishedFrame,
  rateLimitedFrame,
  ServerFrame,
  subscribedFrame,
  unsubscribedFrame,
} from './protocol';
import { answerInbox, answerMarkRead, Inbox } from '../inbox/answers';
import { aheadOfStream, replaySince, ReplaySource } from './replay';
import { HistoryPolicy, streamOf } from './streams';
import { subscribeWithinCap, unsubscribeAndRelease } from './subscriptions';
import { checkTopic, topicOwner, TopicRules, userTopicSegment } from './topics';

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
  /**
   * Sends `frame` to a connection whose row is gone, then closes it: with no row nothing is
   * delivered to it, and a closed client reconnects (and resumes) where an open one stays deaf.
   */
  readonly closeUnregistered: (connectionId: string, frame: ServerFrame) => Promise<void>;
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
  readonly now?: () => number;
}

/** Room kept in a `history` answer for its envelope: the notifications listed must fit in one frame. */
const HISTORY_ENVELOPE_BYTES = 1024;

export interface Caller {
  readonly connectionId: string;
  /** From the authorizer; absent when the API has no authentication. */
  readonly userId?: string;
}

/** Answers one frame. Bad input gets an error frame and writes nothing; store failures throw. */
export async function answerClientFrame(body: string | undefined, caller: Caller, ctx: MessageContext): Promise<ServerFrame> {
  const parsed = parseClientFrame(body);
  if (!parsed.ok) return errorFrame(parsed.code, parsed.message, parsed.requestId);
  const request = parsed.request;
  const requestId = request.requestId;

  if (request.action === 'ping') {
    // The keep-alive is also when a connection that lost its row finds out, at the latest.
    const row = await ctx.stores.connections.getConnection(caller.connectionId);
    if (row === undefined) return unregistered(caller, ctx, requestId);
    if (row.openBy !== undefined) await ctx.stores.connections.markOpen(caller.connectionId);
    return pongFrame(requestId);
  }
  if (request.action === 'resume') return resume(request.since, caller, ctx, requestId);
  if (request.action === 'markRead') return answerMarkRead(request, caller, ctx.inbox, ctx.clientMessages);
  if (request.action === 'inbox') return answerInbox(request, caller, ctx.inbox, ctx.history.maxReplay);

  const topic = request.topic;
  const syntax = checkTopic(topic);
  if (!syntax.ok) return errorFrame('BAD_REQUEST', syntax.reason, requestId);

  switch (request.action) {
    case 'unsubscribe':
      // No rule check: rules may have changed since the subscribe, and leaving must always work.
      await unsubscribe(topic, caller, ctx);
      return unsubscribedFrame(topic, requestId);
    case 'subscribe':
      return subscribe(topic, request.since, caller, ctx, requestId);
    case 'history':
      return history(request, caller, ctx);
    case 'presence':
      return presence(topic, caller, ctx, requestId);
    case 'publish':
      return publish(request, caller, ctx.clientMessages, ctx.rules);
  }
}

async function unregistered(caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  const frame = errorFrame('INTERNAL',
    'This connection is no longer registered, so nothing would reach it: the server closes it. Reconnect (and resume) to be registered again.',
    requestId);
  await ctx.closeUnregistered(caller.connectionId, frame);
  return frame;
}

async function subscribe(topic: string, since: StreamPosition | undefined, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  if (!ctx.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId, 'subscribe to'), requestId);
  }
  const stream = streamOf({ topic }, ctx.history.policy);
  const subscription = await subscribeWithinCap(ctx.stores, caller.connectionId, topic, ctx.maxSubscriptions, caller.userId);
  if (subscription.outcome === 'limit-reached') {
    return errorFrame('LIMIT_EXCEEDED',
      `This connection already has the maximum of ${ctx.maxSubscriptions} subscriptions. Unsubscribe from a topic first.`,
      requestId);
  }
  if (subscription.outcome === 'no-connection') return unregistered(caller, ctx, requestId);
  let counted = false;
  try {
    // The head is read after the subscription is written: whatever is positioned later reaches the
    // new subscription live (its audience read is consistent); whatever came before is replayed.
    const head = since !== undefined && stream !== undefined ? await ctx.history.source.head(stream, (ctx.history.now ?? Date.now)()) : undefined;
    const ahead = head !== undefined ? aheadOfStream(since, head) : undefined;
    if (ahead !== undefined) {
      // Not a position of this stream: refused, and the subscription just made is undone.
      if (subscription.outcome === 'subscribed') await unsubscribeAndRelease(ctx.stores, caller.connectionId, topic);
      return errorFrame('BAD_REQUEST', ahead, requestId);
    }
    if (subscription.outcome === 'subscribed' && ctx.presence.concerns(topic, caller.userId)) {
      await ctx.presence.subscribed(topic, caller.userId, caller.connectionId, subscription.expiresAt);
      counted = true;
    }
    return await catchUp(stream, since, caller, ctx, (replay) => subscribedFrame(topic, requestId, replay), requestId, head);
  } catch (error) {
    // A subscription this request made is undone, its presence with it, so that a retry starts
    // clean (one left behind would be found `already-subscribed`, and never counted present).
    if (subscription.outcome === 'subscribed') {
      await (counted ? unsubscribe(topic, caller, ctx) : unsubscribeAndRelease(ctx.stores, caller.connectionId, topic)).catch(() => undefined);
    }
    throw error;
  }
}

/** Ends the caller's subscription to `topic`, and its presence there, if it has one. */
async function unsubscribe(topic: string, caller: Caller, ctx: MessageContext): Promise<void> {
  const { connectionId, userId } = caller;
  if (!ctx.presence.concerns(topic, userId)) {
    await unsubscribeAndRelease(ctx.stores, connectionId, topic);
    return;
  }
  let last = false;
  // Counted out while the removal can still be undone: a failure leaves the row for a retry.
  await unsubscribeAndRelease(ctx.stores, connectionId, topic, { userId, run: async () => { last = await ctx.presence.countOut(topic, userId); } });
  if (last) await ctx.presence.announceLeave(topic, userId);
}

/** The user's own stream: what was sent to them while they were away (the offline inbox). */
async function resume(since: StreamPosition | undefined, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  if (caller.userId === undefined) {
    return errorFrame('FORBIDDEN', 'Resuming needs a signed-in connection: only a user has a stream of their own.', requestId);
  }
  const stream = streamOf({ userId: caller.userId }, ctx.history.policy);
  const userId = caller.userId;
  const answer = await catchUp(stream, since, caller, ctx, (replay) => resumedFrame(replay, requestId), requestId);
  // The inbox's count, as of now (a notification positioned since the answer's seq is counted, and followed by its own count).
  if (answer.type !== 'resumed' || ctx.inbox === undefined || answer.epoch === undefined) return answer;
  const unread = await ctx.inbox.unread(userId);
  return resumedFrame(answer, requestId, unread);
}

/**
 * After subscribing (or for resume): replays what the client missed since its position, then
 * answers with where the stream is. The subscription is written first, so a notification is
 * either in the replay or posted live (or both, with the same id and seq): never in neither.
 */
async function catchUp(
  stream: string | undefined,
  since: StreamPosition | undefined,
  caller: Caller,
  ctx: MessageContext,
  answer: (replay: ReplayAnswer) => ServerFrame,
  requestId: string | undefined,
  head?: Position,
): Promise<ServerFrame> {
  if (stream === undefined) return answer(since === undefined ? {} : { recovered: false });
  const h = ctx.history;
  const replay = await replaySince(h.source, stream, since, h.maxReplay, (h.now ?? Date.now)(), undefined, head);
  if (!replay.ok) return errorFrame('BAD_REQUEST', replay.message, requestId);
  const delivered = replay.frames.length === 0 || await h.replayTo(caller.connectionId, replay.frames);
  const { epoch, seq } = replay.position;
  return answer({ ...(since !== undefined ? { recovered: replay.recovered && delivered } : {}), epoch, seq });
}

/** A page of a topic's kept notifications, newest last, as many as fit in one frame. */
async function history(request: HistoryRequest, caller: Caller, ctx: MessageContext): Promise<ServerFrame> {
  const { topic, requestId } = request;
  if (!ctx.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId, 'read the history of'), requestId);
  }
  const stream = streamOf({ topic }, ctx.history.policy);
  if (stream === undefined) {
    return errorFrame('FORBIDDEN', 'This topic keeps no history. Ask the server team to add it to historyRules.', requestId);
  }
  const h = ctx.history;
  const limit = request.limit ?? Math.min(DEFAULT_HISTORY_LIMIT, h.maxReplay);
  if (limit > h.maxReplay) {
    return errorFrame('BAD_REQUEST', `"limit" may be at most ${h.maxReplay}. Ask for fewer, and page back with "before".`, requestId);
  }
  const { epoch, seq } = await h.source.head(stream, (h.now ?? Date.now)());
  const before = Math.min(request.before ?? seq + 1, seq + 1);
  // One more than asked for says whether older ones are kept.
  const newestFirst = await h.source.before(stream, before, limit + 1, LIMITS.maxFrameBytes);
  const listed: NotificationFrame[] = [];
  let bytes = HISTORY_ENVELOPE_BYTES + Buffer.byteLength(topic) + Buffer.byteLength(epoch);
  let hasMore = newestFirst.length > limit;
  for (const kept of newestFirst.slice(0, limit)) {
    if (kept.frame === undefined) continue;
    const size = Buffer.byteLength(kept.frame) + 1;
    if (bytes + size > LIMITS.maxFrameBytes) {
      hasMore = true;
      break;
    }
    bytes += size;
    listed.push(JSON.parse(kept.frame) as NotificationFrame);
  }
  return historyFrame(topic, epoch, listed.reverse(), hasMore, requestId);
}

async function presence(topic: string, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  if (!ctx.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId, 'see who is on'), requestId);
  }
  if (!ctx.presence.enabledFor(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', 'This topic does not track presence. Ask the server team to add it to presenceRules.', requestId);
  }
  const { members, count } = await ctx.presence.members(topic, ctx.maxPresenceMembers);
  return presenceFrame(topic, members, count, requestId);
}

/**
 * A client message: checked (topic, rules, size) before anything is written, counted against the
 * sender's rate, put on the bus for backends, then delivered by the same engine as backend
 * notifications. `published` is the answer once every subscriber got it or is queued for a retry.
 * `readRules` are the subscribe rules: they decide whether the answer may carry the position.
 */
async function publish(request: PublishRequest, caller: Caller, m: ClientMessaging, readRules: TopicRules): Promise<ServerFrame> {
  const { topic, requestId } = request;
  if (topicOwner(topic) !== undefined) {
    return errorFrame('FORBIDDEN', 'Topics under "users/" carry notifications from the server only; clients cannot publish to them.', requestId);
  }
  if (caller.userId === undefined) {
    return errorFrame('FORBIDDEN', 'Publishing needs a signed-in connection: connect with a token.', requestId);
  }
  if (!m.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', 'Clients may not publish to this topic. The server team decides where clients may publish (publishRules).', requestId);
  }
  const dataBytes = nestsDeeperThan(request.data, MAX_DATA_DEPTH) ? undefined : jsonBytes(request.data);
  if (dataBytes === undefined) {
    return errorFrame('BAD_REQUEST', `"data" nests objects or arrays more than ${MAX_DATA_DEPTH} levels deep. Send a flatter JSON value.`, requestId);
  }
  if (dataBytes > m.maxDataBytes) {
    return errorFrame('PAYLOAD_TOO_LARGE',
      `"data" is ${dataBytes} bytes of JSON; messages may carry at most ${m.maxDataBytes}. Send less, or a reference (an id or URL) to fetch.`,
      requestId);
  }
  const now = (m.now ?? Date.now)();
  const rate = await m.counters.takeMessageToken(caller.userId, m.maxPerSecond, now);
  if (!rate.allowed) {
    return rateLimitedFrame(`Too many messages: at most ${m.maxPerSecond} per second for each user. Try again in ${rate.retryAfterMs} ms.`,
      rate.retryAfterMs, requestId);
  }
  const notification: Notification = {
    id: (m.newId ?? randomUUID)(),
    target: { topic },
    data: request.data,
    from: caller.userId,
    time: new Date(now).toISOString(),
  };
  const encoded = encodeNotification(notification);
  if (encoded.frameBytes > LIMITS.maxFrameBytes) {
    // Only a long user id or topic on top of the largest data can get here; nothing was posted.
    return errorFrame('PAYLOAD_TOO_LARGE', `The message frame would be ${encoded.frameBytes} bytes, over the ${LIMITS.maxFrameBytes}-byte limit. Send less data.`, requestId);
  }
  await m.announce(notification, caller.connectionId);
  const delivered = await m.deliver(encoded, request.echo ? undefined : caller.connectionId);
  const { seq, epoch } = delivered.notification;
  // A seq counts the stream's messages: a sender who may publish to the topic but not read it
  // (subscribe, history) is not told how many it holds.
  const mayRead = readRules.allows(topic, caller.userId);
  return publishedFrame(topic, notification.id, requestId, seq !== undefined && epoch !== undefined && mayRead ? { seq, epoch } : undefined);
}

/** UTF-8 bytes of a value's JSON; undefined when it is too deep to serialise. */
function jsonBytes(value: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    return undefined;
  }
}

function forbiddenMessage(topic: string, userId: string | undefined, verb: string): string {
  if (topicOwner(topic) !== undefined) {
    return userId === undefined
      ? 'Topics under "users/" are private to their user, and this connection is not signed in.'
      : `Topics under "users/" are private to their user; this connection may only use "users/${userTopicSegment(userId)}/…".`;
  }
  return `This connection is not allowed to ${verb} that topic.`;
}
