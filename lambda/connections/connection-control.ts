/**
 * A backend's `ConnectionControl` event (lib/private/protocol/connection-control-events.ts):
 * `disconnect` closes a user's connections (or one), with a reason, and may ban the user for a
 * while. The ban is written first, then the user's connections are read from their set (a
 * consistent read): a $connect racing the kick either took its place in the set before the read
 * (and is closed here) or checks the ban after taking it (and is refused). Each connection's row
 * is removed before it is told and closed, so no delivery reads it from then on.
 */
import { isJsonObject } from '../../lib/private/json-object';
import { CONNECTION_CONTROL_DETAIL, CONNECTION_CONTROL_DETAIL_TYPE } from '../../lib/private/protocol/connection-control-events';
import { firstViolation } from '../../lib/private/protocol/json-schema';
import { closingFrame, encodeFrame, serverSubscribedFrame, serverUnsubscribedFrame } from '../protocol/frames';
import { checkTopic } from '../protocol/topics';
import { removeConnection, Stores, SubscriptionEndings } from '../stores';
import { closeWithFrame, TokenExpiryDeps } from './token-expiry';

export interface Disconnect {
  readonly action: 'disconnect';
  readonly userId: string;
  readonly connectionId?: string;
  readonly reason?: string;
  readonly banSeconds?: number;
}

/** A backend's `subscribe` or `unsubscribe` of one user and topic. */
export interface TopicControl {
  readonly action: 'unsubscribe' | 'subscribe';
  readonly userId: string;
  readonly topic: string;
}

export type ConnectionControl = Disconnect | TopicControl;

export type ParsedControl = { readonly ok: true; readonly control: ConnectionControl } | { readonly ok: false; readonly message: string };

/** A queue message body that may be a control event, without parsing every notification twice. */
export function mayBeConnectionControl(body: string): boolean {
  return body.includes(`"detail-type":"${CONNECTION_CONTROL_DETAIL_TYPE}"`);
}

export function parseConnectionControl(body: unknown): ParsedControl | undefined {
  if (!isJsonObject(body) || body['detail-type'] !== CONNECTION_CONTROL_DETAIL_TYPE) return undefined;
  const detail = body.detail;
  if (!isJsonObject(detail)) {
    return { ok: false, message: 'The ConnectionControl event has no JSON object "detail", such as {"action":"disconnect","userId":"alice"}.' };
  }
  const violation = firstViolation(detail, CONNECTION_CONTROL_DETAIL);
  if (violation) return { ok: false, message: violation.message };
  if (detail.action !== 'disconnect') {
    const syntax = typeof detail.topic === 'string' ? checkTopic(detail.topic) : { ok: false as const, reason: `"${String(detail.action)}" needs a "topic", for example "teams/42".` };
    if (!syntax.ok) return { ok: false, message: syntax.reason };
  }
  return { ok: true, control: detail as unknown as ConnectionControl };
}

export type ControlDeps = Pick<TokenExpiryDeps, 'post' | 'disconnect' | 'nowMs'> & {
  readonly stores: Stores;
  readonly endings?: SubscriptionEndings;
};

/** Carries out a `disconnect`; resolves with how many connections were closed. */
export async function disconnectUser(control: Disconnect, deps: ControlDeps): Promise<number> {
  const { userId } = control;
  if (control.banSeconds !== undefined) {
    await deps.stores.userConnections.ban(userId, Math.floor(deps.nowMs() / 1000) + control.banSeconds);
  }
  const ids = control.connectionId !== undefined
    ? ((await deps.stores.connections.getConnection(control.connectionId))?.userId === userId ? [control.connectionId] : [])
    : await deps.stores.userConnections.list(userId);
  const frame = Buffer.from(encodeFrame(closingFrame('KICKED', control.reason ?? 'The server closed this connection.')), 'utf8');
  await Promise.all(ids.map(async (connectionId) => {
    await removeConnection(deps.stores, connectionId, deps.endings, userId);
    await closeWithFrame(connectionId, frame, deps);
  }));
  return ids.length;
}

/**
 * Carries out an `unsubscribe`: the revocation is written first, so a `subscribe` racing it (or
 * made after a reconnect) is refused; then the topic is taken from each of the user's open
 * connections by `end` (the route's unsubscribe: presence leave included) and they are told.
 * Resolves with how many connections were told.
 */
export async function unsubscribeUser(
  control: TopicControl, deps: Pick<ControlDeps, 'stores' | 'post'>, end: (connectionId: string) => Promise<void>,
): Promise<number> {
  await deps.stores.userConnections.setTopicAccess(control.userId, control.topic, 'revoked');
  const frame = Buffer.from(encodeFrame(serverUnsubscribedFrame(control.topic)), 'utf8');
  const ids = await deps.stores.userConnections.list(control.userId);
  await Promise.all(ids.map(async (connectionId) => {
    await end(connectionId);
    await deps.post(connectionId, frame);
  }));
  return ids.length;
}

/**
 * Carries out a `subscribe`: the grant is written first (the user's own `subscribe` to the topic
 * passes from then on, after a reconnect too), then the topic is added to each of the user's open
 * connections by `start` (within the per-connection cap, presence join included) and they are
 * told. Resolves with how many connections were subscribed.
 */
export async function subscribeUser(
  control: TopicControl, deps: Pick<ControlDeps, 'stores' | 'post'>, start: (connectionId: string) => Promise<boolean>,
): Promise<number> {
  await deps.stores.userConnections.setTopicAccess(control.userId, control.topic, 'granted');
  const frame = Buffer.from(encodeFrame(serverSubscribedFrame(control.topic)), 'utf8');
  const ids = await deps.stores.userConnections.list(control.userId);
  const subscribed = await Promise.all(ids.map(async (connectionId) => {
    if (!await start(connectionId)) return false;
    await deps.post(connectionId, frame);
    return true;
  }));
  return subscribed.filter(Boolean).length;
}
