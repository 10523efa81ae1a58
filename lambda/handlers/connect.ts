/**
 * $connect: registers the connection, with the user the authorizer named, unless the user
 * already has `maxConnectionsPerUser` open connections.
 */
import type { Context } from 'aws-lambda';
import { CLIENT_MESSAGING_RANGES, DEFAULTS, Env } from '../../lib/private/runtime-contract';
import { checkConnectionLimit } from '../core/connection-limit';
import { integerEnv } from '../core/env';
import { logger } from '../core/logger';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createPresenceRuntime } from '../delivery/presence-runtime';
import { removeConnection } from '../stores';

const { stores, presence, probe } = createPresenceRuntime();
const ttlSeconds = integerEnv(Env.CONNECTION_TTL_SECONDS, DEFAULTS.connectionTtlSeconds, { min: 60 });
const maxConnectionsPerUser = integerEnv(Env.MAX_CONNECTIONS_PER_USER, DEFAULTS.maxConnectionsPerUser, CLIENT_MESSAGING_RANGES.maxConnectionsPerUser);

const limitDeps = {
  connectionsOf: async (userId: string) => {
    const ids: string[] = [];
    for await (const page of stores.connections.queryConnectionIdsByUser(userId)) ids.push(...page);
    return ids;
  },
  probe,
  forget: async (connectionId: string) => {
    await removeConnection(stores, connectionId, presence);
  },
};

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const caller = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId: caller.connectionId });
  try {
    if (caller.userId !== undefined) {
      const verdict = await checkConnectionLimit(caller.userId, maxConnectionsPerUser, limitDeps);
      if (!verdict.allowed) {
        logger.warn('connection refused: the user has too many open connections', {
          userId: caller.userId, openConnections: verdict.open, maxConnectionsPerUser,
        });
        return { statusCode: 429 };
      }
      if (verdict.forgotten > 0) logger.info('forgot connections that had closed without $disconnect', { userId: caller.userId, forgotten: verdict.forgotten });
    }
    const now = Date.now();
    await stores.connections.putConnection({
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
