/**
 * The two-way routes subscribe, unsubscribe, publish, presence, ping and $default. The frame to
 * send back is the route response body. Bad input is answered with an error frame and never
 * throws. Client messages are delivered from here, with the deliver function's engine, so they
 * reach the topic without waiting on the bus and the queue.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { Env, METRICS_NAMESPACE, MetricNames, SETTINGS } from '../../lib/private/runtime-contract';
import { integerEnv, jsonStringArrayEnv, optionalEnv, requiredEnv } from '../core/env';
import { logger } from '../core/logger';
import { answerClientFrame, MessageContext } from '../core/messages';
import { encodeFrame, errorFrame, requestIdOf, ServerFrame } from '../core/protocol';
import { TopicRules } from '../core/topics';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createClientMessagePublisher } from '../delivery/client-message-event';
import { loadDeliverConfig } from '../delivery/config';
import { deliverNotification, postInOrder } from '../delivery/deliver-record';
import { createPresenceRuntime } from '../delivery/presence-runtime';
import { createDeliveryDeps } from '../delivery/delivery-deps';
import { createInbox } from '../inbox/runtime';
import { createReadAnnouncer } from '../inbox/bus';
import { createDocumentClient } from '../stores';

const metrics = new Metrics({ namespace: optionalEnv('POWERTOOLS_METRICS_NAMESPACE') ?? METRICS_NAMESPACE });
// One DynamoDB client (and its keep-alive sockets) for every store the function reads.
const doc = createDocumentClient();
const delivery = createDeliveryDeps(loadDeliverConfig(), metrics, doc);
const { stores, history } = delivery.unbounded;
const { presence, counters } = createPresenceRuntime(delivery.unbounded, doc);
/** The running invocation's delivery deps (its DynamoDB and SQS calls end with its time) and deadline. */
let invocation = delivery.invocation(presence);
const publishToBus = createClientMessagePublisher(requiredEnv(Env.EVENT_BUS_NAME),
  optionalEnv(Env.CLIENT_MESSAGE_DETAIL_TYPE) ?? SETTINGS.clientMessageDetailType.default);

const messageContext: MessageContext = {
  stores,
  // Mark-reads and inbox pages; the new count is posted to the user's other connections.
  inbox: history.policy.users
    ? createInbox(doc, stores, history.store, async (ids, frame) => {
      await Promise.all(ids.map((id) => postInOrder(id, [frame], invocation.deps, invocation.deadline)));
    }, createReadAnnouncer(requiredEnv(Env.EVENT_BUS_NAME)))
    : undefined,
  history: {
    policy: history.policy,
    source: history.store,
    maxReplay: integerEnv(SETTINGS.maxReplay),
    replayTo: (connectionId, frames) => postInOrder(connectionId, frames, invocation.deps, invocation.deadline),
  },
  rules: TopicRules.compile(jsonStringArrayEnv(Env.TOPIC_RULES, SETTINGS.topicRules.default)),
  maxSubscriptions: integerEnv(SETTINGS.maxSubscriptionsPerConnection),
  presence,
  maxPresenceMembers: integerEnv(SETTINGS.maxPresenceMembers),
  closeUnregistered: async (connectionId, frame) => {
    logger.warn('closing a connection that is no longer registered');
    await invocation.deps.post(connectionId, Buffer.from(encodeFrame(frame), 'utf8'));
    await delivery.disconnect(connectionId);
  },
  clientMessages: {
    rules: TopicRules.compile(jsonStringArrayEnv(Env.PUBLISH_RULES, SETTINGS.publishRules.default)),
    counters,
    maxPerSecond: integerEnv(SETTINGS.maxClientMessagesPerSecond),
    maxDataBytes: integerEnv(SETTINGS.maxClientMessageDataBytes),
    announce: publishToBus,
    deliver: async (encoded, exceptConnectionId) => {
      // A client message's id is new: no earlier delivery gave it a position.
      const delivered = await deliverNotification(encoded, invocation.deps, invocation.deadline, exceptConnectionId, false);
      metrics.addMetric(MetricNames.clientMessages, MetricUnit.Count, 1);
      return delivered;
    },
  },
};

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const caller = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId: caller.connectionId, routeKey: event.requestContext.routeKey });
  invocation = delivery.invocation(presence, context);
  let frame: ServerFrame;
  try {
    frame = event.isBase64Encoded
      ? errorFrame('BAD_REQUEST', 'Binary frames are not supported. Send JSON text frames such as {"action":"ping"}.')
      : await answerClientFrame(event.body, caller, messageContext);
    if (frame.type === 'error') {
      logger.info('request refused', { code: frame.code });
      if (frame.code === 'RATE_LIMITED') metrics.addMetric(MetricNames.rateLimited, MetricUnit.Count, 1);
    }
  } catch (error) {
    logger.error('message failed', error as Error);
    frame = errorFrame('INTERNAL', 'The server could not handle this message. Try again shortly.', requestIdOf(event.body));
  } finally {
    logger.resetKeys();
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
  return { statusCode: 200, body: encodeFrame(frame) };
}
