/**
 * Builds what the deliver handler runs with, once per Lambda instance: the stores, the
 * @connections poster over keep-alive sockets, the queue writer, and the concurrency and rate
 * limits every record of the instance shares.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricNames } from '../../lib/private/runtime-contract';
import { AdaptiveConcurrency } from '../core/fanout-concurrency';
import { systemClock } from '../core/fanout-clock';
import { RateLimiter } from '../core/fanout-rate';
import { logger } from '../core/logger';
import { createStores } from '../stores';
import { DeliverConfig } from './config';
import { createConnectionsPoster } from './connections-poster';
import { DeliveryDeps, DeliveryMetrics } from './deliver-record';
import { QueueWriter, SendBatch } from './queue-writer';

export function createDeliveryDeps(config: DeliverConfig, metrics: Metrics): DeliveryDeps {
  const connections = createConnectionsPoster({ endpoint: config.callbackUrl, maxSockets: config.concurrency });
  return {
    config,
    stores: createStores({ connectionsTable: config.connectionsTable, subscriptionsTable: config.subscriptionsTable }),
    post: connections.post,
    queue: new QueueWriter(sqsOnFirstUse(config.queueUrl)),
    concurrency: new AdaptiveConcurrency(config.concurrency),
    rateLimiter: config.maxRatePerSecond > 0 ? new RateLimiter(config.maxRatePerSecond, systemClock) : undefined,
    clock: systemClock,
    metrics: powertoolsMetrics(metrics),
    logger,
  };
}

/**
 * SendMessageBatch with the SQS client loaded on first use, not at init: only shards, retries and
 * dead letters need it. A `require` here is evaluated when called, in the bundle too (esbuild
 * wraps a required module in a lazy initializer).
 */
function sqsOnFirstUse(queueUrl: string): SendBatch {
  let send: SendBatch | undefined;
  return (url, entries) => {
    if (!send) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sqs = require('./sqs-batch-send') as typeof import('./sqs-batch-send');
      send = sqs.sqsBatchSend(sqs.createSqsClient(queueUrl));
    }
    return send(url, entries);
  };
}

/** Counts go to CloudWatch as EMF through Powertools; zero counts are left out. */
export function powertoolsMetrics(metrics: Metrics): DeliveryMetrics {
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
