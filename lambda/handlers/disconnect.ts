/**
 * $disconnect: forgets the connection and all its subscriptions, and announces the user's leave
 * on presence topics where this was their last connection. API Gateway calls it on a best-effort
 * basis, so TTLs and delivery's 410 cleanup cover the times it does not run. A cleanup that fails
 * (DynamoDB overloaded when many clients leave at once) is tried again while there is time:
 * otherwise a user stays listed in their presence rooms until the TTL or a 410.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../runtime/logger';
import { RetryInTime, retryWhileTimeLeft } from '../runtime/retry-in-time';
import { callerOf, RouteResponse, WebSocketEvent } from '../protocol/websocket-event';
import { createPresenceRuntime } from '../presence/presence-runtime';
import { readSettings } from '../runtime/settings';
import { DYNAMODB_CONNECTION_TIMEOUT_MS, removeConnection } from '../stores';

const { stores, presence } = createPresenceRuntime(readSettings('disconnect'));

/** Each DynamoDB call has had its own retries by then: a failed try means DynamoDB struggles for a while. */
const CLEANUP_RETRIES: Omit<RetryInTime, 'remainingMs'> = {
  // Spread the tries of many clients leaving at once.
  backoff: { baseMs: 100, capMs: 1_000 },
  // Time for a try whose first connection attempt times out: a try started later would run into
  // the function timeout, which would end the invocation without the log below.
  tryTimeMs: DYNAMODB_CONNECTION_TIMEOUT_MS,
  maxTriesWithoutTime: 3,
};

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  // The authorizer's user frees the connection's place even when its row is already gone.
  const { connectionId, userId } = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId });
  try {
    // removeConnection is idempotent: a try may start over what a failed one half did.
    const subscriptions = await retryWhileTimeLeft(() => removeConnection(stores, connectionId, presence, userId), {
      ...CLEANUP_RETRIES,
      remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined,
    });
    logger.info('disconnected', { subscriptionsRemoved: subscriptions });
  } catch (error) {
    // The client is gone either way; what is left expires with its TTL.
    logger.error('could not clean up the connection', error as Error);
  } finally {
    logger.resetKeys();
  }
  return { statusCode: 200 };
}
