import { ConnectionStore } from './connection-store';
import { SubscriptionStore } from './subscription-store';

export interface Stores {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
}

/**
 * Forgets a connection: its row, then all its subscriptions. Used by $disconnect and by delivery
 * when @connections answers 410 Gone. The row goes first so that no subscribe can reserve a slot
 * on it any more; an already-gone row or subscription is not an error.
 * Returns how many subscriptions were removed.
 */
export async function removeConnection(stores: Stores, connectionId: string): Promise<number> {
  await stores.connections.deleteConnection(connectionId);
  return stores.subscriptions.removeAllForConnection(connectionId);
}
