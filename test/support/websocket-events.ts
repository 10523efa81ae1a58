/**
 * API Gateway WebSocket events as API Gateway sends them to route integrations and to the
 * $connect REQUEST authorizer, for calling handlers directly.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { WebSocketEvent } from '../../lambda/protocol/websocket-event';

export const TEST_API = { apiId: 'abc123', stage: 'test', domainName: 'abc123.execute-api.us-east-1.amazonaws.com' };

export interface RouteEventOptions {
  readonly connectionId?: string;
  /** The authorizer context's userId; omit for an API without authentication. */
  readonly userId?: string;
  readonly connectedAt?: number;
  /** The handshake's Sec-WebSocket-Protocol header, as the client sent it ($connect only). */
  readonly subprotocols?: string;
}

/** Handshake headers as API Gateway passes them to $connect and its authorizer. */
function handshakeHeaders(subprotocols: string | undefined): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = { Host: TEST_API.domainName };
  if (subprotocols !== undefined) headers['Sec-WebSocket-Protocol'] = subprotocols;
  return { headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) };
}

function requestContext(
  routeKey: string,
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  options: RouteEventOptions,
): WebSocketEvent['requestContext'] {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    messageId: eventType === 'MESSAGE' ? randomUUID() : (undefined as unknown as string),
    extendedRequestId: randomUUID(),
    requestTime: new Date(now).toUTCString(),
    messageDirection: 'IN',
    stage: TEST_API.stage,
    connectedAt: options.connectedAt ?? now,
    requestTimeEpoch: now,
    requestId: randomUUID(),
    domainName: TEST_API.domainName,
    connectionId: options.connectionId ?? newConnectionId(),
    apiId: TEST_API.apiId,
    authorizer: options.userId === undefined ? undefined : { userId: options.userId, principalId: options.userId },
  };
}

/** API Gateway connection ids look like this: 12 base64-ish characters ending in '='. */
export function newConnectionId(): string {
  return `${randomUUID().replace(/-/g, '').slice(0, 11)}=`;
}

export function connectEvent(options: RouteEventOptions = {}): WebSocketEvent {
  return { ...handshakeHeaders(options.subprotocols), requestContext: requestContext('$connect', 'CONNECT', options), isBase64Encoded: false };
}

export function disconnectEvent(options: RouteEventOptions = {}): WebSocketEvent {
  return { requestContext: requestContext('$disconnect', 'DISCONNECT', options), isBase64Encoded: false };
}

/** A message frame; routeKey is chosen from `action` as API Gateway's `$request.body.action` would. */
export function messageEvent(body: string | undefined, options: RouteEventOptions = {}): WebSocketEvent {
  return { requestContext: requestContext(routeKeyFor(body), 'MESSAGE', options), body, isBase64Encoded: false };
}

const ROUTES = new Set(['subscribe', 'unsubscribe', 'publish', 'presence', 'ping']);

export function routeKeyFor(body: string | undefined): string {
  try {
    const action = (JSON.parse(body ?? '') as { action?: unknown }).action;
    return typeof action === 'string' && ROUTES.has(action) ? action : '$default';
  } catch {
    return '$default';
  }
}

export function authorizerEvent(
  query: Record<string, string> | null,
  connectionId = newConnectionId(),
  subprotocols?: string,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:${TEST_API.apiId}/${TEST_API.stage}/$connect`,
    resource: '',
    path: '',
    httpMethod: 'GET',
    ...handshakeHeaders(subprotocols),
    pathParameters: null,
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    stageVariables: null,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId,
      stage: TEST_API.stage,
      apiId: TEST_API.apiId,
      domainName: TEST_API.domainName,
    } as unknown as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}
