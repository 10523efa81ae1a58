/**
 * A DynamoDB proxy for tests and benchmarks: it sits between real SDK clients (or whole Lambda
 * bundles, through AWS_ENDPOINT_URL_DYNAMODB) and a real engine (dynalite, DynamoDB Local), and
 * - answers chosen requests with the errors only the real service produces (throttling, 500s),
 *   so the SDK's own retry path runs for real, or holds them back, as a slow DynamoDB does;
 * - asks every read and write for its consumed capacity (ReturnConsumedCapacity) and records it,
 *   so the capacity a handler uses can be measured without touching the handler.
 * Local engines do not verify request signatures, so rewriting the body is invisible to them.
 */
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** An error answered instead of forwarding the request. */
export interface DynamoFault {
  /** The DynamoDB error code, e.g. ProvisionedThroughputExceededException, ThrottlingException. */
  readonly errorType: string;
  /** 400 for throttling and client errors, 500 for InternalServerError. */
  readonly status: number;
}

export const THROTTLED: DynamoFault = { errorType: 'ProvisionedThroughputExceededException', status: 400 };

export interface CapacityRecord {
  /** The API operation, e.g. Query, PutItem. */
  readonly operation: string;
  readonly tableName?: string;
  readonly indexName?: string;
  /** What the engine reported, summed over tables (batch operations report one entry per table). */
  readonly capacityUnits: number;
  /** Items returned (reads) or sent (batch writes), for per-item figures. */
  readonly items: number;
  /** The request as sent, for callers that need more than the above. */
  readonly request: Record<string, unknown>;
  /** Time from forwarding the request to the engine's answer. */
  readonly ms: number;
}

export interface DynamoProxyOptions {
  /** The engine to forward to, e.g. http://127.0.0.1:8000. */
  readonly target: string;
  /** Decides per request whether to fail it instead of forwarding. */
  readonly faults?: (operation: string, request: Record<string, unknown>) => DynamoFault | undefined;
  /** Add ReturnConsumedCapacity: 'TOTAL' to requests that accept it, and record the answer. */
  readonly recordCapacity?: boolean;
  /**
   * Milliseconds to hold a request before forwarding it: a slow DynamoDB. A request whose caller
   * gives up meanwhile is dropped.
   */
  readonly latency?: (operation: string, request: Record<string, unknown>) => number | undefined;
}

export interface DynamoProxy {
  readonly endpoint: string;
  /** Consumed capacity recorded so far (when recordCapacity is on). */
  readonly capacity: CapacityRecord[];
  /** Requests answered with an injected fault, by operation. */
  readonly faultsInjected: Map<string, number>;
  /** Requests forwarded to the engine, by operation. */
  readonly forwarded: Map<string, number>;
  close(): Promise<void>;
}

/** Operations whose request accepts ReturnConsumedCapacity. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan',
  'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);

export async function startDynamoProxy(options: DynamoProxyOptions): Promise<DynamoProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const capacity: CapacityRecord[] = [];
  const faultsInjected = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readAll(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      // Not JSON: forward untouched and let the engine answer.
    }

    const fault = options.faults?.(operation, body);
    if (fault) {
      bump(faultsInjected, operation);
      const text = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.errorType}`, message: `Injected ${fault.errorType}` });
      res.writeHead(fault.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `proxy-${Date.now().toString(36)}`,
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }

    const latencyMs = options.latency?.(operation, body);
    if (latencyMs && !(await heldUntilAnswered(res, latencyMs))) return;

    const record = options.recordCapacity === true && CAPACITY_OPERATIONS.has(operation);
    const outgoing = record && body.ReturnConsumedCapacity === undefined
      ? Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: 'TOTAL' }))
      : raw;
    bump(forwarded, operation);
    const started = performance.now();
    const headers = { ...req.headers, host: target.host, 'content-length': String(outgoing.length) };
    const upstream = request({
      host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent,
    }, (answer) => {
      readAll(answer).then((payload) => {
        if (record && answer.statusCode === 200) capacity.push({ ...capacityRecord(operation, body, payload), ms: performance.now() - started });
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        res.end(payload);
      }, (error) => res.destroy(error));
    });
    upstream.on('error', (error) => res.destroy(error));
    upstream.end(outgoing);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => res.destroy(error));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    capacity,
    faultsInjected,
    forwarded,
    close: () => new Promise<void>((resolve) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function capacityRecord(operation: string, request: Record<string, unknown>, payload: Buffer): Omit<CapacityRecord, 'ms'> {
  const answer = JSON.parse(payload.toString('utf8')) as {
    ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }>;
    Items?: unknown[];
    Item?: unknown;
    Responses?: Record<string, unknown[]>;
  };
  const consumed = answer.ConsumedCapacity;
  const units = Array.isArray(consumed)
    ? consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0)
    : consumed?.CapacityUnits ?? 0;
  return {
    operation,
    tableName: request.TableName as string | undefined,
    indexName: request.IndexName as string | undefined,
    capacityUnits: units,
    items: itemCount(operation, request, answer),
    request,
  };
}

function itemCount(operation: string, request: Record<string, unknown>, answer: { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> }): number {
  switch (operation) {
    case 'Query':
    case 'Scan':
      return answer.Items?.length ?? 0;
    case 'GetItem':
      return answer.Item ? 1 : 0;
    case 'BatchGetItem':
      return Object.values(answer.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
    case 'BatchWriteItem':
      return Object.values((request.RequestItems ?? {}) as Record<string, unknown[]>).reduce((sum, items) => sum + items.length, 0);
    default:
      return 1;
  }
}

/** Waits `ms`; false if the caller closed the connection first. */
function heldUntilAnswered(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
