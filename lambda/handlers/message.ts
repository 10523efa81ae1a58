/**
 * The two-way routes subscribe, unsubscribe, publish, presence, ping and $default. The frame to
 * send back is the route response body. Bad input is answered with an error frame and never
 * throws. Client messages are delivered from here, with the deliver function's engine, so they
 * reach the topic without waiting on the bus and the queue.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, MetricNames } from '../../lib/private/runtime-contract';
import { logger } from '../runtime/logger';
import { answerClientFrame, MessageContext } from '../routes/messages';
import { encodeFrame, errorFrame, requestIdOf, ServerFrame } from '../protocol/frames';
import { TopicRules } from '../protocol/topics';
import { callerOf, RouteResponse, WebSocketEvent } from '../protocol/websocket-event';
import { createClientMessagePublisher } from '../routes/client-message-event';
import { deliverNotification, postInOrder } from '../fanout/deliver-record';
import { createPresenceRuntime } from '../presence/presence-runtime';
import { createDeliveryDeps } from '../fanout/delivery-deps';
import { createInbox } from '../inbox/runtime';
import { createReadAnnouncer } from '../inbox/bus';
import { createDocumentClient } from '../stores';
import { pushRegistration } from '../push/registration';
import { readSettings } from '../runtime/settings';
import { readAuthConfigIfSet } from '../auth/config';
import { createTokenVerifier } from '../auth/token-verifier';
import { Reauthentication } from '../routes/reauth';

const settings = readSettings('message');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
// One DynamoDB client (and its keep-alive sockets) for every store the function reads.
const doc = createDocumentClient();
const delivery = createDeliveryDeps(settings, metrics, doc);
const { stores, history } = delivery.unbounded;
const { presence, counters } = createPresenceRuntime(settings, delivery.unbounded, doc);
/** The running invocation's delivery deps (its DynamoDB and SQS calls end with its time) and deadline. */
let invocation = delivery.invocation(presence);
/** `reauth`: given the authorizer's configuration where tokens are verified here (cognito, jwt) and their expiry enforced. */
const authConfig = readAuthConfigIfSet();
const reauthentication: Reauthentication | undefined = authConfig !== undefined && settings['connections.tokenExpiry'] === 'close'
  ? {
    // Once per instance: the verifier caches the issuer's JWKS between invocations.
    verifier: createTokenVerifier(authConfig),
    graceSeconds: settings['connections.tokenExpiryGrace'],
    schedule: (message) => invocation.deps.queue.sendAll(delivery.unbounded.config.queueUrl, [message]),
  }
  : undefined;
const publishToBus = createClientMessagePublisher(settings.eventBusName, settings['clientMessages.detailType']);

/** Kept references to large payloads, answered as fresh presigned URLs. */
const payloads = delivery.unbounded.payloads;
const presentPayload = payloads && (<F extends object>(frame: F) => payloads.presentFrame(frame));

const messageContext: MessageContext = {
  stores,
  // Mark-reads and inbox pages; the new count is posted to the user's other connections.
  inbox: history.policy.users
    ? createInbox(doc, { ...settings, tokenExpiry: delivery.unbounded.config.tokenExpiry }, stores, history.store, async (ids, frame) => {
      await Promise.all(ids.map((id) => postInOrder(id, [frame], invocation.deps, invocation.deadline)));
    }, createReadAnnouncer(settings.eventBusName), presentPayload)
    : undefined,
  history: {
    policy: history.policy,
    source: history.store,
    maxReplay: settings['history.maxReplay'],
    replayTo: (connectionId, frames) => postInOrder(connectionId, frames, invocation.deps, invocation.deadline),
    present: presentPayload,
  },
  rules: TopicRules.compile(settings.topicRules),
  maxSubscriptions: settings['connections.maxSubscriptions'],
  presence,
  maxPresenceMembers: settings['clientMessages.maxPresenceMembers'],
  push: pushRegistration(settings, doc),
  closeUnregistered: async (connectionId, frame) => {
    logger.warn('closing a connection that is no longer registered');
    await invocation.deps.post(connectionId, Buffer.from(encodeFrame(frame), 'utf8'));
    await delivery.disconnect(connectionId);
  },
  reauth: reauthentication,
  clientMessages: {
    rules: TopicRules.compile(settings.publishRules),
    counters,
    maxPerSecond: settings['clientMessages.maxPerSecond'],
    maxDataBytes: settings['clientMessages.maxSize'],
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
