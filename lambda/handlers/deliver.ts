/**
 * The deliver function: takes batches from the delivery queue (EventBridge events and its own
 * shard messages) and posts notifications to connections. A thin adapter: configuration is read
 * once at init, each record is handled by lambda/fanout/deliver-record.ts (dead-lettered with a
 * reason if it still fails on its last receive: process-record.ts) with its DynamoDB and SQS
 * calls bounded by the invocation's remaining time, and Powertools
 * reports partial batch failures (only the records that must be retried) and flushes metrics.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../lib/private/runtime-contract';
import { logger } from '../runtime/logger';
import { processRecord } from '../fanout/process-record';
import { createPresenceRuntime } from '../presence/presence-runtime';
import { createDeliveryDeps } from '../fanout/delivery-deps';
import { createDocumentClient } from '../stores';
import { readSettings } from '../runtime/settings';
import { createPushRuntime } from '../push/push-runtime';

const settings = readSettings('deliver');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
// One DynamoDB client (and its keep-alive sockets) for delivery and presence alike.
const doc = createDocumentClient();
const delivery = createDeliveryDeps(settings, metrics, doc);
// A gone connection may have been a user's last one on a presence topic: its leave is announced.
const { presence } = createPresenceRuntime(settings, delivery.unbounded, doc);
// Users' devices are pushed what no connection of theirs took live (with push.vapidKeys).
const push = createPushRuntime(settings, doc, delivery.unbounded);

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  // Every DynamoDB and SQS call is bounded by the time left (see callCutoffs).
  const { deps: delivering, deadline } = delivery.invocation(presence, context);
  const deps = { ...delivering, push };
  // One processor per invocation: it holds the batch's state.
  const processor = new BatchProcessor(EventType.SQS, { logger });
  const recordHandler = (record: SQSRecord) => processRecord(record, deps, deadline);
  try {
    return await processPartialResponse(event, recordHandler, processor, { context: context as Context });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
