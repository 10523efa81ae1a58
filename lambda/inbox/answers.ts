/** The message function's answers to `markRead` and `inbox`: checks, the rate, then the inbox. */
import { DEFAULT_HISTORY_LIMIT } from '../../lib/private/protocol/client-frames';
import type { ClientMessaging, Caller } from '../routes/messages';
import { errorFrame, InboxRequest, MarkReadRequest, rateLimitedFrame, ServerFrame } from '../protocol/frames';
import { Inbox, unreadFrame } from './inbox';

export { Inbox };

function refused(caller: Caller, inbox: Inbox | undefined, what: string, requestId: string | undefined): ServerFrame | undefined {
  if (caller.userId === undefined) {
    return errorFrame('FORBIDDEN', `${what} needs a signed-in connection: only a user has an inbox.`, requestId);
  }
  if (inbox === undefined) {
    return errorFrame('FORBIDDEN', 'User streams are not kept here (history.userStreams is false), so there is no inbox.', requestId);
  }
  return undefined;
}

export async function answerMarkRead(
  request: MarkReadRequest, caller: Caller, inbox: Inbox | undefined, m: Pick<ClientMessaging, 'counters' | 'maxPerSecond' | 'now'>,
): Promise<ServerFrame> {
  const { requestId } = request;
  const no = refused(caller, inbox, 'Marking read', requestId);
  if (no) return no;
  if ((request.ids === undefined) === (request.upTo === undefined)) {
    return errorFrame('BAD_REQUEST', '"markRead" needs exactly one of "ids" (a list of notification ids) or "upTo" (a position such as {"epoch":"p0x1","seq":9}).', requestId);
  }
  const now = (m.now ?? Date.now)();
  // Mark-reads count against the user's client-message rate.
  const rate = await m.counters.takeMessageToken(caller.userId!, m.maxPerSecond, now);
  if (!rate.allowed) {
    return rateLimitedFrame(`Too many messages: at most ${m.maxPerSecond} per second for each user, mark-reads included. Try again in ${rate.retryAfterMs} ms.`,
      rate.retryAfterMs, requestId);
  }
  const result = await inbox!.markRead(caller.userId!, { ids: request.ids, upTo: request.upTo }, { connectionId: caller.connectionId });
  if (!result.ok) return errorFrame(result.code, result.message, requestId);
  return unreadFrame(result.unread, requestId);
}

export async function answerInbox(request: InboxRequest, caller: Caller, inbox: Inbox | undefined, maxReplay: number): Promise<ServerFrame> {
  const { requestId } = request;
  const no = refused(caller, inbox, 'Reading the inbox', requestId);
  if (no) return no;
  const limit = request.limit ?? Math.min(DEFAULT_HISTORY_LIMIT, maxReplay);
  if (limit > maxReplay) {
    return errorFrame('BAD_REQUEST', `"limit" may be at most ${maxReplay}. Ask for fewer, and page back with "before".`, requestId);
  }
  const page = await inbox!.page(caller.userId!, request.before, limit);
  return { type: 'inbox', ...page, ...(requestId !== undefined ? { requestId } : {}) };
}
