/**
 * Builds what the deliver and message functions deliver with: once per Lambda instance the SDK
 * clients, the @connections poster over keep-alive sockets, the history settings, and the
 * concurrency and rate limits every record of the instance shares; per invocation the stores, the
 * history and the queue writer, whose calls are bounded by the time the invocation has left.
 */
import { setMaxListeners } from 'node:events';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { MetricNames } from '../../lib/private/runtime-contract';
import { SETTINGS } from '../../lib/private/settings';
import { TopicRules } from '../protocol/topics';
import { AdaptiveConcurrency } from './concurrency';
import { systemClock } from '../runtime/clock';
import { RateLimiter } from './rate';
import { logger } from '../runtime/logger';
import { abortableDocumentClient, createDocumentClient, createStores, HotTopics, SubscriptionEndings, userOfStream } from '../stores';
import { HistoryStore } from '../history/history-store';
import { deliverConfig, DeliverySettings } from './config';
import { createConnectionsPoster } from './connections-poster';
import type { PostResult } from './fanout';
import { DeliveryDeps, DeliveryMetrics, postInOrder } from './deliver-record';
import { createInbox } from '../inbox/runtime';
import { createReadAnnouncer } from '../inbox/bus';
import { HistoryPolicy } from '../history/streams';
import { NotificationHistory } from '../history/notification-history';
import { QueueWriter, SendBatch } from './queue-writer';
import { Payloads } from '../payloads/payloads';
import { createPayloadBucket } from '../payloads/payload-bucket';
import { LIMITS } from '../../lib/private/runtime-contract';

/** A positioned frame's `seq` and `epoch`, at the most, with their JSON. */
const POSITION_ROOM_BYTES = 128;

/** When an invocation's DynamoDB and SQS calls are abandoned, if still running. */
interface CallSignals {
  readonly stores: AbortSignal;
  readonly queues: AbortSignal;
}

/** Delivery's dependencies at hand in one invocation, and when it must stop starting posts. */
export interface Invocation {
  readonly deps: DeliveryDeps;
  readonly deadline?: number;
}

/** What a function that delivers builds once per instance. */
export interface DeliveryRuntime {
  /**
   * The deps with calls not bounded by an invocation's time, for what is wired once at init
   * (presence, the stores and history the message function reads).
   */
  readonly unbounded: DeliveryDeps & { readonly history: NotificationHistory };
  /**
   * The deps of the invocation running with `context`: its DynamoDB and SQS calls are bounded by
   * the time it has left (see callCutoffs). Without a Lambda context, calls are not bounded.
   */
  invocation(endings: SubscriptionEndings, context?: Pick<Context, 'getRemainingTimeInMillis'>): Invocation;
  /** Closes a connection through @connections (DELETE). */
  disconnect(connectionId: string): Promise<PostResult>;
}

export function createDeliveryDeps(settings: DeliverySettings, metrics: Metrics, doc: DynamoDBDocumentClient = createDocumentClient()): DeliveryRuntime {
  const config = deliverConfig(settings);
  const connections = createConnectionsPoster({ endpoint: config.callbackUrl, maxSockets: config.concurrency });
  const tables = { connectionsTable: config.connectionsTable, subscriptionsTable: config.subscriptionsTable, countersTable: config.countersTable };
  const keeping = historySettings(settings);
  const hot = HotTopics.of(settings);
  const sendBatch = sqsOnFirstUse(config.queueUrl);
  const announceReads = settings.eventBusName !== undefined ? createReadAnnouncer(settings.eventBusName) : undefined;
  const shared = {
    config,
    post: connections.post,
    concurrency: new AdaptiveConcurrency(config.concurrency),
    rateLimiter: config.maxRatePerSecond > 0 ? new RateLimiter(config.maxRatePerSecond, systemClock) : undefined,
    clock: systemClock,
    metrics: powertoolsMetrics(metrics),
    logger,
    payloads: settings.payloadBucket !== undefined ? new Payloads({
      bucket: createPayloadBucket({ bucket: settings.payloadBucket }),
      urlExpirySeconds: settings['payloads.urlExpiry'] ?? SETTINGS['payloads.urlExpiry'].default,
      // Room for the position (`seq`, `epoch`) the frame is given after this is decided.
      maxFrameBytes: LIMITS.maxFrameBytes - POSITION_ROOM_BYTES,
    }) : undefined,
  };
  const depsOver = (client: DynamoDBDocumentClient, queues?: AbortSignal) => {
    const deps = {
      ...shared,
      stores: createStores(tables, client, hot),
      queue: new QueueWriter(sendBatch, { signal: queues }),
      history: new NotificationHistory(
        new HistoryStore(client, keeping.historyTable, keeping.countersTable, keeping.retentionOf, { partitionsOf: (stream) => hot.historyPartitionsOf(stream) }),
        keeping.policy, systemClock),
    };
    // A user's new notification is followed by their unread count (the inbox), posted like it.
    const inbox = keeping.policy.users
      ? createInbox(client, { ...keeping, tokenExpiry: config.tokenExpiry }, deps.stores, deps.history.store, (ids, frame) => pushFrame(ids, frame, deps), announceReads)
      : undefined;
    return { ...deps, inbox };
  };
  const unbounded = depsOver(doc);
  return {
    unbounded,
    disconnect: connections.disconnect,
    invocation: (endings, context) => {
      const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
      if (remaining === undefined) return { deps: { ...unbounded, endings } };
      const now = Date.now();
      const signals = callSignals(now, remaining);
      return {
        deps: { ...depsOver(abortableDocumentClient(doc, signals.stores), signals.queues), endings },
        deadline: deliveryDeadline(now, remaining),
      };
    },
  };
}

/** Which streams keep history, where, and for how long, as the construct configured it. */
function historySettings(s: DeliverySettings): { historyTable: string; countersTable: string; retentionOf: (stream: string) => number; policy: HistoryPolicy } {
  const topics = s['history.retention'];
  const users = s['history.userStreamRetention'];
  return {
    historyTable: s.historyTable,
    countersTable: s.countersTable,
    // Each user's own stream (the inbox) keeps its own retention; topics share theirs.
    retentionOf: (stream) => (userOfStream(stream) !== undefined ? users : topics),
    policy: { topics: TopicRules.compile(s.historyRules), users: s['history.userStreams'] },
  };
}

/** Posts one frame to each connection, with the fan-out's retries; what does not arrive is not retried later. */
async function pushFrame(connectionIds: readonly string[], frame: string, deps: Parameters<typeof postInOrder>[2]): Promise<void> {
  await Promise.all(connectionIds.map((id) => postInOrder(id, [frame], deps)));
}

/**
 * SendMessageBatch with the SQS client loaded on first use, not at init: only shards, retries and
 * dead letters need it. A `require` here is evaluated when called, in the bundle too (esbuild
 * wraps a required module in a lazy initializer).
 */
function sqsOnFirstUse(queueUrl: string): SendBatch {
  let send: SendBatch | undefined;
  return (url, entries, signal) => {
    if (!send) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sqs = require('./sqs-batch-send') as typeof import('./sqs-batch-send');
      send = sqs.sqsBatchSend(sqs.createSqsClient(queueUrl));
    }
    return send(url, entries, signal);
  };
}

/** Counts go to CloudWatch as EMF through Powertools; zero counts are left out. */
function powertoolsMetrics(metrics: Metrics): DeliveryMetrics {
  return {
    count: (name, value) => {
      if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
    },
    fanoutDurationMs: (value) => metrics.addMetric(MetricNames.fanoutDuration, MetricUnit.Milliseconds, value),
  };
}

/**
 * When to stop starting posts: early enough to re-queue what is left and clean up before the
 * function times out. The reserve is a fifth of the time left, between 2 and 10 seconds, but
 * never more than half of it, so even a short timeout leaves time to deliver.
 */
export function deliveryDeadline(now: number, remainingMs: number): number {
  const reserve = Math.max(2_000, Math.min(10_000, remainingMs * 0.2));
  return now + Math.max(remainingMs - reserve, remainingMs / 2);
}

/**
 * When an invocation's calls are abandoned, so that a slow DynamoDB or SQS gives the record back
 * to SQS (reported failed, received again later) instead of the function being timed out with
 * the whole batch. DynamoDB calls stop halfway through the reserve after the delivery deadline,
 * leaving time to re-queue or dead-letter through SQS; SQS calls stop just before the end, leaving
 * time to answer with the batch's failures.
 */
export function callCutoffs(now: number, remainingMs: number): { stores: number; queues: number } {
  const end = now + remainingMs;
  const margin = Math.min(1_000, remainingMs / 20);
  return { stores: (deliveryDeadline(now, remainingMs) + end) / 2, queues: end - margin };
}

/** The signals of the invocation starting at `now` with `remainingMs` left: see callCutoffs. */
export function callSignals(now: number, remainingMs: number): CallSignals {
  const cutoffs = callCutoffs(now, remainingMs);
  return {
    stores: sharedTimeoutSignal(Math.max(0, Math.floor(cutoffs.stores - now))),
    queues: sharedTimeoutSignal(Math.max(0, Math.floor(cutoffs.queues - now))),
  };
}

/**
 * A timeout signal for every call of an invocation. The SDK adds an 'abort' listener to it per
 * call in flight (and per retry wait) and removes it when that call ends, so a fan-out with more
 * than Node's default of 10 calls at once would print MaxListenersExceededWarning though nothing
 * accumulates: the limit is lifted for this signal only.
 */
function sharedTimeoutSignal(ms: number): AbortSignal {
  const signal = AbortSignal.timeout(ms);
  setMaxListeners(0, signal);
  return signal;
}
