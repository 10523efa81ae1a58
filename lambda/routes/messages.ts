/**
 * What the server answers to each client frame (docs/protocol.md): parse, check, act, build the
 * answer. The message handler is a thin adapter over this.
 */
import type { Caller } from '../protocol/websocket-event';
import { errorFrame, parseClientFrame, pongFrame, ServerFrame, unsubscribedFrame } from '../protocol/frames';
import { checkTopic } from '../protocol/topics';
import { MessageContext, unregistered } from './context';
import { subscribe, unsubscribe } from './subscribe';
import { resume } from './resume';
import { history } from './history';
import { presence } from './presence';
import { publish } from './publish';
import { reauth } from './reauth';
import { answerInbox, answerMarkRead } from '../inbox/answers';
import { answerPush } from './push';

export type { Caller } from '../protocol/websocket-event';
export type { ClientMessaging, MessageContext, StreamHistory } from './context';

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
  if (request.action === 'reauth') return reauth(request.token, caller, ctx, requestId);
  // Past its token's expiry (and not renewed since), a connection is answered nothing but that:
  // between the expiry and the close it must not read what the user may no longer see.
  if (await tokenExpired(caller, ctx)) {
    return errorFrame('UNAUTHORIZED', 'The connection\'s token has expired: send "reauth" with a fresh token, or reconnect.', requestId);
  }
  if (request.action === 'resume') return resume(request.since, caller, ctx, requestId);
  if (request.action === 'markRead') return answerMarkRead(request, caller, ctx.inbox, ctx.clientMessages);
  if (request.action === 'inbox') return answerInbox(request, caller, ctx.inbox, ctx.history.maxReplay);
  if (request.action === 'registerPush' || request.action === 'unregisterPush' || request.action === 'pushDevices') {
    return answerPush(request, caller, ctx.push);
  }

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

/** Whether the caller's token expired and no `reauth` moved it: the $connect token's expiry, then the row's. */
async function tokenExpired(caller: Caller, ctx: MessageContext): Promise<boolean> {
  const now = Math.floor((ctx.history.now ?? Date.now)() / 1000);
  if (ctx.reauth === undefined || caller.tokenExpiresAt === undefined || caller.tokenExpiresAt > now) return false;
  const row = await ctx.stores.connections.getConnection(caller.connectionId);
  return row?.tokenExpiresAt !== undefined && row.tokenExpiresAt <= now;
}
