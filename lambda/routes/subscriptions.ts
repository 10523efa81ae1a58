/**
 * Subscribing within the per-connection cap, without transactions (the embedded DynamoDB engine
 * has none, and one UpdateItem plus one Put is cheaper than a transaction anyway):
 *
 * 1. reserve a slot with a conditional UpdateItem on the connection row (`ADD subscriptionCount
 *    :1` only while it is below the cap and the row exists);
 * 2. write the subscription with a conditional Put (`attribute_not_exists`);
 * 3. if it already existed, or the Put failed, give the slot back.
 *
 * So concurrent subscribes never exceed the cap, a re-subscribe is idempotent and costs no slot,
 * and a failure leaves no subscription and no slot taken. Subscriptions expire with their
 * connection (same `expiresAt`).
 */
import { Stores } from '../stores/stores';

export type SubscribeOutcome =
  /** A new subscription, which expires with its connection at `expiresAt` (epoch seconds). */
  | { readonly outcome: 'subscribed'; readonly expiresAt: number }
  | { readonly outcome: 'already-subscribed' | 'limit-reached' | 'no-connection' };

const ALREADY: SubscribeOutcome = { outcome: 'already-subscribed' };

export async function subscribeWithinCap(
  stores: Stores,
  connectionId: string,
  topic: string,
  maxSubscriptions: number,
  userId?: string,
): Promise<SubscribeOutcome> {
  const reservation = await stores.connections.reserveSubscription(connectionId, maxSubscriptions);
  if (reservation.outcome === 'no-connection') return { outcome: 'no-connection' };
  if (reservation.outcome === 'limit-reached') {
    // At the cap, re-subscribing to a topic already held is still fine.
    return await stores.subscriptions.isSubscribed(topic, connectionId) ? ALREADY : { outcome: 'limit-reached' };
  }
  let created: boolean;
  try {
    created = await stores.subscriptions.subscribe(topic, connectionId, reservation.expiresAt, userId, reservation.tokenExpiresAt);
  } catch (error) {
    await stores.connections.releaseSubscription(connectionId).catch(() => undefined);
    throw error;
  }
  if (!created) {
    await stores.connections.releaseSubscription(connectionId);
    return ALREADY;
  }
  return { outcome: 'subscribed', expiresAt: reservation.expiresAt };
}

/** A step that must follow a subscription's removal (counting its presence out): until it succeeds, the subscription stays. */
export interface SubscriptionEnding {
  /** The user the subscription was written for. */
  readonly userId: string;
  run(): Promise<void>;
}

/**
 * Removes a subscription and frees its slot. Unsubscribing from a topic not held is fine.
 * Returns whether the subscription existed.
 *
 * Removing the row is what settles who ends it, when an unsubscribe races a disconnect or a
 * duplicate; `ending` then runs, before the slot is freed. If it fails, the row is written back,
 * so that a retry finds the subscription and ends it.
 */
export async function unsubscribeAndRelease(stores: Stores, connectionId: string, topic: string, ending?: SubscriptionEnding): Promise<boolean> {
  const existed = await stores.subscriptions.unsubscribe(topic, connectionId);
  if (!existed) return false;
  if (ending !== undefined) {
    try {
      await ending.run();
    } catch (error) {
      await restore(stores, connectionId, topic, ending.userId).catch(() => undefined);
      throw error;
    }
  }
  await stores.connections.releaseSubscription(connectionId);
  return true;
}

/** Writes a removed subscription back in the slot it still holds, to expire with its connection. */
async function restore(stores: Stores, connectionId: string, topic: string, userId: string): Promise<void> {
  const connection = await stores.connections.getConnection(connectionId);
  const written = connection !== undefined && await stores.subscriptions.subscribe(topic, connectionId, connection.expiresAt, userId, connection.tokenExpiresAt);
  // The connection is gone, or subscribed again meanwhile (in a slot of its own): the slot goes back.
  if (!written) await stores.connections.releaseSubscription(connectionId);
}
