/**
 * The deliver function: takes batches from the delivery queue (EventBridge events, its own
 * shard messages, and connections' token expiry timers) and posts notifications to connections. A thin adapter: configuration is read
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
import { runTokenExpiryTimer, timerIn } from '../connections/token-expiry';
import { disconnectUser, mayBeConnectionControl, parseConnectionControl, subscribeUser, unsubscribeUser } from '../connections/connection-control';
import { subscribeForBackend, unsubscribe } from '../routes/subscribe';
import { rejectedMessage } from '../fanout/dead-letters';

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
  const recordHandler = async (record: SQSRecord) => {
    // Connections' token expiry timers share the queue (lambda/connections/token-expiry.ts).
    const timer = timerIn(record.body);
    const connectionDeps = {
      stores: deps.stores,
      post: deps.post,
      disconnect: delivery.disconnect,
      schedule: (message: Parameters<typeof deps.queue.sendAll>[1][number]) => deps.queue.sendAll(deps.config.queueUrl, [message]),
      endings: deps.endings,
      nowMs: () => deps.clock.now(),
    };
    if (timer !== undefined) return void await runTokenExpiryTimer(timer, connectionDeps);
    // Backends' ConnectionControl events (lambda/connections/connection-control.ts).
    const control = mayBeConnectionControl(record.body) ? parseConnectionControl(JSON.parse(record.body)) : undefined;
    if (control === undefined) return processRecord(record, deps, deadline);
    if (!control.ok) {
      logger.warn('ConnectionControl event rejected; sending it to the dead-letter queue', { reasonMessage: control.message });
      await deps.queue.sendAll(deps.config.deadLetterQueueUrl, [rejectedMessage(record.body, 'BAD_CONNECTION_CONTROL', control.message)]);
      return;
    }
    const command = control.control;
    if (command.action !== 'disconnect') {
      const { userId, topic } = command;
      const connections = command.action === 'unsubscribe'
        ? await unsubscribeUser(command, connectionDeps, (connectionId) => unsubscribe(topic, { connectionId, userId }, { stores: deps.stores, presence }))
        : await subscribeUser(command, connectionDeps, (connectionId) => subscribeForBackend(topic, connectionId, userId, deps.stores, presence, settings['connections.maxSubscriptions']));
      logger.info(`a backend's ${command.action} of a user`, { userId, topic, connections });
      return;
    }
    const closed = await disconnectUser(command, connectionDeps);
    logger.info('connections closed by a backend', { userId: command.userId, closed, banSeconds: command.banSeconds });
  };
  try {
    return await processPartialResponse(event, recordHandler, processor, { context: context as Context });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
