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
 * Forgets a connection: its row, then all its subscriptions. Used by $disconnect, by delivery
 * when @connections answers 410 Gone, and by $connect for a user's stale connections. The row
 * goes first so that no subscribe can reserve a slot on it any more; an already-gone row or
 * subscription is not an error. `endings` hears of each subscription it concerns (the row names
 * the user). Returns how many subscriptions were removed.
 */
export async function removeConnection(stores: Stores, connectionId: string, endings?: SubscriptionEndings): Promise<number> {
  const row = await stores.connections.deleteConnection(connectionId);
  if (endings === undefined) return stores.subscriptions.removeAllForConnection(connectionId);
  const known = row?.userId;
  // Without the row (another removal took it first, or it expired) the user is unknown until each
  // subscription row is deleted and says whose it was: then every one is deleted on its own.
  return stores.subscriptions.removeAllForConnection(connectionId, {
    isTracked: (topic) => (row === undefined ? endings.mayConcern(topic) : known !== undefined && endings.concerns(topic, known)),
    removed: async (topic, userId) => {
      const user = userId ?? known;
      if (user !== undefined && endings.concerns(topic, user)) await endings.ended(topic, user);
    },
  });
}
