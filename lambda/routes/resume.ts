/** `resume`: the user's own stream from a position, and the catch-up `subscribe` shares. */
import type { Caller } from '../protocol/websocket-event';
import { Position } from '../history/history-store';
import { errorFrame, ReplayAnswer, resumedFrame, StreamPosition, ServerFrame } from '../protocol/frames';
import { replaySince } from '../history/replay';
import { streamOf } from '../history/streams';
import { MessageContext } from './context';

export async function resume(since: StreamPosition | undefined, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
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
export async function catchUp(
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
