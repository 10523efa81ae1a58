/**
 * $disconnect: forgets the connection and all its subscriptions. API Gateway calls it on a
 * best-effort basis, so TTLs and delivery's 410 cleanup cover the times it does not run.
 */
import type { Context } from 'aws-lambda';
import { Env } from '../../lib/private/runtime-contract';
import { requiredEnv } from '../core/env';
import { logger } from '../core/logger';
import { RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createStores, removeConnection } from '../stores';

const stores = createStores({
  connectionsTable: requiredEnv(Env.CONNECTIONS_TABLE),
  subscriptionsTable: requiredEnv(Env.SUBSCRIPTIONS_TABLE),
});

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const connectionId = event.requestContext.connectionId;
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId });
  try {
    const subscriptions = await removeConnection(stores, connectionId);
    logger.info('disconnected', { subscriptionsRemoved: subscriptions });
  } catch (error) {
    // The client is gone either way; what is left expires with its TTL.
    logger.error('could not clean up the connection', error as Error);
  } finally {
    logger.resetKeys();
  }
  return { statusCode: 200 };
}
