import { ConnectionStore } from './connection-store';
import { SubscriptionStore } from './subscription-store';

export interface Stores {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
}

/** What must follow the end of a user's subscription to a topic (presence leaves). */
export interface SubscriptionEndings {
  /** Whether ending this user's subscription to `topic` needs `ended`. */
  concerns(topic: string, userId: string): boolean;
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
  const userId = row?.userId;
  if (endings === undefined || userId === undefined) return stores.subscriptions.removeAllForConnection(connectionId);
  return stores.subscriptions.removeAllForConnection(connectionId, {
    isTracked: (topic) => endings.concerns(topic, userId),
    removed: (topic) => endings.ended(topic, userId),
  });
}
