/**
 * A DynamoDB proxy for tests and benchmarks: it sits between real SDK clients (or whole Lambda
 * bundles, through AWS_ENDPOINT_URL_DYNAMODB) and a real engine (dynalite, DynamoDB Local), and
 * - answers chosen requests with the errors only the real service produces (throttling, 500s),
 *   so the SDK's own retry path runs for real, or holds them back, as a slow DynamoDB does;
 * - asks every read and write for its consumed capacity (ReturnConsumedCapacity) and records it,
 *   so the capacity a handler uses can be measured without touching the handler;
 * - enforces, if asked, DynamoDB's throughput per partition key (1,000 write and 3,000 read units
 *   a second, or lower figures for a scaled-down rig), which the local engines do not: a request
 *   touching a key whose units are spent is answered ProvisionedThroughputExceededException, as
 *   DynamoDB answers a hot partition, and the SDK's own retries run.
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

/**
 * Per-partition throughput, enforced per partition key value of each table (a key's items live in
 * one partition). Each key has a bucket of one second's units, refilled continuously; a request
 * is refused while a key it touches has none left. It takes a unit (half for a read) on the way
 * in and the rest of what the engine reports it consumed once answered; a refused condition
 * costs its unit, as in DynamoDB. Index writes are not counted (they land under the index's own
 * keys).
 */
export interface PartitionLimits {
  /** Write units per second per partition key (DynamoDB: 1,000). */
  readonly writeUnitsPerSecond: number;
  /** Read units per second per partition key (DynamoDB: 3,000). */
  readonly readUnitsPerSecond: number;
  /** Each table's partition key attribute, by table name (`table/index` for an index). */
  readonly partitionKeys: Readonly<Record<string, string>>;
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
  /** DynamoDB's per-partition throughput, which local engines do not enforce. */
  readonly partitionLimits?: PartitionLimits;
}

export interface DynamoProxy {
  readonly endpoint: string;
  /** Consumed capacity recorded so far (when recordCapacity is on). */
  readonly capacity: CapacityRecord[];
  /** Requests answered with an injected fault, by operation. */
  readonly faultsInjected: Map<string, number>;
  /** Requests forwarded to the engine, by operation. */
  readonly forwarded: Map<string, number>;
  /** Requests refused for a hot partition key (partitionLimits), by `operation table`. */
  readonly partitionThrottles: Map<string, number>;
  close(): Promise<void>;
}

/** Operations whose request accepts ReturnConsumedCapacity. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan',
  'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export async function startDynamoProxy(options: DynamoProxyOptions): Promise<DynamoProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const capacity: CapacityRecord[] = [];
  const faultsInjected = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const partitionThrottles = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const partitions = options.partitionLimits ? new PartitionBuckets(options.partitionLimits) : undefined;

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

    const keys = partitions ? partitionKeysOf(operation, body, options.partitionLimits!.partitionKeys) : [];
    const write = WRITE_OPERATIONS.has(operation);
    // Each key's unit is taken on the way in, so requests arriving together cannot overdraw it.
    const reserved = write ? 1 : 0.5;
    if (partitions && !partitions.take(keys, write, reserved)) {
      bump(partitionThrottles, `${operation} ${String(body.TableName ?? keys[0]?.split('\u0000')[0] ?? '')}`);
      const text = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'Throughput exceeds the current capacity for one or more partitions. Reduce the request rate to this partition key.',
      });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `proxy-${Date.now().toString(36)}`, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }

    const record = (options.recordCapacity === true || partitions !== undefined) && CAPACITY_OPERATIONS.has(operation);
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
        const consumed = record && answer.statusCode === 200 ? { ...capacityRecord(operation, body, payload), ms: performance.now() - started } : undefined;
        if (consumed && options.recordCapacity) capacity.push(consumed);
        // A refused condition still costs a write; the keys share what the request consumed.
        if (partitions && keys.length > 0 && consumed) partitions.charge(keys, write, Math.max(0, consumed.capacityUnits / keys.length - reserved));
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
    partitionThrottles,
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

/** One bucket of units per partition key and direction. */
class PartitionBuckets {
  private readonly buckets = new Map<string, { units: number; at: number }>();

  constructor(private readonly limits: PartitionLimits) {}

  /** Takes `unitsEach` from every key if each has units left now; false (taking nothing) if one has none. */
  take(keys: readonly string[], write: boolean, unitsEach: number): boolean {
    if (keys.some((key) => this.bucket(key, write).units <= 0)) return false;
    this.charge(keys, write, unitsEach);
    return true;
  }

  charge(keys: readonly string[], write: boolean, unitsEach: number): void {
    for (const key of keys) this.bucket(key, write).units -= unitsEach;
  }

  private bucket(key: string, write: boolean): { units: number; at: number } {
    const rate = write ? this.limits.writeUnitsPerSecond : this.limits.readUnitsPerSecond;
    const id = `${write ? 'w' : 'r'}\u0000${key}`;
    const now = performance.now();
    const b = this.buckets.get(id) ?? { units: rate, at: now };
    b.units = Math.min(rate, b.units + (rate * (now - b.at)) / 1000);
    b.at = now;
    this.buckets.set(id, b);
    return b;
  }
}

type AttributeMap = Record<string, unknown>;

/**
 * The partition keys a request touches, as `table\u0000value` (value as the wire's JSON), for
 * tables named in `partitionKeys`: the item or key of single-item calls and of each batch or
 * transaction entry, and a Query's `pk = :value` condition.
 */
export function partitionKeysOf(operation: string, body: Record<string, unknown>, partitionKeys: Readonly<Record<string, string>>): string[] {
  const of = (table: unknown, item: unknown, index?: unknown): string | undefined => {
    const name = index ? `${String(table)}/${String(index)}` : String(table);
    const attribute = partitionKeys[name];
    const value = attribute && (item as AttributeMap | undefined)?.[attribute];
    return value === undefined || value === '' ? undefined : `${name}\u0000${JSON.stringify(value)}`;
  };
  const keys: Array<string | undefined> = [];
  switch (operation) {
    case 'PutItem':
      keys.push(of(body.TableName, body.Item));
      break;
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      keys.push(of(body.TableName, body.Key));
      break;
    case 'Query': {
      const table = body.IndexName ? `${String(body.TableName)}/${String(body.IndexName)}` : String(body.TableName);
      const attribute = partitionKeys[table];
      const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const values = (body.ExpressionAttributeValues ?? {}) as AttributeMap;
      for (const [, name, placeholder] of String(body.KeyConditionExpression ?? '').matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
        if ((names[name] ?? name) === attribute) keys.push(of(body.TableName, { [attribute]: values[placeholder] }, body.IndexName));
      }
      break;
    }
    case 'BatchWriteItem':
      for (const [table, requests] of Object.entries((body.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }>>)) {
        for (const r of requests) keys.push(of(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key));
      }
      break;
    case 'BatchGetItem':
      for (const [table, request] of Object.entries((body.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>)) {
        for (const key of request.Keys ?? []) keys.push(of(table, key));
      }
      break;
    case 'TransactWriteItems':
    case 'TransactGetItems':
      for (const entry of (body.TransactItems ?? []) as Array<Record<string, { TableName?: string; Item?: unknown; Key?: unknown }>>) {
        for (const action of Object.values(entry)) keys.push(of(action.TableName, action.Item ?? action.Key));
      }
      break;
    default:
      break;
  }
  return [...new Set(keys.filter((k): k is string => k !== undefined))];
}
