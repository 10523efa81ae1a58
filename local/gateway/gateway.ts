/**
 * A WebSocket gateway that behaves like API Gateway for this API's routes: $connect through a
 * REQUEST authorizer with no identity sources, as the construct deploys it (every handshake
 * reaches the authorizer), and the connect integration (refused before the upgrade; the
 * subprotocol in the handshake answer is the one the integration returns, if any), route
 * selection on `$request.body.action`, route responses, $disconnect on every close, API
 * Gateway's limits (128 KB messages, idle timeout, maximum connection duration). Connections it
 * accepts are put in the ConnectionRegistry that the @connections API serves.
 */
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { LIMITS } from '../../lib/private/runtime-contract';
import { ConnectionRegistry, LocalConnection } from '../connections-api';
import { HandlerError } from '../lambda/invoker';
import { evaluateAuthorizerResult } from './authorization';
import {
  apiGatewayId,
  ApiDescription,
  authorizerEvent,
  AuthorizerContext,
  ConnectionFacts,
  connectEvent,
  disconnectEvent,
  HandshakeFacts,
  messageEvent,
  methodArn,
} from './events';
import { selectRoute } from './routes';

/** Invokes one Lambda function with an event and resolves with its result. */
export type Invoke = (event: unknown) => Promise<unknown>;

export interface GatewayIntegrations {
  /** The $connect REQUEST authorizer; without one, every handshake reaches $connect (ConnectionAuth.none()). */
  readonly authorizer?: Invoke;
  readonly connect: Invoke;
  readonly disconnect: Invoke;
  /** Message routes by route key; `$default` included. */
  readonly routes: Readonly<Record<string, Invoke>>;
}

export interface GatewayOptions {
  readonly api: ApiDescription;
  readonly registry: ConnectionRegistry;
  readonly integrations: GatewayIntegrations;
  /** API Gateway's limit: 128 KB. Larger messages close the connection with 1009. */
  readonly maxMessageBytes?: number;
  /** Closes connections with no message from the client for this long (API Gateway: 10 minutes). */
  readonly idleTimeoutMs?: number;
  /** Closes every connection after this long (API Gateway: 2 hours). */
  readonly maxConnectionMs?: number;
  /**
   * How long after $connect returns the connection opens. On AWS the handshake takes a moment to
   * finish, and until it has, @connections answers 410 for the connection (as here): a delay
   * widens that window so tests can run the race between a delivery and a connect. @default 0
   */
  readonly handshakeDelayMs?: number;
  readonly log?: (line: string) => void;
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests', 500: 'Internal Server Error' };

/** API Gateway's close codes and reasons for the closes it initiates. */
const CLOSE = {
  idle: { code: 1001, reason: 'Going away', disconnectReason: 'Connection Idle Timeout' },
  maxDuration: { code: 1001, reason: 'Going away', disconnectReason: 'Connection Duration Exceeded' },
  deleted: { code: 1000, reason: '', disconnectReason: 'Connection deleted through the @connections API' },
  shutdown: { code: 1001, reason: 'Going away', disconnectReason: 'Local runtime shutting down' },
} as const;

interface GatewayConnection extends LocalConnection {
  readonly facts: ConnectionFacts;
  readonly authorizer?: AuthorizerContext;
  readonly socket: WebSocket;
  /** Set when the gateway closes the connection itself. */
  serverClose?: (typeof CLOSE)[keyof typeof CLOSE];
  /** Set when the gateway is made to forget the connection without running $disconnect. */
  lost?: boolean;
  /** Settles once the socket is closed and $disconnect has run. */
  finished?: Promise<void>;
}

export class WebSocketGateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<string, GatewayConnection>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly routeKeys: ReadonlySet<string>;
  /** Connections with no message from the client for this long are closed. */
  readonly idleTimeoutMs: number;
  /** Every connection is closed after this long. */
  readonly maxConnectionMs: number;

  /** The subprotocol each accepted handshake answers with: what $connect returned, as API Gateway does. */
  private readonly answeredProtocols = new WeakMap<IncomingMessage, string>();

  constructor(private readonly options: GatewayOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes ?? LIMITS.maxFrameBytes,
      // ws would answer with the first offered subprotocol by itself; API Gateway never does.
      handleProtocols: () => false,
    });
    this.wss.on('headers', (headers, req) => {
      const protocol = this.answeredProtocols.get(req);
      if (protocol !== undefined) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
    this.routeKeys = new Set(Object.keys(options.integrations.routes));
    this.idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutSeconds * 1000;
    this.maxConnectionMs = options.maxConnectionMs ?? LIMITS.maxConnectionSeconds * 1000;
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /** Handles an HTTP upgrade for `/{stage}`; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== `/${this.options.api.stage}` && url.pathname !== `/${this.options.api.stage}/`) return false;
    socket.on('error', () => socket.destroy());
    this.track(this.connect(req, socket, head, url.searchParams));
    return true;
  }

  /**
   * Forgets a connection and drops its socket without a close frame and without running
   * $disconnect, as when API Gateway's best-effort $disconnect never arrives. Its rows stay in
   * DynamoDB until a delivery finds it gone (410) or its TTL passes.
   */
  loseConnection(connectionId: string): boolean {
    const connection = this.connections.get(connectionId);
    if (!connection) return false;
    connection.lost = true;
    this.forget(connectionId);
    connection.socket.terminate();
    return true;
  }

  /** Closes every connection (running $disconnect for each) and waits for the handlers to finish. */
  async closeAll(): Promise<void> {
    const open = [...this.connections.values()];
    for (const connection of open) this.serverClose(connection, CLOSE.shutdown);
    // Clients that do not answer the close frame are dropped rather than waited for.
    const drop = setTimeout(() => open.forEach((c) => c.socket.terminate()), 2_000);
    await Promise.allSettled(open.map((c) => c.finished));
    clearTimeout(drop);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.wss.close();
  }

  private async connect(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): Promise<void> {
    const { api, integrations } = this.options;
    const facts: ConnectionFacts = {
      connectionId: apiGatewayId(),
      connectedAt: Date.now(),
      domainName: req.headers.host ?? '127.0.0.1',
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: req.headers['user-agent'],
    };
    const handshake: HandshakeFacts = { rawHeaders: req.rawHeaders, query };

    const authorized = await this.authorize(socket, facts, handshake);
    if (!authorized.ok) return;
    const authorizer = authorized.context;

    try {
      const result = await integrations.connect(connectEvent(api, facts, handshake, authorizer));
      const status = statusCodeOf(result);
      if (status < 200 || status > 299) {
        this.log(`$connect integration answered ${status}; connection refused`);
        return refuse(socket, status >= 400 && status <= 599 ? status : 500);
      }
      const protocol = subprotocolOf(result);
      if (protocol !== undefined) this.answeredProtocols.set(req, protocol);
      else if (req.headers['sec-websocket-protocol'] !== undefined) {
        this.log('$connect returned no Sec-WebSocket-Protocol header although the client offered subprotocols; browsers drop such a connection');
      }
    } catch (error) {
      this.log(`$connect integration failed: ${(error as Error).message}`);
      return refuse(socket, 500);
    }

    if (this.options.handshakeDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.handshakeDelayMs));
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway still sends $disconnect.
      await this.disconnect(facts, authorizer, 1006, 'Client left during $connect');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, facts, authorizer));
  }

  /** Runs the REQUEST authorizer as API Gateway does; on refusal the handshake is answered here. */
  private async authorize(socket: Duplex, facts: ConnectionFacts, handshake: HandshakeFacts):
  Promise<{ ok: true; context?: AuthorizerContext } | { ok: false }> {
    const { api, integrations } = this.options;
    if (!integrations.authorizer) return { ok: true };
    try {
      const started = Date.now();
      const result = await integrations.authorizer(authorizerEvent(api, facts, handshake));
      const verdict = evaluateAuthorizerResult(result, methodArn(api, '$connect'));
      if (!verdict.allowed) {
        this.log(`$connect refused (${verdict.status}): ${verdict.reason}`);
        refuse(socket, verdict.status);
        return { ok: false };
      }
      return { ok: true, context: { ...verdict.context, integrationLatency: Date.now() - started } };
    } catch (error) {
      // Lambda authorizers refuse by throwing exactly "Unauthorized"; anything else is a failure.
      const unauthorized = error instanceof HandlerError && error.errorMessage === 'Unauthorized';
      this.log(unauthorized
        ? '$connect refused (401): the authorizer answered Unauthorized (its own log line says why)'
        : `$connect authorizer failed: ${(error as Error).message}`);
      refuse(socket, unauthorized ? 401 : 500);
      return { ok: false };
    }
  }

  private accept(ws: WebSocket, facts: ConnectionFacts, authorizer: AuthorizerContext | undefined): void {
    const connection: GatewayConnection = {
      connectionId: facts.connectionId,
      connectedAt: new Date(facts.connectedAt),
      lastActiveAt: new Date(facts.connectedAt),
      sourceIp: facts.sourceIp,
      userAgent: facts.userAgent,
      facts,
      authorizer,
      socket: ws,
      send: (data: string) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(data);
      },
      close: () => this.serverClose(connection, CLOSE.deleted),
    };
    this.connections.set(facts.connectionId, connection);
    this.options.registry.add(connection);

    let idleTimer = setTimeout(() => this.serverClose(connection, CLOSE.idle), this.idleTimeoutMs);
    const maxTimer = setTimeout(() => this.serverClose(connection, CLOSE.maxDuration), this.maxConnectionMs);
    // Messages from one client are handled in order, so a subscribe is answered before the next frame runs.
    let queue: Promise<void> = Promise.resolve();

    ws.on('message', (data, isBinary) => {
      connection.lastActiveAt = new Date();
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => this.serverClose(connection, CLOSE.idle), this.idleTimeoutMs);
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      queue = queue.then(() => this.track(this.message(connection, buffer, isBinary)));
    });
    // Oversized messages: ws closes with 1009 by itself and reports the error here.
    ws.on('error', (error) => this.log(`connection ${facts.connectionId}: ${error.message}`));
    connection.finished = new Promise<void>((resolve) => ws.on('close', (code, reason) => {
      clearTimeout(idleTimer);
      clearTimeout(maxTimer);
      this.forget(facts.connectionId);
      if (connection.lost) return resolve();
      const why = connection.serverClose?.disconnectReason ?? (reason.toString('utf8') || describeCloseCode(code));
      this.track(queue.then(() => this.disconnect(facts, authorizer, code, why))).finally(resolve);
    }));
  }

  private async message(connection: GatewayConnection, data: Buffer, isBinary: boolean): Promise<void> {
    const { api, integrations } = this.options;
    const frame = isBinary ? undefined : data.toString('utf8');
    const routeKey = selectRoute(frame, this.routeKeys);
    const integration = integrations.routes[routeKey];
    if (!integration) return; // no $default route: API Gateway drops the frame
    const event = messageEvent(api, connection.facts, routeKey, frame ?? data.toString('base64'), isBinary, connection.authorizer);
    try {
      const result = await integration(event);
      const body = routeResponseBody(result);
      if (body !== undefined) connection.send(body);
    } catch (error) {
      this.log(`${routeKey} integration failed: ${(error as Error).message}`);
      connection.send(JSON.stringify({
        message: 'Internal server error',
        connectionId: connection.connectionId,
        requestId: event.requestContext.requestId,
      }));
    }
  }

  private async disconnect(facts: ConnectionFacts, authorizer: AuthorizerContext | undefined, code: number, reason: string): Promise<void> {
    try {
      await this.options.integrations.disconnect(disconnectEvent(this.options.api, facts, code, reason, authorizer));
    } catch (error) {
      this.log(`$disconnect integration failed: ${(error as Error).message}`);
    }
  }

  private serverClose(connection: GatewayConnection, why: (typeof CLOSE)[keyof typeof CLOSE]): void {
    connection.serverClose ??= why;
    this.forget(connection.connectionId);
    connection.socket.close(why.code, why.reason);
  }

  private forget(connectionId: string): void {
    this.connections.delete(connectionId);
    this.options.registry.remove(connectionId);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

/** Answers the handshake with an HTTP error, as API Gateway does, and never upgrades. */
function refuse(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const text = STATUS_TEXT[status] ?? 'Error';
  const body = JSON.stringify({ message: text });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The `Sec-WebSocket-Protocol` header of a $connect integration's answer (any letter case). */
function subprotocolOf(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const headers = (result as { headers?: unknown }).headers;
  if (!headers || typeof headers !== 'object') return undefined;
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'sec-websocket-protocol');
  return typeof entry?.[1] === 'string' && entry[1] !== '' ? entry[1] : undefined;
}

function statusCodeOf(result: unknown): number {
  if (result === null || result === undefined) return 200;
  if (typeof result === 'object' && typeof (result as { statusCode?: unknown }).statusCode === 'number') {
    return (result as { statusCode: number }).statusCode;
  }
  return 200;
}

/** The frame a two-way route sends back: the integration's `body` (or a bare string result). */
function routeResponseBody(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (result && typeof result === 'object') {
    const body = (result as { body?: unknown }).body;
    if (typeof body === 'string') return body;
    if (body !== undefined && body !== null) return JSON.stringify(body);
  }
  return undefined;
}

function describeCloseCode(code: number): string {
  if (code === 1005) return 'Client-side close frame status not set';
  if (code === 1006) return 'Connection closed abnormally';
  if (code === 1009) return 'Message too big';
  return '';
}
