/**
 * The two-way routes subscribe, unsubscribe, ping and $default. The frame to send back is the
 * route response body. Bad input is answered with an error frame and never throws.
 */
import type { Context } from 'aws-lambda';
import { DEFAULTS, Env } from '../../lib/private/runtime-contract';
import { integerEnv, jsonStringArrayEnv, requiredEnv } from '../core/env';
import { logger } from '../core/logger';
import { answerClientFrame, MessageContext } from '../core/messages';
import { encodeFrame, errorFrame, requestIdOf, ServerFrame } from '../core/protocol';
import { TopicRules } from '../core/topics';
import { callerOf, RouteResponse, WebSocketEvent } from '../core/websocket-event';
import { createStores } from '../stores';

const messageContext: MessageContext = {
  stores: createStores({
    connectionsTable: requiredEnv(Env.CONNECTIONS_TABLE),
    subscriptionsTable: requiredEnv(Env.SUBSCRIPTIONS_TABLE),
  }),
  rules: TopicRules.compile(jsonStringArrayEnv(Env.TOPIC_RULES, DEFAULTS.topicRules)),
  maxSubscriptions: integerEnv(Env.MAX_SUBSCRIPTIONS, DEFAULTS.maxSubscriptionsPerConnection, { min: 1, max: 10_000 }),
};

export async function handler(event: WebSocketEvent, context?: Context): Promise<RouteResponse> {
  const caller = callerOf(event);
  if (context) logger.addContext(context);
  logger.appendKeys({ connectionId: caller.connectionId, routeKey: event.requestContext.routeKey });
  let frame: ServerFrame;
  try {
    frame = event.isBase64Encoded
      ? errorFrame('BAD_REQUEST', 'Binary frames are not supported. Send JSON text frames such as {"action":"ping"}.')
      : await answerClientFrame(event.body, caller, messageContext);
    if (frame.type === 'error') logger.info('request refused', { code: frame.code });
  } catch (error) {
    logger.error('message failed', error as Error);
    frame = errorFrame('INTERNAL', 'The server could not handle this message. Try again shortly.', requestIdOf(event.body));
  } finally {
    logger.resetKeys();
  }
  return { statusCode: 200, body: encodeFrame(frame) };
}
