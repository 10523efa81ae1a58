/**
 * $connect: registers the connection, with the user the authorizer named, unless the user
 * already has `maxConnectionsPerUser` open connections; answers with the subprotocol it chose
 * when the client offered any.
 *
 * The row is written before the user's place is taken, so every connection in a user's set has
 * a row that says until when its handshake may run (`openBy`): a 410 for it before then is the
 * handshake not yet done, not a closed connection (delivery tries it again).
 */
import type { Context } from 'aws-lambda';
import { API_SUBPROTOCOL, AUTHORIZER_TOKEN_EXPIRES_KEY, ROUTE_FUNCTION_TIMEOUT_SECONDS } from '../../lib/private/runtime-contract';
import { userIdProblem } from '../../lib/private/topic-segment';
import { admitConnection, ConnectionLimitDeps } from '../connections/connection-limit';
import { logger } from '../runtime/logger';
import { chooseSubprotocol, offeredSubprotocols, SUBPROTOCOL_HEADER } from '../protocol/subprotocols';
import { callerOf, RouteResponse, WebSocketEvent } from '../protocol/websocket-event';
import { createPresenceRuntime } from '../presence/presence-runtime';
import { removeGoneConnection } from '../stores';
import { readSettings } from '../runtime/settings';
import { timerMessage, tokenExpiryTimer } from '../connections/token-expiry';
import { QueueWriter } from '../fanout/queue-writer';
import { createSqsClient, sqsBatchSend } from '../fanout/sqs-batch-send';

const settings = readSettings('connect');
const { stores, presence, probe } = createPresenceRuntime(settings);
const ttlSeconds = settings['connections.ttl'];
const maxConnectionsPerUser = settings['connections.maxPerUser'];
const enforcesTokenExpiry = settings['connections.tokenExpiry'] === 'close';
const tokenExpiryGrace = settings['connections.tokenExpiryGrace'];
/** The delivery queue, for the token's expiry timer; the SQS client is made on the first connection that needs it. */
let timers: QueueWriter | undefined;
/** Without a Lambda context (tests), how long $connect may run: the route functions' timeout. */
const DEFAULT_REMAINING_MS = ROUTE_FUNCTION_TIMEOUT_SECONDS * 1000;
/** After $connect returns, API Gateway still finishes the handshake: time allowed for that. */
const HANDSHAKE_MARGIN_MS = 2_000;

const maxConnectionsPerIp = settings['connections.maxPerIp'];

/** The per-user and the per-IP limit: one mechanism (connection-limit.ts) over two kinds of sets. */
const userLimit: ConnectionLimitDeps = {
  admit: (userId, connectionId, max) => stores.userConnections.admit(userId, connectionId, max, expiresAtNow()),
  connectionsOf: (userId) => stores.userConnections.list(userId),
  probe,
  forgetGone: (userId, connectionId) => removeGoneConnection(stores, connectionId, Date.now(), presence, userId),
};
const ipLimit: ConnectionLimitDeps = {
  admit: (ip, connectionId, max) => stores.ipConnections.admit(ip, connectionId, max, expiresAtNow()),
  connectionsOf: (ip) => stores.ipConnections.list(ip),
  probe,
  forgetGone: async (ip, connectionId) => {
    if (!await removeGoneConnection(stores, connectionId, Date.now(), presence)) return false;
    // The row may have been gone already, and with it the way to this set: the place is freed here.
    await stores.ipConnections.release(ip, connectionId);
    return true;
  },
};

function expiresAtNow(): number {
  return Math.floor(Date.now() / 1000) + ttlSeconds;
}

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const caller = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId: caller.connectionId });
  const offered = offeredSubprotocols(event);
  // API Gateway's view of the peer, never a header the client could set.
  const sourceIp = event.requestContext.identity?.sourceIp || undefined;
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
    const tokenExpiresAt = enforcesTokenExpiry ? tokenExpiryOf(event) : undefined;
    if (tokenExpiresAt !== undefined && tokenExpiresAt <= Math.floor(now / 1000)) {
      logger.warn('refused: the token expired before the connection was registered');
      return { statusCode: 401 };
    }
    await stores.connections.putConnection({
      connectionId: caller.connectionId,
      userId: caller.userId,
      connectedAt: event.requestContext.connectedAt ?? now,
      expiresAt: expiresAtNow(),
      openBy: now + (context?.getRemainingTimeInMillis() ?? DEFAULT_REMAINING_MS) + HANDSHAKE_MARGIN_MS,
      tokenExpiresAt,
      sourceIp,
    });
    if (sourceIp !== undefined) {
      const verdict = await admitConnection(sourceIp, caller.connectionId, maxConnectionsPerIp, ipLimit);
      if (!verdict.allowed) {
        await removeConnectionRow(caller.connectionId, undefined, sourceIp);
        logger.warn('connection refused: too many open connections from this IP address', {
          sourceIp, userId: caller.userId, openConnections: verdict.open, maxConnectionsPerIp,
        });
        return { statusCode: 429 };
      }
      if (verdict.forgotten > 0) logger.info('forgot connections from this IP that had closed without $disconnect', { sourceIp, forgotten: verdict.forgotten });
    }
    if (caller.userId !== undefined) {
      const verdict = await admitConnection(caller.userId, caller.connectionId, maxConnectionsPerUser, userLimit);
      if (!verdict.allowed) {
        await removeConnectionRow(caller.connectionId, undefined, sourceIp);
        logger.warn('connection refused: the user has too many open connections', {
          userId: caller.userId, openConnections: verdict.open, maxConnectionsPerUser,
        });
        return { statusCode: 429 };
      }
      if (verdict.forgotten > 0) logger.info('forgot connections that had closed without $disconnect', { userId: caller.userId, forgotten: verdict.forgotten });
      // After taking its place: a kick that bans the user either finds this connection in the set or its ban is seen here.
      const bannedUntil = await stores.userConnections.bannedUntil(caller.userId);
      if (bannedUntil !== undefined && bannedUntil > Math.floor(Date.now() / 1000)) {
        await removeConnectionRow(caller.connectionId, caller.userId, sourceIp);
        logger.warn('connection refused: the user is banned', { userId: caller.userId, bannedUntil: new Date(bannedUntil * 1000).toISOString() });
        return { statusCode: 403 };
      }
    }
    if (tokenExpiresAt !== undefined) {
      // Without its timer the connection would outlive its token: it is refused if the timer cannot be set.
      const nowSeconds = Math.floor(now / 1000);
      timers ??= new QueueWriter(sqsBatchSend(createSqsClient(settings.queueUrl)));
      await timers.sendAll(settings.queueUrl, [timerMessage(tokenExpiryTimer(caller.connectionId, tokenExpiresAt, nowSeconds, tokenExpiryGrace), nowSeconds)]);
    }
    logger.info('connected', { userId: caller.userId, protocol });
    return protocol === undefined ? { statusCode: 200 } : { statusCode: 200, headers: { [SUBPROTOCOL_HEADER]: protocol } };
  } catch (error) {
    // Refuse the connection rather than accept one nothing could deliver to; a row already
    // written would otherwise hold the user's place until a delivery found it gone.
    logger.error('could not register the connection', error as Error);
    await removeConnectionRow(caller.connectionId, caller.userId, sourceIp);
    return { statusCode: 500 };
  } finally {
    logger.resetKeys();
  }
}

/**
 * The token's expiry (epoch seconds) the authorizer put in its context: ours always does; with
 * ConnectionAuth.lambda() the user's own may. API Gateway may pass context values as strings.
 */
function tokenExpiryOf(event: WebSocketEvent): number | undefined {
  const value = Number(event.requestContext.authorizer?.[AUTHORIZER_TOKEN_EXPIRES_KEY] ?? Number.NaN);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

async function removeConnectionRow(connectionId: string, userId: string | undefined, sourceIp: string | undefined): Promise<void> {
  try {
    await stores.connections.deleteConnection(connectionId);
    if (userId !== undefined) await stores.userConnections.release(userId, connectionId);
    if (sourceIp !== undefined) await stores.ipConnections.release(sourceIp, connectionId);
  } catch (error) {
    logger.warn('could not remove the refused connection\'s row; its TTL will', { error: String(error) });
  }
}
