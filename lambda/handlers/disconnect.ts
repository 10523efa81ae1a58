/**
 * $disconnect: forgets the connection and all its subscriptions, and announces the user's leave
 * on presence topics where this was their last connection. API Gateway calls it on a best-effort
 * basis, so TTLs and delivery's 410 cleanup cover the times it does not run.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../core/logger';
import { RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createPresenceRuntime } from '../delivery/presence-runtime';
import { removeConnection } from '../stores';

const { stores, presence } = createPresenceRuntime();

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const connectionId = event.requestContext.connectionId;
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId });
  try {
    const subscriptions = await removeConnection(stores, connectionId, presence);
    logger.info('disconnected', { subscriptionsRemoved: subscriptions });
  } catch (error) {
    // The client is gone either way; what is left expires with its TTL.
    logger.error('could not clean up the connection', error as Error);
  } finally {
    logger.resetKeys();
  }
  return { statusCode: 200 };
}
