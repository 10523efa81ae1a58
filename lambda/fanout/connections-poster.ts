/**
 * Posts frames to connections through API Gateway's @connections API
 * (`POST {callback URL}/@connections/{connectionId}`) and classifies every answer for the fan-out
 * engine, which does the retrying.
 *
 * Why not ApiGatewayManagementApiClient: on this path its middleware stack and serde cost about
 * 0.6 ms of CPU per post, which held one instance to about a third of what its posts in flight
 * allow (concurrency ÷ latency). The request is one signed POST, so it is built here, signed by
 * request-signer.ts with the environment's credentials, over keep-alive sockets sized to the
 * delivery concurrency: a delivered post then costs the deliver process about 0.2 ms of CPU in
 * the fan-out benchmark, signing included. Answers are classified by HTTP status and
 * `x-amzn-ErrorType`, the way the SDK names its exceptions.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, ClientRequest, IncomingMessage, request as httpRequest, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PostResult, Poster } from './fanout';
import { isLoopbackHttpUrl } from '../runtime/loopback';
import { escapeUri } from '../runtime/uri-escape';
import { createRequestSigner, RequestSigner } from './request-signer';

export interface ConnectionsPosterOptions {
  /** The @connections endpoint: the construct's callback URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  /** Posts in flight at most; the socket pool is sized to it. */
  readonly maxSockets: number;
  /**
   * Gives up on a post not answered within this long (it counts as a network error, retried); a
   * post may ask for less. @default 5000
   */
  readonly requestTimeoutMs?: number;
  /** @default a signer for execute-api with AWS_REGION and the environment's credentials */
  readonly signer?: RequestSigner;
}

export interface ConnectionsPoster {
  readonly post: Poster;
  /**
   * Asks whether a connection is still open (`GET @connections/{id}`): `delivered` means open,
   * `gone` closed; a failure says nothing either way.
   */
  readonly probe: (connectionId: string) => Promise<PostResult>;
  /** Closes a connection (`DELETE @connections/{id}`): `delivered` means closed, `gone` already closed. */
  readonly disconnect: (connectionId: string) => Promise<PostResult>;
  /** Closes the pooled sockets. */
  close(): void;
}

export const DEFAULT_POST_TIMEOUT_MS = 5_000;

/** Error bodies are short JSON (`{"message": …}`); more than this is not read into memory. */
const MAX_ERROR_BODY_BYTES = 4_096;

const DELIVERED: PostResult = { status: 'delivered' };
const NO_BODY = new Uint8Array(0);
const GONE: PostResult = { status: 'gone' };

export function createConnectionsPoster(options: ConnectionsPosterOptions): ConnectionsPoster {
  const url = new URL(options.endpoint);
  const secure = url.protocol === 'https:';
  if (!secure && !isLoopbackHttpUrl(url)) {
    throw new Error(`The @connections endpoint ${options.endpoint} must be an https URL `
      + '(plain http is accepted only for loopback hosts, such as the local runtime\'s).');
  }
  const signer = options.signer ?? createRequestSigner();
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const basePath = url.pathname.replace(/\/+$/, '');
  // The same bytes go to every connection of a fan-out: hash them once, not once per post.
  const payloadHashes = new WeakMap<Uint8Array, string>();

  const request = async (method: 'POST' | 'GET' | 'DELETE', connectionId: string, body: Uint8Array, requestTimeoutMs?: number): Promise<PostResult> => {
    let payloadHash = payloadHashes.get(body);
    if (payloadHash === undefined) {
      payloadHash = createHash('sha256').update(body).digest('hex');
      payloadHashes.set(body, payloadHash);
    }
    const path = `${basePath}/@connections/${escapeUri(connectionId)}`;
    let headers: string[];
    try {
      headers = await signer.sign({
        method, host: url.host, path, contentType: method === 'POST' ? 'application/octet-stream' : undefined, contentLength: body.byteLength, payloadHash,
      });
    } catch (error) {
      // Only credentials can fail here: no request can be authorized without them.
      return {
        status: 'failed', reason: 'FORBIDDEN', retryable: false,
        detail: `Could not sign the @connections request (${describe(error)}). The function needs AWS credentials in its environment.`,
      };
    }
    const timeout = requestTimeoutMs !== undefined && requestTimeoutMs > 0 ? Math.min(timeoutMs, requestTimeoutMs) : timeoutMs;
    return exchange(send, { agent, method, hostname: url.hostname, port: url.port || undefined, path, headers }, body, timeout);
  };

  const post: Poster = (connectionId, frame, postTimeoutMs) => request('POST', connectionId, frame, postTimeoutMs);
  const probe = (connectionId: string) => request('GET', connectionId, NO_BODY);
  const disconnect = (connectionId: string) => request('DELETE', connectionId, NO_BODY);

  return { post, probe, disconnect, close: () => agent.destroy() };
}

type Send = (options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest;

/** One request and its answer; never rejects. Response bodies are always read, so the socket goes back to the pool. */
function exchange(send: Send, options: RequestOptions, body: Uint8Array, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(options, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (status >= 300 && size < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      // An answer cut short still says what API Gateway decided: the status line came.
      res.on('error', () => undefined);
      res.on('close', () => finish(classifyAnswer(status, header(res, 'x-amzn-errortype'), Buffer.concat(chunks).toString('utf8'))));
    });
    const timer = setTimeout(() => {
      finish(networkFailure(`TimeoutError: no answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish(networkFailure(describe(error))));
    req.end(body);
  });
}

/**
 * What an HTTP answer from @connections means for delivery. `errorType` is the
 * `x-amzn-ErrorType` header (the SDK's exception name), `body` the JSON error body.
 */
export function classifyAnswer(status: number, errorType?: string, body?: string): PostResult {
  if (status >= 200 && status < 300) return DELIVERED;
  const name = errorType?.split(':')[0] || `HTTP ${status}`;
  const detail = `${name}: ${errorMessage(body) ?? `status ${status}`}`;
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
  if (status >= 500) return { status: 'failed', reason: 'SERVER_ERROR', retryable: true, detail };
  return { status: 'failed', reason: 'REJECTED', retryable: false, detail };
}

/** No HTTP answer at all: reset, refused, timed out. Worth trying again. */
function networkFailure(detail: string): PostResult {
  return { status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail };
}

function errorMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: the text itself, shortened.
  }
  return body.slice(0, 200);
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describe(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string } | undefined;
  return `${e?.code ?? e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
}
