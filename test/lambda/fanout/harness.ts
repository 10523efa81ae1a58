/**
 * The deliver handler against real components: DynamoDB (embedded), the local @connections API
 * with fault injection, the local SQS API for the delivery queue and the DLQ, and the real SDK
 * clients of the handler pointed at them.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ConnectionRegistry, ConnectionsApiServer, FaultAction, startConnectionsApi } from '../../../local/connections-api';
import { SqsApiServer, SqsFault, startSqsApi, StoredMessage } from '../../../local/sqs-api';
import { createStores, HotTopics, Stores } from '../../../lambda/stores';
import { DEFAULT_SHARD_MAX_BYTES, packShards } from '../../../lambda/fanout/shard-message';
import { DEAD_LETTER_HEADERS } from '../../../lib/private/protocol';
import { handlerEnvironment } from '../../../lib/private/handlers';
import { METRICS_NAMESPACE, METRICS_SERVICE_DIMENSION } from '../../../lib/private/runtime-contract';
import { localSettings } from '../../../local/settings';
import type { TableNames } from '../../../local/dynamodb';
import { loadHandler } from '../../support/handlers';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';
import { schemaMismatch } from '../../support/schema';

const SERVICE_NAME = 'notifications-test';

export type DeliverHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export interface Services {
  readonly dynamo: TestDynamo;
  readonly connectionsApi: ConnectionsApiServer;
  readonly sqs: SqsApiServer;
  /** Decides per @connections request whether to fail it; reset before each test. */
  connectionFaults: (method: string, connectionId: string) => FaultAction | undefined;
  sqsFaults: (request: { action: string; queueUrl: string; entryId?: string }) => SqsFault | undefined;
  /** Milliseconds SQS holds back its answer to a request (which takes effect at once). */
  sqsLatency: (request: { action: string; queueUrl: string }) => number | undefined;
  /** POSTs received by @connections, per connection id, whatever the answer. */
  readonly posts: Map<string, number>;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const dynamo = await startTestDynamo();
  const posts = new Map<string, number>();
  const services: Services = {
    dynamo,
    connectionsApi: undefined as unknown as ConnectionsApiServer,
    sqs: undefined as unknown as SqsApiServer,
    connectionFaults: () => undefined,
    sqsFaults: () => undefined,
    sqsLatency: () => undefined,
    posts,
    async stop() {
      await services.connectionsApi.close();
      await services.sqs.close();
      await dynamo.stop();
    },
  };
  (services as { connectionsApi: ConnectionsApiServer }).connectionsApi = await startConnectionsApi({
    registry: new ConnectionRegistry(),
    faults: (method, id) => services.connectionFaults(method, id),
    onRequest: (method, id) => {
      if (method === 'POST') posts.set(id, (posts.get(id) ?? 0) + 1);
    },
  });
  (services as { sqs: SqsApiServer }).sqs = await startSqsApi({
    faults: (request) => services.sqsFaults(request),
    latency: (request) => services.sqsLatency(request),
  });
  return services;
}

export interface Deployment {
  readonly handler: DeliverHandler;
  readonly stores: Stores;
  readonly tables: TableNames;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Frames each live connection received. */
  readonly frames: Map<string, string[]>;
  /**
   * Opens a connection: its row in DynamoDB and, when live, a socket at the gateway. `openBy`
   * writes the row as $connect does; `opensAfterMs` puts the socket at the gateway only then, as
   * a handshake that finishes after $connect wrote the row.
   */
  connect(connectionId: string, options?: { userId?: string; live?: boolean; topics?: string[]; openBy?: number; opensAfterMs?: number }): Promise<void>;
  /** Runs the handler on a batch made of these bodies. */
  invoke(...bodies: string[]): Promise<SQSBatchResponse>;
  /** Feeds the delivery queue to the handler (delays ignored) until it is empty. */
  drainQueue(): Promise<void>;
  queued(): StoredMessage[];
  deadLetters(): StoredMessage[];
}

/**
 * Fresh queues and a handler loaded with the construct's environment and `env`, on fresh tables
 * or on an earlier deployment's (`tables`: the functions deployed again with new settings).
 */
export async function deploy(services: Services, env: Record<string, string> = {}, reused?: TableNames): Promise<Deployment> {
  const tables = reused ?? await services.dynamo.freshTables();
  const suffix = randomUUID().slice(0, 8);
  const queueUrl = services.sqs.queueUrl(`delivery-${suffix}`);
  const dlqUrl = services.sqs.queueUrl(`delivery-dlq-${suffix}`);
  // The environment the construct gives deliver, from the same contract, with small local numbers.
  const settings = localSettings('http://127.0.0.1:9', {
    serviceName: SERVICE_NAME,
    ...tables,
    callbackUrl: services.connectionsApi.endpoint,
    queueUrl,
    deadLetterQueueUrl: dlqUrl,
    'delivery.postConcurrency': 4,
  });
  const handler = loadHandler<{ handler: DeliverHandler }>('deliver', {
    ...services.dynamo.env,
    ...handlerEnvironment('deliver', settings),
    ...env,
  }).handler;
  // Subscriptions written as the deployment's own functions write them (hot topics spread).
  const stores = createStores(tables, services.dynamo.doc, HotTopics.of({ 'hotTopics.subscriptionRules': JSON.parse(env.HOT_TOPICS_SUBSCRIPTION_RULES ?? '[]') as string[] }));
  const frames = new Map<string, string[]>();
  const registry = services.connectionsApi.registry;

  const invoke = (...bodies: string[]) => handler({ Records: bodies.map((body) => sqsRecord(body, queueUrl)) }, lambdaContext());
  return {
    handler,
    stores,
    tables,
    queueUrl,
    dlqUrl,
    frames,
    async connect(connectionId, options = {}) {
      const now = Date.now();
      await stores.connections.putConnection({ connectionId, userId: options.userId, connectedAt: now, expiresAt: Math.floor(now / 1000) + 3600, openBy: options.openBy });
      for (const topic of options.topics ?? []) {
        await stores.subscriptions.subscribe(topic, connectionId, Math.floor(now / 1000) + 3600);
      }
      if (options.live === false) return;
      frames.set(connectionId, []);
      const open = () => registry.add({
        connectionId,
        connectedAt: new Date(now),
        lastActiveAt: new Date(now),
        sourceIp: '127.0.0.1',
        send: (data) => frames.get(connectionId)!.push(data),
        close: () => registry.remove(connectionId),
      });
      if (options.opensAfterMs === undefined) open();
      else setTimeout(open, options.opensAfterMs);
    },
    invoke,
    async drainQueue() {
      for (let round = 0; round < 50; round++) {
        const messages = services.sqs.store.take(queueUrl, 10, Number.POSITIVE_INFINITY);
        if (messages.length === 0) return;
        const response = await invoke(...messages.map((m) => m.body));
        if (response.batchItemFailures.length > 0) throw new Error(`batch item failures: ${JSON.stringify(response)}`);
      }
      throw new Error('the delivery queue did not drain in 50 batches');
    },
    queued: () => services.sqs.store.messages(queueUrl),
    deadLetters: () => documented(services.sqs.store.messages(dlqUrl)),
  };
}

/** The dead letters, each held to the documented contract: listed attributes only, a listed reason, and words for it. */
function documented(letters: StoredMessage[]): StoredMessage[] {
  for (const letter of letters) {
    const mismatch = schemaMismatch(letter.attributes, { ...DEAD_LETTER_HEADERS, required: ['reason', 'reasonMessage'] });
    if (mismatch !== undefined) throw new Error(`A dead letter breaks the documented attributes (${mismatch}): ${JSON.stringify(letter.attributes)}`);
  }
  return letters;
}

let sequence = 0;

/** The body EventBridge puts on the queue for one PutEvents entry. */
export function bridgeEvent(detail: unknown, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    'version': '0',
    'id': `evt-${++sequence}-${randomUUID().slice(0, 8)}`,
    'detail-type': 'Notification',
    'source': 'orders-service',
    'account': '000000000000',
    'time': '2026-11-22T10:00:00Z',
    'region': 'us-east-1',
    'resources': [],
    detail,
    ...overrides,
  });
}

/** A shard message of the first attempt, as deliver writes it. */
export function shardBody(notificationId: string, connectionIds: string[]): string {
  const notification = { id: notificationId, target: { topic: 'shards' }, data: 1, time: '2026-11-22T10:00:00.000Z' };
  return packShards(notification, connectionIds, 1, { maxIds: 1000, maxBytes: DEFAULT_SHARD_MAX_BYTES })[0].body;
}

/** A record as the event source mapping passes it; `receiveCount` counts this receive. */
export function sqsRecord(body: string, queueUrl: string, receiveCount = 1): SQSRecord {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(now),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
    awsRegion: 'us-east-1',
  };
}

/** A Lambda context with `remainingMs` left before the function times out. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'deliver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:deliver',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/deliver',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Keeps the CloudWatch EMF lines the handlers print (Powertools metrics) off the test output and
 * records them, so tests can assert on metric values. Call in beforeAll; returns the restorer.
 */
const emfLines: string[] = [];
export function recordMetrics(): () => void {
  const original = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    emfLines.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
    return true;
  }) as typeof process.stdout.write);
  return () => spy.mockRestore();
}

/**
 * The metric values printed while `run` ran, summed by name. Every metric must be in the namespace
 * and carry only the `service` dimension the construct's metric*() methods and alarms read.
 */
export async function captureMetrics<T>(run: () => Promise<T>): Promise<{ result: T; metrics: Record<string, number> }> {
  const mark = emfLines.length;
  const result = await run();
  const metrics: Record<string, number> = {};
  for (const line of emfLines.slice(mark)) {
    const emf = JSON.parse(line);
    expect(emf[METRICS_SERVICE_DIMENSION]).toBe(SERVICE_NAME);
    for (const directive of emf._aws.CloudWatchMetrics) {
      expect(directive.Namespace).toBe(METRICS_NAMESPACE);
      expect(directive.Dimensions).toEqual([[METRICS_SERVICE_DIMENSION]]);
      for (const { Name } of directive.Metrics) {
        const values: number[] = Array.isArray(emf[Name]) ? emf[Name] : [emf[Name]];
        metrics[Name] = (metrics[Name] ?? 0) + values.reduce((a, b) => a + b, 0);
      }
    }
  }
  return { result, metrics };
}

/** The notification frames a connection received, parsed. */
export function parsedFrames(deployment: Deployment, connectionId: string): Array<Record<string, unknown>> {
  return (deployment.frames.get(connectionId) ?? []).map((f) => JSON.parse(f));
}
