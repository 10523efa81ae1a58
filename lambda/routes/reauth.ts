/**
 * `reauth`: a fresh token for an open connection. Verified as on $connect; it must name the
 * connection's own user (another user's token closes the connection: a client holding it is not
 * to be trusted with this one) and expire no earlier than the current one (the same token again
 * completes a renewal that was cut off). The connection's row takes
 * the new expiry first (a conditional write that fails once the expiry close has deleted it), then
 * its subscriptions, which delivery filters on, then a new timer is set. Each step may run again:
 * a client that got no answer sends the same token, and the steps after a failure are completed.
 */
import type { Caller } from '../protocol/websocket-event';
import type { OutgoingMessage } from '../fanout/queue-writer';
import type { TokenVerifier } from '../auth/token-verifier';
import { closingFrame, errorFrame, reauthedFrame, ServerFrame } from '../protocol/frames';
import { timerMessage, tokenExpiryTimer } from '../connections/token-expiry';
import { removeConnection } from '../stores';
import { MessageContext, unregistered } from './context';

/** What `reauth` needs; absent when the server does not verify tokens itself or ignores their expiry. */
export interface Reauthentication {
  readonly verifier: TokenVerifier;
  readonly graceSeconds: number;
  /** Puts a timer on the delivery queue. */
  readonly schedule: (message: OutgoingMessage) => Promise<void>;
  readonly now?: () => number;
}

export async function reauth(token: string, caller: Caller, ctx: MessageContext, requestId: string | undefined): Promise<ServerFrame> {
  const auth = ctx.reauth;
  if (auth === undefined || caller.userId === undefined) {
    return errorFrame('UNAUTHORIZED', 'This server does not take fresh tokens on an open connection: reconnect with a fresh token instead.', requestId);
  }
  let verified;
  try {
    verified = await auth.verifier.verify(token);
  } catch (error) {
    return errorFrame('UNAUTHORIZED', `The token was refused: ${(error as Error).message} Send a valid token of this user.`, requestId);
  }
  if (verified.userId !== caller.userId) {
    // A row removed first: nothing more is delivered to it, whatever the close does.
    await removeConnection(ctx.stores, caller.connectionId, ctx.presence, caller.userId);
    const frame = closingFrame('UNAUTHORIZED', 'The reauth token names another user; the connection is closed.');
    await ctx.closeUnregistered(caller.connectionId, frame);
    return errorFrame('UNAUTHORIZED', 'The token names another user than this connection\'s: the connection is closed.', requestId);
  }
  const renewed = await ctx.stores.connections.renewToken(caller.connectionId, verified.expiresAt);
  if (renewed.outcome === 'no-connection') return unregistered(caller, ctx, requestId);
  if (renewed.outcome === 'not-later') {
    return errorFrame('UNAUTHORIZED', 'The token expires earlier than the one this connection has: fetch a fresh token and send it.', requestId);
  }
  await ctx.stores.subscriptions.renewToken(caller.connectionId, verified.expiresAt);
  const nowSeconds = Math.floor((auth.now ?? Date.now)() / 1000);
  await auth.schedule(timerMessage(tokenExpiryTimer(caller.connectionId, verified.expiresAt, nowSeconds, auth.graceSeconds), nowSeconds));
  return reauthedFrame(verified.expiresAt, requestId);
}
