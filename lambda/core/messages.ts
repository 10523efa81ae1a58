/**
 * What the server answers to each client frame (docs/protocol.md): parse, check, act, build the
 * answer. The message handler is a thin adapter over this.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../lib/private/runtime-contract';
import { CounterStore, Stores } from '../stores';
import { EncodedNotification, encodeNotification, Notification } from './notification';
import { Presence } from './presence';
import {
  errorFrame,
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
import { subscribeWithinCap, unsubscribeAndRelease } from './subscriptions';
import { checkTopic, topicOwner, TopicRules, userTopicSegment } from './topics';

export interface MessageContext {
  readonly stores: Stores;
  /** Who may subscribe to what (and ask who is present). */
  readonly rules: TopicRules;
  readonly maxSubscriptions: number;
  readonly clientMessages: ClientMessaging;
  readonly presence: Presence;
  readonly maxPresenceMembers: number;
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
  /** Delivers it to the topic's subscribers but `exceptConnectionId`; resolves once each is accounted for. */
  readonly deliver: (encoded: EncodedNotification, exceptConnectionId: string | undefined) => Promise<void>;
  readonly now?: () => number;
  readonly newId?: () => string;
}

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

  if (request.action === 'ping') return pongFrame(requestId);

  const topic = request.topic;
  const syntax = checkTopic(topic);
  if (!syntax.ok) return errorFrame('BAD_REQUEST', syntax.reason, requestId);

  switch (request.action) {
    case 'unsubscribe': {
      // No rule check: rules may have changed since the subscribe, and leaving must always work.
      const existed = await unsubscribeAndRelease(ctx.stores, caller.connectionId, topic);
      if (existed && ctx.presence.concerns(topic, caller.userId)) await ctx.presence.ended(topic, caller.userId);
      return unsubscribedFrame(topic, requestId);
    }
    case 'subscribe':
      return subscribe(topic, caller, ctx, requestId);
    case 'presence':
      return presence(topic, caller, ctx, requestId);
    case 'publish':
      return publish(request, caller, ctx.clientMessages);
  }
}

async function subscribe(topic: string, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  if (!ctx.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId, 'subscribe to'), requestId);
  }
  const subscription = await subscribeWithinCap(ctx.stores, caller.connectionId, topic, ctx.maxSubscriptions, caller.userId);
  switch (subscription.outcome) {
    case 'subscribed':
      if (ctx.presence.concerns(topic, caller.userId)) {
        await ctx.presence.subscribed(topic, caller.userId, caller.connectionId, subscription.expiresAt);
      }
      return subscribedFrame(topic, requestId);
    case 'already-subscribed':
      return subscribedFrame(topic, requestId);
    case 'limit-reached':
      return errorFrame('LIMIT_EXCEEDED',
        `This connection already has the maximum of ${ctx.maxSubscriptions} subscriptions. Unsubscribe from a topic first.`,
        requestId);
    case 'no-connection':
      return errorFrame('INTERNAL', 'This connection is no longer registered. Reconnect, then subscribe again.', requestId);
  }
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
 */
async function publish(request: PublishRequest, caller: Caller, m: ClientMessaging): Promise<ServerFrame> {
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
  const dataBytes = jsonBytes(request.data);
  if (dataBytes === undefined) {
    return errorFrame('BAD_REQUEST', '"data" is nested too deeply to be sent on. Send a flatter JSON value.', requestId);
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
  await m.deliver(encoded, request.echo ? undefined : caller.connectionId);
  return publishedFrame(topic, notification.id, requestId);
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
