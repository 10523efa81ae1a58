/**
 * $connect: registers the connection, with the user the authorizer named, unless the user
 * already has `maxConnectionsPerUser` open connections; answers with the subprotocol it chose
 * when the client offered any.
 */
import type { Context } from 'aws-lambda';
import { API_SUBPROTOCOL, SETTINGS } from '../../lib/private/runtime-contract';
import { userIdProblem } from '../../lib/private/topic-segment';
import { checkConnectionLimit } from '../core/connection-limit';
import { integerEnv } from '../core/env';
import { logger } from '../core/logger';
import { chooseSubprotocol, offeredSubprotocols, SUBPROTOCOL_HEADER } from '../core/subprotocols';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createPresenceRuntime } from '../delivery/presence-runtime';
import { removeConnection } from '../stores';

const { stores, presence, probe } = createPresenceRuntime();
const ttlSeconds = integerEnv(SETTINGS.connectionTtlSeconds);
const maxConnectionsPerUser = integerEnv(SETTINGS.maxConnectionsPerUser);

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
  const offered = offeredSubprotocols(event);
  const protocol = chooseSubprotocol(offered);
  try {
    if (offered.length > 0 && protocol === undefined) {
      // No entry can be answered with (the token's must not be), and a browser would drop the connection.
      logger.warn(`refused: the client offered only token-bearing subprotocols; it must offer "${API_SUBPROTOCOL}" beside its token`);
      return { statusCode: 400 };
    }
    // ConnectionAuth.lambda(): the user's own authorizer may name an id no topic or target could hold.
    const problem = caller.userId === undefined ? undefined : userIdProblem(caller.userId);
    if (problem !== undefined) {
      logger.error(`refused: the authorizer's user id cannot be used: ${problem}`);
      return { statusCode: 403 };
    }
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
    logger.info('connected', { userId: caller.userId, protocol });
    return protocol === undefined ? { statusCode: 200 } : { statusCode: 200, headers: { [SUBPROTOCOL_HEADER]: protocol } };
  } catch (error) {
    // Refuse the connection rather than accept one nothing could deliver to.
    logger.error('could not register the connection', error as Error);
    return { statusCode: 500 };
  } finally {
    logger.resetKeys();
  }
}
