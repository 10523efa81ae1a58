/**
 * Posts frames through API Gateway's @connections API and classifies every answer for the fan-out
 * engine. One client per Lambda instance, over keep-alive sockets sized to the delivery
 * concurrency, with the SDK's own retries off: the engine retries, with backoff that adapts to
 * throttling across every post in flight.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { Poster, PostResult } from '../core/fanout';

export interface ConnectionsClientOptions {
  /** The @connections endpoint (the construct's callback URL). */
  readonly endpoint: string;
  /** Posts in flight at most; the socket pool is sized to it. */
  readonly maxSockets: number;
  /** Gives up on a post that has not been answered within this long (it is retried). */
  readonly requestTimeoutMs?: number;
}

export function createConnectionsClient(options: ConnectionsClientOptions): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  return new ApiGatewayManagementApiClient({
    endpoint: options.endpoint,
    maxAttempts: 1,
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: 2_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
    },
  });
}

const DELIVERED: PostResult = { status: 'delivered' };
const GONE: PostResult = { status: 'gone' };

export function createConnectionsPoster(client: ApiGatewayManagementApiClient): Poster {
  return async (connectionId, frame) => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: frame }));
      return DELIVERED;
    } catch (error) {
      return classifyPostError(error);
    }
  };
}

/** What an error from PostToConnection means for delivery. */
export function classifyPostError(error: unknown): PostResult {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const detail = `${name}: ${e?.message ?? String(error)}`;
  if (status === 410 || name === 'GoneException') return GONE;
  if (status === 429 || name === 'LimitExceededException' || name === 'TooManyRequestsException' || name === 'ThrottlingException') {
    return { status: 'failed', reason: 'THROTTLED', retryable: true, detail };
  }
  if (status === 413 || name === 'PayloadTooLargeException') {
    return { status: 'failed', reason: 'PAYLOAD_TOO_LARGE', retryable: false, detail };
  }
  if (status === 403 || name === 'ForbiddenException') {
    return { status: 'failed', reason: 'FORBIDDEN', retryable: false, detail };
  }
  if (status !== undefined && status >= 500) return { status: 'failed', reason: 'SERVER_ERROR', retryable: true, detail };
  if (status !== undefined && status >= 400) return { status: 'failed', reason: 'REJECTED', retryable: false, detail };
  // No HTTP answer at all: reset, refused, timed out.
  return { status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail };
}
