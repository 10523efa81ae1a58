/**
 * The whole sample system on one machine, on one port: the WebSocket gateway, the @connections
 * API, the event bus with the construct's rule, the delivery queue and its dead-letter queue, the
 * handler bundles wired with the construct's settings, DynamoDB, a development token issuer and
 * the demo page. `startLocalRuntime()` is what `npm start` and the end-to-end tests run.
 */
import { existsSync } from 'node:fs';
import { createServer, RequestListener, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { handlerEnvironment, mobilePushApps, RuntimeSettings } from '../lib/private/handlers';
import {
  HANDLER_NAMES,
  HandlerName,
  MESSAGE_ROUTES,
  misaddressedEventPattern,
  notificationEventPattern,
  ROUTE_FUNCTION_TIMEOUT_SECONDS,
  TOKEN_EXPIRY_TIMER_PREFIX,
  VISIBILITY_TIMEOUT_FACTOR,
} from '../lib/private/runtime-contract';
import { SETTINGS } from '../lib/private/settings';
import { DevIssuer, TokenOptions } from './auth/dev-issuer';
import { BusRule, LocalEventBus } from './bus/event-bus';
import { ConnectionRegistry, FaultInjector, handleConnectionsRequest } from './connections-api';
import { serveDemo } from './demo/serve';
import { createPayloadBucket } from './s3';
import { createTables, LOCAL_AWS, LocalDynamo, startDynamo, tableDefinitions } from './dynamodb';
import { WebSocketGateway } from './gateway/gateway';
import { pathOf, sendJson } from './http';
import { LambdaFunction } from './lambda/invoker';
import { EventSourceMapping } from './queue/event-source-mapping';
import { LocalQueue, QueuedMessage } from './queue/queue';
import {
  LOCAL_ACCOUNT,
  LOCAL_API_ID,
  LOCAL_AUDIENCE,
  LOCAL_EVENT_BUS,
  LOCAL_REGION,
  LOCAL_STAGE,
  checkSettingRanges,
  localSettings,
  queueArn,
} from './settings';
import { handleSqsRequest, LocalQueueStore } from './sqs-api';
import { handleSecretsRequest } from './secrets-api';
import { LocalSns } from './sns-api';
import { LocalPushService } from './push/push-service';
import { generateVAPIDKeys } from 'web-push';
import { LOOPBACK_HTTP_ENDPOINTS } from '../lib/private/push-endpoints';
import { TtlSweeper } from './ttl-sweeper';

export interface LocalRuntimeOptions {
  /** 0 picks a free port. @default 3001 */
  readonly port?: number;
  /** Use this DynamoDB endpoint (DynamoDB Local, say) instead of the embedded engine. */
  readonly dynamodbEndpoint?: string;
  /**
   * An S3 endpoint (moto's server: local/s3.ts) for the payload bucket, which the runtime creates
   * there. Without one, a notification too large for a frame cannot be stored: its record fails
   * until it is dead-lettered (RETRIES_EXHAUSTED). @default none
   */
  readonly s3Endpoint?: string;
  /**
   * Keep the embedded DynamoDB's tables (connections, subscriptions, history…) in this folder, so
   * a restart finds them again (`npm start -- --data-dir .data`). @default in memory: lost on stop
   */
  readonly dataDir?: string;
  /** @default 600000 (API Gateway's 10 minutes) */
  readonly idleTimeoutMs?: number;
  /** @default 7200000 (API Gateway's 2 hours) */
  readonly maxConnectionMs?: number;
  /** How long after $connect returns a connection opens (see GatewayOptions). @default 0 */
  readonly handshakeDelayMs?: number;
  /** Shorthand for settings.allowBroadcast. @default false */
  readonly allowBroadcast?: boolean;
  /** Any construct setting by its prop's name, e.g. `{ 'delivery.shardThreshold': 100, 'connections.maxSubscriptions': 5 }`. */
  readonly settings?: Partial<RuntimeSettings>;
  /** The event source mapping and queue, as the construct configures them. */
  readonly queue?: {
    readonly batchSize?: number;
    /** Batches delivered at once. @default 5 */
    readonly maxConcurrency?: number;
    /**
     * Execution environments deliver runs in, up to one per batch in flight, as Lambda scales out.
     * More than one delivers batches truly side by side, so positions follow arrival rather than
     * publishing order, and each enforces its share of `delivery.maxRatePerSecond`. @default 1
     */
    readonly deliverEnvironments?: number;
    /** @default 360 (six times the deliver timeout) */
    readonly visibilityTimeoutSeconds?: number;
    /** Shorthand for settings['delivery.maxReceiveCount']: the queue's redrive and deliver read the one value. @default 5 */
    readonly maxReceiveCount?: number;
  };
  /** Makes chosen @connections requests fail or slow down, for tests of delivery under failure. */
  readonly connectionsFaults?: FaultInjector;
  /** How often expired rows are deleted when the engine does not (embedded). 0 turns it off. @default 60000 */
  readonly ttlSweepIntervalMs?: number;
  /** Where the handler bundles are. @default <package root>/assets */
  readonly assetsDir?: string;
  /** The client library the demo page loads as /client.js. @default <package root>/client/dist/index.js (`npm run client:build`) */
  readonly clientBundle?: string;
  /** Powertools log level inside the handlers. @default 'WARN' */
  readonly handlerLogLevel?: string;
  /** Emit the handlers' CloudWatch EMF metric lines to the handler log. @default false */
  readonly handlerMetrics?: boolean;
  /** Runtime messages (refused connections, unmatched events, crashed batches…). */
  readonly log?: (line: string) => void;
  /** Every line the handlers write. */
  readonly handlerLog?: (functionName: HandlerName, line: string) => void;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly sentAt: string;
  readonly receiveCount: number;
  /** `redrive` when the delivery queue gave up on it after maxReceiveCount receives; `sent` when deliver put it there. */
  readonly origin: 'redrive' | 'sent';
  readonly messageAttributes: Record<string, string>;
  /** The message body, parsed when it is JSON. */
  readonly body: unknown;
}

export interface LocalRuntime {
  /** `http://127.0.0.1:PORT`: the EventBridge, SQS and demo endpoint. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/local`: connect with `?token=`, or offer subprotocols `realtime.v1` and `token.<JWT>`. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT/local`: the @connections endpoint. */
  readonly callbackUrl: string;
  readonly port: number;
  readonly eventBusName: string;
  /** The settings the handlers were given. */
  readonly settings: RuntimeSettings;
  readonly dynamo: LocalDynamo;
  readonly registry: ConnectionRegistry;
  readonly gateway: WebSocketGateway;
  readonly bus: LocalEventBus;
  readonly deliveryQueue: LocalQueue;
  readonly deadLetterQueue: LocalQueue;
  readonly eventSourceMapping: EventSourceMapping;
  readonly functions: Readonly<Record<HandlerName, LambdaFunction>>;
  /** The local Web Push service: subscriptions on this runtime, and the pushes they received, decrypted. */
  readonly push: LocalPushService;
  /** SNS for mobile push: the endpoints device tokens became, and what was published to them. */
  readonly sns: LocalSns;
  /** The VAPID public key the deliver function signs pushes with: browsers subscribe with it. */
  readonly vapidPublicKey: string;
  /** A token the local issuer signed for `userId`. */
  token(userId: string, options?: TokenOptions): Promise<string>;
  /** Resolves once every queued notification has been handled (retries and redrive included). */
  drained(): Promise<void>;
  deadLetters(): DeadLetter[];
  /** Closes every connection (running $disconnect), finishes queued work in flight, and stops. */
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const assetsDir = options.assetsDir ?? join(__dirname, '..', 'assets');
  assertBundlesBuilt(assetsDir);

  // Listen first: the issuer, callback and queue URLs all name the port.
  const front = await listenFront(options.port ?? 3001);
  const { port, url } = front;
  const stops = new StopSequence();
  stops.add(() => closeServer(front.server));

  try {
    const settings = resolveSettings(url, options);
    const dynamo = await startDynamo({
      endpoint: options.dynamodbEndpoint,
      ...(options.dataDir && !options.dynamodbEndpoint ? { dataDir: join(options.dataDir, 'dynamodb') } : {}),
    });
    stops.add(() => dynamo.stop());
    await createTables(dynamo.client, settings);
    if (options.s3Endpoint) await createPayloadBucket(options.s3Endpoint, settings.payloadBucket);

    const issuer = await DevIssuer.create({
      issuer: settings.auth.issuer ?? `${url}/dev`,
      audience: settings.auth.audience?.[0] ?? LOCAL_AUDIENCE,
      pathPrefix: '/dev',
    });

    // The VAPID keys in the local Secrets Manager, as a team stores them for the construct.
    const vapid = generateVAPIDKeys();
    const secrets = new Map([[settings['push.vapidKeys'], JSON.stringify({ ...vapid, subject: 'mailto:local@example.com' })]]);
    const push = new LocalPushService(url, `/${LOCAL_STAGE}/push`, vapid.publicKey);
    const sns = new LocalSns(LOCAL_REGION, LOCAL_ACCOUNT);

    const functions = createFunctions(settings, assetsDir, url, dynamo.endpoint, options);
    stops.add(() => Promise.all(Object.values(functions).map((fn) => fn.stop())).then(() => undefined));

    const queues = createQueues(settings, options.queue ?? {});
    stops.add(() => { queues.delivery.close(); queues.deadLetters.close(); });
    const bus = createBus(settings, queues, log);
    const eventSourceMapping = startEventSourceMapping(queues.delivery, functions, options.queue ?? {}, log);
    stops.add(() => eventSourceMapping.stop());

    const registry = new ConnectionRegistry();
    const gateway = createGateway(settings, registry, functions, options, log);
    // Runs before the server closes, so $disconnect still reaches DynamoDB.
    stops.add(() => gateway.closeAll());

    const sweeper = startTtlSweeper(dynamo, settings, options.ttlSweepIntervalMs ?? 60_000, log);
    if (sweeper) stops.add(() => sweeper.stop());

    const parts: RuntimeParts = {
      url, port, settings, dynamo, issuer, functions, queues, bus, eventSourceMapping, registry, gateway, options, secrets, push, sns, vapidPublicKey: vapid.publicKey,
      deadLetters: () => queues.deadLetters.peekAll().map(toDeadLetter),
      stop: () => stops.runAll(),
    };
    front.serve(routeRequests(parts), gateway);
    return runtimeHandle(parts);
  } catch (error) {
    await stops.runAll();
    throw error;
  }
}

function assertBundlesBuilt(assetsDir: string): void {
  const missing = HANDLER_NAMES.filter((name) => !existsSync(join(assetsDir, name, 'index.js')));
  if (missing.length > 0) {
    throw new Error(`Handler bundles missing in ${assetsDir}: ${missing.join(', ')}. Run \`npm run bundle\` first.`);
  }
}

/** What was started, stopped in the reverse order, once however often it is asked. */
class StopSequence {
  private readonly steps: Array<() => Promise<void> | void> = [];
  private stopping: Promise<void> | undefined;

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  runAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const step of [...this.steps].reverse()) await step();
    })();
    return this.stopping;
  }
}

/** The one server, answering 503 until `serve` gives it the runtime's routes and WebSocket gateway. */
async function listenFront(requestedPort: number) {
  let route: RequestListener = (_req, res) => sendJson(res, 503, { message: 'Starting' });
  const server = createServer((req, res) => route(req, res));
  server.keepAliveTimeout = 60_000;
  const port = await listen(server, requestedPort);
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    serve(routes: RequestListener, gateway: WebSocketGateway): void {
      route = routes;
      server.on('upgrade', (req, socket, head) => {
        if (!gateway.handleUpgrade(req, socket, head)) {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"Forbidden"}');
        }
      });
    },
  };
}

function resolveSettings(url: string, options: LocalRuntimeOptions): RuntimeSettings {
  const settings = localSettings(url, {
    // Push is on locally: the VAPID keys in the local Secrets Manager, and loopback http endpoints
    // admitted beside the push services' (the local push service, tests' servers).
    'push.vapidKeys': `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:local-vapid-keys`,
    'push.allowedEndpoints': [...SETTINGS['push.allowedEndpoints'].default, LOOPBACK_HTTP_ENDPOINTS],
    // Mobile push through the local SNS, to applications of its own.
    'push.apns': `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:app/APNS/local-app`,
    'push.fcm': `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:app/GCM/local-app`,
    ...options.settings,
    ...(options.allowBroadcast !== undefined ? { allowBroadcast: options.allowBroadcast } : {}),
    ...(options.queue?.maxReceiveCount !== undefined ? { 'delivery.maxReceiveCount': options.queue.maxReceiveCount } : {}),
  });
  if (settings.auth.mode === 'cognito' || settings.auth.mode === 'lambda') {
    throw new Error(`settings.auth.mode "${settings.auth.mode}" cannot run locally. Leave settings.auth unset to use the `
      + 'local issuer (jwt), or set { mode: \'none\' } for connections without a token.');
  }
  checkSettingRanges(settings, options.queue?.maxReceiveCount !== undefined ? { 'delivery.maxReceiveCount': 'queue.maxReceiveCount' } : {});
  return settings;
}

type QueueOptions = NonNullable<LocalRuntimeOptions['queue']>;

interface LocalQueues {
  readonly delivery: LocalQueue;
  readonly deadLetters: LocalQueue;
  /** SQS's SendMessage API, for deliver's re-queues and dead letters: what it is sent goes to the queue named. */
  readonly sqs: LocalQueueStore;
  readonly urls: readonly string[];
}

/** The queue pair the construct deploys, fed by the SQS API. */
function createQueues(settings: RuntimeSettings, q: QueueOptions): LocalQueues {
  const deadLetterQueue = new LocalQueue({ name: 'dead-letters', url: settings.deadLetterQueueUrl, arn: queueArn(settings.deadLetterQueueUrl) });
  const deliveryQueue = new LocalQueue({
    name: 'deliveries',
    url: settings.queueUrl,
    arn: queueArn(settings.queueUrl),
    visibilityTimeoutSeconds: q.visibilityTimeoutSeconds ?? SETTINGS['delivery.timeout'].default * VISIBILITY_TIMEOUT_FACTOR,
    redrive: { deadLetterQueue, maxReceiveCount: settings['delivery.maxReceiveCount'] },
  });
  const queues = new Map([[deliveryQueue.url, deliveryQueue], [deadLetterQueue.url, deadLetterQueue]]);
  const sqsStore = new LocalQueueStore();
  sqsStore.onMessage((sent) => {
    const queue = queues.get(sent.queueUrl);
    if (!queue) return;
    sqsStore.drain(sent.queueUrl);
    queue.send(sent.body, {
      messageId: sent.messageId,
      sentTimestamp: sent.sentAt,
      delaySeconds: sent.delaySeconds,
      messageAttributes: sent.messageAttributes,
      senderId: 'AROALOCALDELIVER:deliver',
    });
  });
  return { delivery: deliveryQueue, deadLetters: deadLetterQueue, sqs: sqsStore, urls: [...queues.keys()] };
}

/**
 * The construct's two rules on its own bus (the local bus is this runtime's alone): the
 * notifications, and the events of other detail types, for deliver to dead-letter with a reason.
 */
function createBus(settings: RuntimeSettings, queues: LocalQueues, log: (line: string) => void): LocalEventBus {
  const bus = new LocalEventBus({ name: LOCAL_EVENT_BUS, region: LOCAL_REGION, account: LOCAL_ACCOUNT }, log);
  const toDeliveryQueue = (name: string): Omit<BusRule, 'pattern'> => ({
    name,
    target: (event) => queues.delivery.send(JSON.stringify(event), { senderId: 'AIDAEVENTBRIDGELOCAL' }),
    // Named as the attributes EventBridge gives the events in a target's dead-letter queue.
    deadLetter: (event, error) => queues.deadLetters.send(JSON.stringify(event), {
      senderId: 'AIDAEVENTBRIDGELOCAL',
      messageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: error.name },
        ERROR_MESSAGE: { DataType: 'String', StringValue: error.message.slice(0, 1024) || error.name },
        RULE_ARN: { DataType: 'String', StringValue: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${LOCAL_EVENT_BUS}/${name}` },
        TARGET_ARN: { DataType: 'String', StringValue: queues.delivery.arn },
      },
    }),
  });
  bus.addRule({ ...toDeliveryQueue('NotificationRule'), pattern: notificationEventPattern(settings.detailType, settings['history.userStreams'], mobilePushApps(settings).length > 0) });
  bus.addRule({ ...toDeliveryQueue('MisaddressedEventRule'), pattern: misaddressedEventPattern(settings.detailType, settings['clientMessages.detailType'], settings['history.userStreams'], mobilePushApps(settings).length > 0) });
  return bus;
}

/** Batches the event source mapping delivers at once unless told otherwise. */
const DELIVER_BATCHES_IN_FLIGHT = 5;

function startEventSourceMapping(
  deliveryQueue: LocalQueue, functions: Record<HandlerName, LambdaFunction>, q: QueueOptions, log: (line: string) => void,
): EventSourceMapping {
  const eventSourceMapping = new EventSourceMapping({
    queue: deliveryQueue,
    invoke: (event) => functions.deliver.invoke(event),
    region: LOCAL_REGION,
    batchSize: q.batchSize ?? SETTINGS['delivery.batchSize'].default,
    maxConcurrency: q.maxConcurrency ?? DELIVER_BATCHES_IN_FLIGHT,
    log,
    background: (body) => body.startsWith(TOKEN_EXPIRY_TIMER_PREFIX),
  });
  eventSourceMapping.start();
  return eventSourceMapping;
}

function createGateway(
  settings: RuntimeSettings, registry: ConnectionRegistry, functions: Record<HandlerName, LambdaFunction>,
  options: LocalRuntimeOptions, log: (line: string) => void,
): WebSocketGateway {
  const messageRoute = (event: unknown) => functions.message.invoke(event);
  return new WebSocketGateway({
    api: { apiId: LOCAL_API_ID, stage: LOCAL_STAGE, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT },
    registry,
    integrations: {
      // ConnectionAuth.none() deploys no authorizer; every other mode runs the authorizer bundle.
      authorizer: settings.auth.mode === 'none' ? undefined : (event) => functions.authorizer.invoke(event),
      connect: (event) => functions.connect.invoke(event),
      disconnect: (event) => functions.disconnect.invoke(event),
      routes: Object.fromEntries(MESSAGE_ROUTES.map((key) => [key, messageRoute])),
    },
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnectionMs: options.maxConnectionMs,
    handshakeDelayMs: options.handshakeDelayMs,
    log,
  });
}

/** Deletes expired rows for the embedded engine, which has no TTL of its own; none for another engine, or at interval 0. */
function startTtlSweeper(dynamo: LocalDynamo, settings: RuntimeSettings, intervalMs: number, log: (line: string) => void): TtlSweeper | undefined {
  if (dynamo.engine !== 'embedded' || intervalMs <= 0) return undefined;
  const sweeper = new TtlSweeper(dynamo.client, tableDefinitions(settings), log);
  sweeper.start(intervalMs);
  return sweeper;
}

/** Everything the runtime started, for its routes and the handle it returns. */
interface RuntimeParts {
  readonly url: string;
  readonly port: number;
  readonly settings: RuntimeSettings;
  readonly dynamo: LocalDynamo;
  readonly issuer: DevIssuer;
  readonly functions: Record<HandlerName, LambdaFunction>;
  readonly queues: LocalQueues;
  readonly bus: LocalEventBus;
  readonly eventSourceMapping: EventSourceMapping;
  readonly registry: ConnectionRegistry;
  readonly gateway: WebSocketGateway;
  readonly options: LocalRuntimeOptions;
  readonly secrets: ReadonlyMap<string, string>;
  readonly push: LocalPushService;
  readonly sns: LocalSns;
  readonly vapidPublicKey: string;
  readonly deadLetters: () => DeadLetter[];
  readonly stop: () => Promise<void>;
}

function runtimeHandle(parts: RuntimeParts): LocalRuntime {
  const { settings, issuer, queues, eventSourceMapping } = parts;
  return {
    url: parts.url,
    wsUrl: `ws://127.0.0.1:${parts.port}${wsPath(LOCAL_STAGE)}`,
    callbackUrl: settings.callbackUrl,
    port: parts.port,
    eventBusName: parts.bus.name,
    settings,
    dynamo: parts.dynamo,
    registry: parts.registry,
    gateway: parts.gateway,
    bus: parts.bus,
    deliveryQueue: queues.delivery,
    deadLetterQueue: queues.deadLetters,
    eventSourceMapping,
    functions: parts.functions,
    push: parts.push,
    sns: parts.sns,
    vapidPublicKey: parts.vapidPublicKey,
    token: (userId, tokenOptions) => issuer.token(userId, tokenOptions),
    drained: () => eventSourceMapping.drained(),
    deadLetters: parts.deadLetters,
    stop: parts.stop,
  };
}

/** EventBridge, SQS, @connections, the issuer, the dead letters, the status and the demo page, on one port. */
function routeRequests(endpoints: RuntimeParts): RequestListener {
  const { queues, bus, registry, issuer, options } = endpoints;
  const stage = LOCAL_STAGE;
  return (req, res) => {
    const path = pathOf(req);
    if (bus.handle(req, res)) return;
    if (handleSqsRequest(req, res, { store: queues.sqs, queueUrls: queues.urls })) return;
    if (handleSecretsRequest(req, res, endpoints.secrets)) return;
    if (endpoints.push.handle(req, res)) return;
    if (endpoints.sns.handle(req, res)) return;
    if (handleConnectionsRequest(req, res, { stage, registry, faults: options.connectionsFaults })) return;
    if (issuer.handle(req, res)) return;
    if (path === `/${stage}/dlq`) {
      if (req.method === 'DELETE') return sendJson(res, 200, { purged: queues.deadLetters.purge() });
      return sendJson(res, 200, { queueUrl: queues.deadLetters.url, count: queues.deadLetters.size, messages: endpoints.deadLetters() });
    }
    if (path === `/${stage}/status`) return sendJson(res, 200, status(endpoints));
    if (serveDemo(req, res, { clientBundle: options.clientBundle })) return;
    sendJson(res, 404, { message: `Nothing at ${req.method} ${path}. Try / for the demo, ${wsPath(stage)} for WebSockets.` });
  };
}

function status({ settings, dynamo, queues, bus, registry, gateway, vapidPublicKey }: RuntimeParts): Record<string, unknown> {
  return {
    connections: registry.size,
    deliveryQueue: queues.delivery.size,
    deadLetterQueue: queues.deadLetters.size,
    eventBusName: bus.name,
    region: LOCAL_REGION,
    detailType: settings.detailType,
    allowBroadcast: settings.allowBroadcast,
    dynamodb: dynamo.engine,
    // The demo page times its keep-alive and its replacement of connections by these.
    idleTimeoutMs: gateway.idleTimeoutMs,
    maxConnectionMs: gateway.maxConnectionMs,
    // The demo page subscribes to pushes with it.
    vapidPublicKey,
  };
}

function wsPath(stage: string): string {
  return `/${stage}`;
}

function createFunctions(
  settings: RuntimeSettings,
  assetsDir: string,
  url: string,
  dynamodbEndpoint: string,
  options: LocalRuntimeOptions,
): Record<HandlerName, LambdaFunction> {
  const deliverEnvironments = options.queue?.deliverEnvironments ?? 1;
  // As the construct does for deliver instances: each environment enforces its share of the cap.
  const rate = settings['delivery.maxRatePerSecond'];
  const shared: RuntimeSettings = rate > 0 ? { ...settings, 'delivery.maxRatePerSecond': Math.max(1, Math.floor(rate / deliverEnvironments)) } : settings;
  const entries = HANDLER_NAMES.map((name) => {
    const functionName = `${settings.serviceName}-${name}`;
    const fn = new LambdaFunction({
      functionName,
      bundlePath: join(assetsDir, name, 'index.js'),
      environment: handlerEnvironment(name, shared),
      // What Lambda itself adds, and the endpoints that make the AWS SDK inside talk to this machine.
      runtimeEnvironment: {
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
        AWS_ENDPOINT_URL_SQS: url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
        // No S3 configured: an endpoint that answers every request 404, so a payload put fails plainly.
        AWS_ENDPOINT_URL_S3: options.s3Endpoint ?? `${url}/no-s3`,
        AWS_ENDPOINT_URL_SNS: url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: options.handlerLogLevel ?? 'WARN',
        ...(options.handlerMetrics ? {} : { POWERTOOLS_METRICS_DISABLED: 'true' }),
        ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      },
      region: LOCAL_REGION,
      timeoutMs: name === 'deliver' ? SETTINGS['delivery.timeout'].default * 1000 : ROUTE_FUNCTION_TIMEOUT_SECONDS * 1000,
      // Deliver may scale out as Lambda does (queue.deliverEnvironments).
      maxEnvironments: name === 'deliver' ? deliverEnvironments : 1,
      log: (_fn, line) => options.handlerLog?.(name, line),
    });
    return [name, fn] as const;
  });
  return Object.fromEntries(entries) as Record<HandlerName, LambdaFunction>;
}

function toDeadLetter(message: QueuedMessage): DeadLetter {
  let body: unknown = message.body;
  try {
    body = JSON.parse(message.body);
  } catch {
    // not JSON: shown as sent
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) attributes[name] = value.StringValue ?? value.BinaryValue ?? '';
  return {
    messageId: message.messageId,
    sentAt: new Date(message.sentTimestamp).toISOString(),
    receiveCount: message.receiveCount,
    origin: message.deadLetterQueueSourceArn ? 'redrive' : 'sent',
    messageAttributes: attributes,
    body,
  };
}

/** Listens on 127.0.0.1; a port in use fails with a message that says what to do. */
async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`Port ${port} is already in use. Stop whatever uses it, or choose another port: PORT=3002 npm start`));
      } else if (error.code === 'EACCES') {
        reject(new Error(`Not allowed to listen on port ${port}. Choose a port above 1024: PORT=3002 npm start`));
      } else {
        reject(error);
      }
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
