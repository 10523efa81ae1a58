/** `subscribe` (with `since`, a replay of what was missed) and `unsubscribe`. */
import type { Caller } from '../protocol/websocket-event';
import { errorFrame, StreamPosition, ServerFrame, subscribedFrame } from '../protocol/frames';
import { aheadOfStream } from '../history/replay';
import { streamOf } from '../history/streams';
import { subscribeWithinCap, unsubscribeAndRelease } from './subscriptions';
import { MessageContext, refusedRead, unregistered } from './context';
import { catchUp } from './resume';
import type { Stores } from '../stores';
import type { Presence } from '../presence/presence';

export async function subscribe(topic: string, since: StreamPosition | undefined, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  // Read before anything is written, so a revoked user is never in the audience even for a moment.
  const refusedBefore = await refusedRead(topic, caller, ctx, 'subscribe to', requestId);
  if (refusedBefore) return refusedBefore;
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
    // And again after the subscription is written: a backend taking the topic from the user
    // writes its decision, then removes the user's subscriptions, so a subscribe racing it is
    // either refused here or removed there; never left behind.
    const refused = await refusedRead(topic, caller, ctx, 'subscribe to', requestId);
    if (refused) {
      if (subscription.outcome === 'subscribed') await unsubscribeAndRelease(ctx.stores, caller.connectionId, topic);
      return refused;
    }
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

/**
 * A backend's subscribe of one connection: no topic rule (the backend decided), within the
 * connection's cap, presence join included. False when the connection is gone or at its cap.
 */
export async function subscribeForBackend(topic: string, connectionId: string, userId: string, stores: Stores, presence: Presence, maxSubscriptions: number): Promise<boolean> {
  const subscription = await subscribeWithinCap(stores, connectionId, topic, maxSubscriptions, userId);
  if (subscription.outcome === 'subscribed' && presence.concerns(topic, userId)) {
    await presence.subscribed(topic, userId, connectionId, subscription.expiresAt);
  }
  return subscription.outcome === 'subscribed' || subscription.outcome === 'already-subscribed';
}

/** Ends the caller's subscription to `topic`, and its presence there, if it has one. */
export async function unsubscribe(topic: string, caller: Caller, ctx: Pick<MessageContext, 'stores' | 'presence'>): Promise<void> {
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
