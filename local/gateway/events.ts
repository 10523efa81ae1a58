/**
 * Builders for the events API Gateway hands to WebSocket route integrations and to a REQUEST
 * authorizer, field for field (requestContext, headers on $connect, body on messages…). Pure:
 * the gateway passes in what it observed.
 */
import { randomBytes } from 'node:crypto';

/** API Gateway's ids look like `L0SM9cOFvHcCIhw=`: 11 random bytes, base64 with one `=`. */
export function apiGatewayId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `19/Jan/2023:21:13:26 +0000`, the format of requestContext.requestTime. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  // Not toLocaleString: it builds a formatter per call, about a millisecond of the gateway's thread each.
  const month = MONTHS[d.getUTCMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** What the gateway knows about the API it emulates. */
export interface ApiDescription {
  readonly apiId: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
}

/** What the gateway knows about one connection. */
export interface ConnectionFacts {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly domainName: string;
  readonly sourceIp: string;
  readonly userAgent?: string;
}

/** The HTTP upgrade request as received: raw header pairs (original case) and the query string. */
export interface HandshakeFacts {
  readonly rawHeaders: string[];
  readonly query: URLSearchParams;
}

/** The authorizer's output as API Gateway passes it on: context values plus principalId. */
export type AuthorizerContext = Record<string, string | number | boolean>;

/** requestContext.authorizer, which API Gateway leaves out when $connect has no authorizer. */
function withAuthorizer(authorizer: AuthorizerContext | undefined) {
  return authorizer ? { authorizer } : {};
}

export interface HeaderMaps {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
}

/** Header maps as API Gateway fills them: original case, last value in `headers`, all in `multiValueHeaders`. */
export function headerMaps(rawHeaders: string[], added: Record<string, string> = {}): HeaderMaps {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    (multiValueHeaders[rawHeaders[i]] ??= []).push(rawHeaders[i + 1]);
  }
  for (const [name, value] of Object.entries(added)) multiValueHeaders[name] = [value];
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) headers[name] = values[values.length - 1];
  return { headers, multiValueHeaders };
}

/** Query maps as API Gateway fills them: null when there is no query string. */
export function queryMaps(query: URLSearchParams): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of query) (multi[name] ??= []).push(value);
  if (Object.keys(multi).length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) single[name] = values[values.length - 1];
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

/** The headers API Gateway adds in front of the client's own. */
function forwardedHeaders(c: ConnectionFacts, port: string): Record<string, string> {
  return {
    'X-Amzn-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    'X-Forwarded-For': c.sourceIp,
    'X-Forwarded-Port': port,
    'X-Forwarded-Proto': 'http',
  };
}

function baseRequestContext(api: ApiDescription, c: ConnectionFacts, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', now: number) {
  const requestId = apiGatewayId();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN' as const,
    stage: api.stage,
    connectedAt: c.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: c.sourceIp, ...(c.userAgent !== undefined ? { userAgent: c.userAgent } : {}) },
    requestId,
    domainName: c.domainName,
    connectionId: c.connectionId,
    apiId: api.apiId,
  };
}

export function methodArn(api: ApiDescription, routeKey: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${routeKey}`;
}

function portOf(domainName: string): string {
  const colon = domainName.lastIndexOf(':');
  return colon < 0 ? '80' : domainName.slice(colon + 1);
}

/** The event a REQUEST authorizer on $connect receives. */
export function authorizerEvent(api: ApiDescription, c: ConnectionFacts, handshake: HandshakeFacts, now = Date.now()) {
  return {
    type: 'REQUEST' as const,
    methodArn: methodArn(api, '$connect'),
    ...headerMaps(handshake.rawHeaders, forwardedHeaders(c, portOf(c.domainName))),
    ...queryMaps(handshake.query),
    stageVariables: {},
    requestContext: baseRequestContext(api, c, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
  };
}

/** The $connect integration's event: the handshake's headers and query, and the authorizer's context. */
export function connectEvent(api: ApiDescription, c: ConnectionFacts, handshake: HandshakeFacts, authorizer: AuthorizerContext | undefined, now = Date.now()) {
  return {
    ...headerMaps(handshake.rawHeaders, forwardedHeaders(c, portOf(c.domainName))),
    ...queryMaps(handshake.query),
    requestContext: { ...baseRequestContext(api, c, '$connect', 'CONNECT', now), ...withAuthorizer(authorizer) },
    isBase64Encoded: false,
  };
}

/** A message route's event: the frame in `body` (base64 for binary frames), no headers. */
export function messageEvent(api: ApiDescription, c: ConnectionFacts, routeKey: string, body: string, isBase64Encoded: boolean, authorizer: AuthorizerContext | undefined, now = Date.now()) {
  return {
    requestContext: { ...baseRequestContext(api, c, routeKey, 'MESSAGE', now), messageId: apiGatewayId(), ...withAuthorizer(authorizer) },
    body,
    isBase64Encoded,
  };
}

/** The $disconnect event: API Gateway's few headers, the close code and reason. */
export function disconnectEvent(api: ApiDescription, c: ConnectionFacts, statusCode: number, reason: string, authorizer: AuthorizerContext | undefined, now = Date.now()) {
  return {
    ...headerMaps([], { Host: c.domainName, 'X-Forwarded-For': c.sourceIp, 'x-api-key': '', 'x-restapi': api.apiId }),
    requestContext: {
      ...baseRequestContext(api, c, '$disconnect', 'DISCONNECT', now),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
      ...withAuthorizer(authorizer),
    },
    isBase64Encoded: false,
  };
}
