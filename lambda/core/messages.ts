/**
 * What the server answers to each client frame (DESIGN §2.2): parse, check, act, build the
 * answer. The message handler is a thin adapter over this.
 */
import { Stores } from '../stores/remove-connection';
import {
  errorFrame,
  parseClientFrame,
  pongFrame,
  ServerFrame,
  subscribedFrame,
  unsubscribedFrame,
} from './protocol';
import { subscribeWithinCap, unsubscribeAndRelease } from './subscriptions';
import { checkTopic, topicOwner, TopicRules, userTopicSegment } from './topics';

export interface MessageContext {
  readonly stores: Stores;
  readonly rules: TopicRules;
  readonly maxSubscriptions: number;
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

  if (request.action === 'unsubscribe') {
    // No rule check: rules may have changed since the subscribe, and leaving must always work.
    await unsubscribeAndRelease(ctx.stores, caller.connectionId, topic);
    return unsubscribedFrame(topic, requestId);
  }

  if (!ctx.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', forbiddenMessage(topic, caller.userId), requestId);
  }
  const outcome = await subscribeWithinCap(ctx.stores, caller.connectionId, topic, ctx.maxSubscriptions);
  switch (outcome) {
    case 'subscribed':
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

function forbiddenMessage(topic: string, userId: string | undefined): string {
  if (topicOwner(topic) !== undefined) {
    return userId === undefined
      ? 'Topics under "users/" are private to their user, and this connection is not signed in.'
      : `Topics under "users/" are private to their user; this connection may only use "users/${userTopicSegment(userId)}/…".`;
  }
  return 'This connection is not allowed to subscribe to that topic.';
}
