/**
 * Connections that end with their token. $connect (and every accepted `reauth`) puts a timer on
 * the delivery queue: an SQS message delayed until the moment to act (re-sent while that is
 * further off than SQS's 15-minute delay). At `askAt` the connection is pushed a `reauth` frame;
 * at `closeAt` (the token's expiry plus the grace) it is told why and closed. A timer whose
 * connection has meanwhile been given a later expiry (a new timer runs for that one) or is gone
 * does nothing. The close deletes the row only if it still holds the expiry the timer was set for:
 * that one conditional write settles a `reauth` racing the close.
 *
 * Delivery never waits for the close: audiences leave out connections whose token has expired
 * (lambda/fanout/audience.ts).
 */
import { isJsonObject } from '../../lib/private/json-object';
import { LIMITS, TOKEN_EXPIRY_TIMER_KIND, TOKEN_EXPIRY_TIMER_PREFIX } from '../../lib/private/runtime-contract';
import type { Poster, PostResult } from '../fanout/fanout';
import type { OutgoingMessage } from '../fanout/queue-writer';
import { closingFrame, encodeFrame, reauthRequestFrame } from '../protocol/frames';
import type { ConnectionRecord } from '../stores/connection-store';
import { removeExpiredConnection, Stores, SubscriptionEndings } from '../stores';

export const TOKEN_EXPIRY_KIND = TOKEN_EXPIRY_TIMER_KIND;
/** How long before the expiry the client is asked for a fresh token, at most (half the token's life when that is shorter). */
export const REAUTH_LEAD_SECONDS = 60;

/** A timer message on the delivery queue (epoch seconds throughout). */
export interface TokenExpiryTimer {
  readonly kind: typeof TOKEN_EXPIRY_KIND;
  readonly connectionId: string;
  /** The expiry this timer was set for. */
  readonly tokenExpiresAt: number;
  readonly askAt: number;
  readonly closeAt: number;
  readonly phase: 'ask' | 'close';
}

/** The timer for a token accepted at `nowSeconds` (on $connect, or by a `reauth`). */
export function tokenExpiryTimer(connectionId: string, tokenExpiresAt: number, nowSeconds: number, graceSeconds: number): TokenExpiryTimer {
  const lead = Math.max(0, Math.min(REAUTH_LEAD_SECONDS, Math.floor((tokenExpiresAt - nowSeconds) / 2)));
  return { kind: TOKEN_EXPIRY_KIND, connectionId, tokenExpiresAt, askAt: tokenExpiresAt - lead, closeAt: tokenExpiresAt + graceSeconds, phase: 'ask' };
}

/** The queue message for the timer, delayed until its moment or SQS's longest delay. */
export function timerMessage(timer: TokenExpiryTimer, nowSeconds: number): OutgoingMessage {
  const due = timer.phase === 'ask' ? timer.askAt : timer.closeAt;
  return { body: JSON.stringify(timer), delaySeconds: Math.min(LIMITS.maxSqsDelaySeconds, Math.max(0, due - nowSeconds)) };
}

/** The timer a queue message body holds, if it is one (anything else is delivery's to handle). */
export function timerIn(body: string): TokenExpiryTimer | undefined {
  // Timers are written as JSON.stringify writes them: most bodies are not parsed here at all.
  if (!body.startsWith(TOKEN_EXPIRY_TIMER_PREFIX)) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isTokenExpiryTimer(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function isTokenExpiryTimer(body: unknown): body is TokenExpiryTimer {
  if (!isJsonObject(body) || body.kind !== TOKEN_EXPIRY_KIND) return false;
  const { connectionId, tokenExpiresAt, askAt, closeAt, phase } = body;
  return typeof connectionId === 'string' && connectionId !== '' && [tokenExpiresAt, askAt, closeAt].every(Number.isSafeInteger)
    && (phase === 'ask' || phase === 'close');
}

export type TimerStep = 'drop' | 'wait' | 'ask' | 'close';

/** What a timer does when it comes off the queue at `nowSeconds`, given the connection's row. */
export function timerStep(timer: TokenExpiryTimer, row: Pick<ConnectionRecord, 'tokenExpiresAt'> | undefined, nowSeconds: number): TimerStep {
  // Closed already, or given a later expiry (whose own timer runs): nothing to do.
  if (row === undefined || row.tokenExpiresAt !== timer.tokenExpiresAt) return 'drop';
  if (nowSeconds < (timer.phase === 'ask' ? timer.askAt : timer.closeAt)) return 'wait';
  return timer.phase;
}

export interface TokenExpiryDeps {
  readonly stores: Stores;
  readonly post: Poster;
  readonly disconnect: (connectionId: string) => Promise<PostResult>;
  /** Puts the next timer on the delivery queue. */
  readonly schedule: (message: OutgoingMessage) => Promise<void>;
  readonly endings?: SubscriptionEndings;
  readonly nowMs: () => number;
}

/** Runs one timer off the queue; throws only when SQS must deliver it again. */
export async function runTokenExpiryTimer(timer: TokenExpiryTimer, deps: TokenExpiryDeps): Promise<TimerStep> {
  const now = Math.floor(deps.nowMs() / 1000);
  const step = timerStep(timer, await deps.stores.connections.getConnection(timer.connectionId), now);
  if (step === 'wait') await deps.schedule(timerMessage(timer, now));
  if (step === 'ask') {
    // The close is scheduled first: a post that fails must not leave the connection open for good.
    await deps.schedule(timerMessage({ ...timer, phase: 'close' }, now));
    await deps.post(timer.connectionId, utf8(encodeFrame(reauthRequestFrame(timer.tokenExpiresAt))));
  }
  if (step === 'close' && await removeExpiredConnection(deps.stores, timer.connectionId, timer.tokenExpiresAt, deps.endings)) {
    await closeWithFrame(timer.connectionId, utf8(encodeFrame(closingFrame('TOKEN_EXPIRED',
      'The token of this connection expired and no fresh one came (reauth). Connect again with a fresh token.'))), deps);
  }
  return step;
}

/** Tells the client why, then closes the connection through @connections. Its row is gone already. */
export async function closeWithFrame(connectionId: string, frame: Uint8Array, deps: Pick<TokenExpiryDeps, 'post' | 'disconnect'>): Promise<void> {
  await deps.post(connectionId, frame);
  await deps.disconnect(connectionId);
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
