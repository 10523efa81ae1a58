/** The API Gateway WebSocket event the route handlers receive, and the caller it identifies. */
import type {
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
} from 'aws-lambda';
import { AUTHORIZER_TOKEN_EXPIRES_KEY, AUTHORIZER_USER_ID_KEY } from '../../lib/private/runtime-contract';
import type { HandshakeHeaders } from './subprotocols';

/** API Gateway hands the $connect authorizer's context to every route of the connection. */
export type WebSocketRequestContext = APIGatewayEventWebsocketRequestContextV2 & {
  readonly authorizer?: Record<string, unknown> | null;
  /** Where API Gateway saw the connection come from (on $connect). */
  readonly identity?: { readonly sourceIp?: string };
};

/** $connect events also carry the handshake's headers. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<WebSocketRequestContext> & HandshakeHeaders;

/**
 * What a route integration returns; for two-way routes `body` is the frame sent back. On
 * $connect, `headers` may name the chosen subprotocol (`Sec-WebSocket-Protocol`).
 */
export interface RouteResponse {
  readonly statusCode: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Who sent a frame: the connection, and the user the authorizer named. */
export interface Caller {
  readonly connectionId: string;
  /** From the authorizer; absent when the API has no authentication. */
  readonly userId?: string;
  /** The $connect token's expiry (epoch seconds), from the authorizer; a `reauth` since may have moved it (the row says). */
  readonly tokenExpiresAt?: number;
}

export function callerOf(event: WebSocketEvent): Caller {
  const userId = event.requestContext.authorizer?.[AUTHORIZER_USER_ID_KEY];
  const expires = Number(event.requestContext.authorizer?.[AUTHORIZER_TOKEN_EXPIRES_KEY]);
  return {
    connectionId: event.requestContext.connectionId,
    userId: typeof userId === 'string' && userId !== '' ? userId : undefined,
    ...(Number.isFinite(expires) && expires > 0 ? { tokenExpiresAt: expires } : {}),
  };
}
