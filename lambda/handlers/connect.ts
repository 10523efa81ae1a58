/** $connect: registers the connection, with the user the authorizer named. */
import type { Context } from 'aws-lambda';
import { DEFAULTS, Env } from '../../lib/private/runtime-contract';
import { integerEnv, requiredEnv } from '../core/env';
import { logger } from '../core/logger';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { ConnectionStore, createDocumentClient } from '../stores';

const connections = new ConnectionStore(createDocumentClient(), requiredEnv(Env.CONNECTIONS_TABLE));
const ttlSeconds = integerEnv(Env.CONNECTION_TTL_SECONDS, DEFAULTS.connectionTtlSeconds, { min: 60 });

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const caller = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId: caller.connectionId });
  try {
    const now = Date.now();
    await connections.putConnection({
      connectionId: caller.connectionId,
      userId: caller.userId,
      connectedAt: event.requestContext.connectedAt ?? now,
      expiresAt: Math.floor(now / 1000) + ttlSeconds,
    });
    logger.info('connected', { userId: caller.userId });
    return { statusCode: 200 };
  } catch (error) {
    // Refuse the connection rather than accept one nothing could deliver to.
    logger.error('could not register the connection', error as Error);
    return { statusCode: 500 };
  } finally {
    logger.resetKeys();
  }
}
