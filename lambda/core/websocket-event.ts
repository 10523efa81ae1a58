/** The API Gateway WebSocket event the route handlers receive, and the caller it identifies. */
import type {
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
} from 'aws-lambda';
import { AUTHORIZER_USER_ID_KEY } from '../../lib/private/runtime-contract';
import type { Caller } from './messages';

/** API Gateway hands the $connect authorizer's context to every route of the connection. */
export type WebSocketRequestContext = APIGatewayEventWebsocketRequestContextV2 & {
  readonly authorizer?: Record<string, unknown> | null;
};

export type WebSocketEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<WebSocketRequestContext>;

/** What a route integration returns; for two-way routes `body` is the frame sent back. */
export interface RouteResponse {
  readonly statusCode: number;
  readonly body?: string;
}

export function callerOf(event: WebSocketEvent): Caller {
  const userId = event.requestContext.authorizer?.[AUTHORIZER_USER_ID_KEY];
  return {
    connectionId: event.requestContext.connectionId,
    userId: typeof userId === 'string' && userId !== '' ? userId : undefined,
  };
}
