/** `history`: a page of a stream's kept notifications, before a position. */
import type { Caller } from '../protocol/websocket-event';
import { DEFAULT_HISTORY_LIMIT } from '../../lib/private/protocol/client-frames';
import { LIMITS } from '../../lib/private/runtime-contract';
import { errorFrame, HistoryRequest, historyFrame, NotificationFrame, ServerFrame } from '../protocol/frames';
import { streamOf } from '../history/streams';
import { MessageContext, refusedRead } from './context';
import { presentedBytes } from '../payloads/payloads';

/** Room kept in a `history` answer for its envelope: the notifications listed must fit in one frame. */
const HISTORY_ENVELOPE_BYTES = 1024;

export async function history(request: HistoryRequest, caller: Caller, ctx: MessageContext): Promise<ServerFrame> {
  const { topic, requestId } = request;
  const refused = await refusedRead(topic, caller, ctx, 'read the history of', requestId);
  if (refused) return refused;
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
    const size = presentedBytes(kept.frame) + 1;
    if (bytes + size > LIMITS.maxFrameBytes) {
      hasMore = true;
      break;
    }
    bytes += size;
    listed.push(JSON.parse(kept.frame) as NotificationFrame);
  }
  const present = h.present;
  const notifications = present ? await Promise.all(listed.map((frame) => present(frame))) : listed;
  return historyFrame(topic, epoch, notifications.reverse(), hasMore, requestId);
}
