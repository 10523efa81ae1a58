/**
 * $connect: registers the connection, with the user the authorizer named, and answers with the
 * subprotocol it chose when the client offered any.
 */
import type { Context } from 'aws-lambda';
import { API_SUBPROTOCOL, DEFAULTS, Env } from '../../lib/private/runtime-contract';
import { userIdProblem } from '../../lib/private/topic-segment';
import { integerEnv, requiredEnv } from '../core/env';
import { logger } from '../core/logger';
import { chooseSubprotocol, offeredSubprotocols, SUBPROTOCOL_HEADER } from '../core/subprotocols';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { ConnectionStore, createDocumentClient } from '../stores';

const connections = new ConnectionStore(createDocumentClient(), requiredEnv(Env.CONNECTIONS_TABLE));
const ttlSeconds = integerEnv(Env.CONNECTION_TTL_SECONDS, DEFAULTS.connectionTtlSeconds, { min: 60 });

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
    const now = Date.now();
    await connections.putConnection({
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
