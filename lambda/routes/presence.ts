/** `presence`: who is subscribed to a topic that tracks it. */
import type { Caller } from '../protocol/websocket-event';
import { errorFrame, presenceFrame, ServerFrame } from '../protocol/frames';
import { MessageContext, refusedRead } from './context';

export async function presence(topic: string, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  const refused = await refusedRead(topic, caller, ctx, 'see who is on', requestId);
  if (refused) return refused;
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
