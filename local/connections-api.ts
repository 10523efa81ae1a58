/**
 * A local implementation of API Gateway's @connections management API
 * (`POST|GET|DELETE /{stage}/@connections/{connectionId}`), answering as API Gateway does so the
 * real `ApiGatewayManagementApiClient` works against it. The handler tests, the fault tests, the
 * benchmarks and the local runtime all serve this one module.
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { LIMITS } from '../lib/private/runtime-contract';
import { BodyTooLargeError, pathOf, readBody, sendJson } from './http';
import { serveOnLoopback } from './loopback-server';

/** API Gateway refuses posts larger than this. */
const MAX_POST_BYTES = LIMITS.maxFrameBytes;

/** A live connection as the gateway sees it. */
export interface LocalConnection {
  readonly connectionId: string;
  readonly connectedAt: Date;
  lastActiveAt: Date;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** Pushes one text frame to the client. */
  send(data: string): void;
  /** Closes the client's socket (DELETE on the management API). */
  close(): void;
}

/** The set of live connections, shared by the gateway (which adds them) and this API. */
export class ConnectionRegistry {
  private readonly connections = new Map<string, LocalConnection>();

  add(connection: LocalConnection): void {
    this.connections.set(connection.connectionId, connection);
  }

  remove(connectionId: string): void {
    this.connections.delete(connectionId);
  }

  get(connectionId: string): LocalConnection | undefined {
    return this.connections.get(connectionId);
  }

  get size(): number {
    return this.connections.size;
  }

  ids(): string[] {
    return [...this.connections.keys()];
  }
}

/**
 * What a fault injector may make one request do, for tests of delivery under failure.
 * `status` answers with that HTTP status (429 as TooManyRequestsException, 5xx as
 * InternalServerErrorException) without delivering; `reset` destroys the socket; `delayMs`
 * delays the answer (and the delivery) by that long.
 */
export interface FaultAction {
  readonly status?: number;
  readonly reset?: boolean;
  readonly delayMs?: number;
}

export type FaultInjector = (method: string, connectionId: string) => FaultAction | undefined;

export interface ConnectionsApiOptions {
  /** The stage name in the path: `/{stage}/@connections/{id}`. */
  readonly stage: string;
  readonly registry: ConnectionRegistry;
  /** Decides, per request, whether to fail or slow it down. */
  readonly faults?: FaultInjector;
  /** Called after every request is answered, with the status sent. */
  readonly onRequest?: (method: string, connectionId: string, status: number) => void;
}

/**
 * Handles the request if its path is `/{stage}/@connections/…` and returns true; otherwise
 * returns false and leaves the response alone, so the caller can route it elsewhere.
 */
export function handleConnectionsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: ConnectionsApiOptions,
): boolean {
  const prefix = `/${options.stage}/@connections/`;
  const path = pathOf(req);
  if (!path.startsWith(prefix)) return false;

  const connectionId = decodeURIComponent(path.slice(prefix.length));
  const method = req.method ?? 'GET';
  // A body over API Gateway's limit is read to its end but not kept; undefined stands for it.
  readBody(req, MAX_POST_BYTES).catch((error: Error) => {
    if (error instanceof BodyTooLargeError) return undefined;
    throw error;
  }).then((body) => {
    const fault = options.faults?.(method, connectionId);
    const answer = () => {
      if (fault?.reset) {
        req.socket.destroy();
        options.onRequest?.(method, connectionId, 0);
        return;
      }
      const status = fault?.status ?? serve(method, connectionId, body, options.registry, res);
      if (fault?.status) sendError(res, fault.status);
      options.onRequest?.(method, connectionId, status);
    };
    if (fault?.delayMs) setTimeout(answer, fault.delayMs);
    else answer();
  }, () => req.socket.destroy()); // the request broke off: nobody is left to answer
  return true;
}

/** `body` is undefined when it was larger than API Gateway takes. */
function serve(
  method: string,
  connectionId: string,
  body: string | undefined,
  registry: ConnectionRegistry,
  res: ServerResponse,
): number {
  const connection = registry.get(connectionId);
  if (!connection) return sendError(res, 410);
  switch (method) {
    case 'POST':
      if (body === undefined) return sendError(res, 413);
      connection.send(body);
      return sendApiJson(res, 200, undefined);
    case 'GET':
      return sendApiJson(res, 200, {
        connectedAt: connection.connectedAt.toISOString(),
        lastActiveAt: connection.lastActiveAt.toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      });
    case 'DELETE':
      registry.remove(connectionId);
      connection.close();
      return sendApiJson(res, 204, undefined);
    default:
      return sendError(res, 405);
  }
}

const ERRORS: Record<number, { type: string; message: string }> = {
  405: { type: 'MethodNotAllowedException', message: 'Method not allowed' },
  410: { type: 'GoneException', message: 'Connection is gone' },
  413: { type: 'PayloadTooLargeException', message: 'Payload too large' },
  429: { type: 'LimitExceededException', message: 'Too Many Requests' },
};

function sendError(res: ServerResponse, status: number): number {
  const error = ERRORS[status] ?? { type: 'InternalServerErrorException', message: 'Internal server error' };
  res.setHeader('x-amzn-ErrorType', error.type);
  return sendApiJson(res, status, { message: error.message });
}

/** An answer as API Gateway's: JSON with a request id. */
function sendApiJson(res: ServerResponse, status: number, body: unknown): number {
  return sendJson(res, status, body, 'application/json', { 'x-amzn-RequestId': `local-${Date.now().toString(36)}` });
}

export interface ConnectionsApiServer {
  /** The endpoint to give `ApiGatewayManagementApiClient`, e.g. `http://127.0.0.1:PORT/local`. */
  readonly endpoint: string;
  readonly registry: ConnectionRegistry;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves only the @connections API on its own port, for tests that need nothing else. */
export async function startConnectionsApi(
  options: Partial<ConnectionsApiOptions> & { port?: number } = {},
): Promise<ConnectionsApiServer> {
  const stage = options.stage ?? 'local';
  const registry = options.registry ?? new ConnectionRegistry();
  const apiOptions: ConnectionsApiOptions = { stage, registry, faults: options.faults, onRequest: options.onRequest };
  const { server, origin, close } = await serveOnLoopback((req, res) => handleConnectionsRequest(req, res, apiOptions), options.port);
  return { endpoint: `${origin}/${stage}`, registry, server, close };
}
