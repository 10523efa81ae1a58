import type { ConnectionRecord } from './connection-store';
import { Stores } from './stores';

/** What must follow the end of a user's subscription to a topic (presence leaves). */
export interface SubscriptionEndings {
  /** Whether ending this user's subscription to `topic` needs `ended`. */
  concerns(topic: string, userId: string): boolean;
  /** Whether ending some user's subscription to `topic` may need `ended` (the user not yet known). */
  mayConcern(topic: string): boolean;
  ended(topic: string, userId: string): Promise<void>;
}

/**
 * Forgets a connection: its row, its place among its user's connections, then all its
 * subscriptions. Used by $disconnect and by $connect for a user's stale connections. The row goes
 * first so that no subscribe can reserve a slot on it any more; an already-gone row or
 * subscription is not an error. `userId` frees the user's place even when the row is already
 * gone. `endings` hears of each subscription it concerns (the row names the user). Returns how
 * many subscriptions were removed.
 */
export async function removeConnection(stores: Stores, connectionId: string, endings?: SubscriptionEndings, userId?: string): Promise<number> {
  const row = await stores.connections.deleteConnection(connectionId);
  return forgetRest(stores, connectionId, row, endings, userId);
}

/**
 * Forgets a connection @connections answered 410 for (delivery, the per-user limit), unless its
 * $connect may still be running: then nothing is removed and `false` is answered, for the
 * caller to try the connection again once its handshake is done. `userId` as for removeConnection.
 */
export async function removeGoneConnection(
  stores: Stores, connectionId: string, nowMs: number, endings?: SubscriptionEndings, userId?: string,
): Promise<boolean> {
  const deleted = await stores.connections.deleteGoneConnection(connectionId, nowMs);
  if (deleted.opening) return false;
  await forgetRest(stores, connectionId, deleted.row, endings, userId);
  return true;
}

/**
 * Forgets a connection whose token expired at `tokenExpiresAt`, unless a `reauth` moved its expiry
 * meanwhile (then nothing is removed and `false` is answered). `endings` as for removeConnection.
 */
export async function removeExpiredConnection(stores: Stores, connectionId: string, tokenExpiresAt: number, endings?: SubscriptionEndings): Promise<boolean> {
  const row = await stores.connections.deleteExpiredConnection(connectionId, tokenExpiresAt);
  if (row === undefined) return false;
  await forgetRest(stores, connectionId, row, endings);
  return true;
}

async function forgetRest(stores: Stores, connectionId: string, row: ConnectionRecord | undefined, endings?: SubscriptionEndings, userId?: string): Promise<number> {
  const known = row?.userId ?? userId;
  // The two places at once: a cleanup takes no longer than before the per-IP limit.
  await Promise.all([
    known !== undefined ? stores.userConnections.release(known, connectionId) : undefined,
    row?.sourceIp !== undefined ? stores.ipConnections.release(row.sourceIp, connectionId) : undefined,
  ]);
  if (endings === undefined) return stores.subscriptions.removeAllForConnection(connectionId);
  // Without the row (another removal took it first, or it expired) and no user from the caller, the
  // user is unknown until each subscription row is deleted and says whose it was: then every one
  // is deleted on its own.
  const userUnknown = row === undefined && known === undefined;
  return stores.subscriptions.removeAllForConnection(connectionId, {
    isTracked: (topic) => (userUnknown ? endings.mayConcern(topic) : known !== undefined && endings.concerns(topic, known)),
    removed: async (topic, subscriber) => {
      const user = subscriber ?? known;
      if (user !== undefined && endings.concerns(topic, user)) await endings.ended(topic, user);
    },
  });
}
