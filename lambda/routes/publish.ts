/** `publish`: a client message, checked, rate-limited, delivered to the topic and put on the bus. */
import type { Caller } from '../protocol/websocket-event';
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../lib/private/runtime-contract';
import { encodeNotification, Notification } from '../protocol/notification';
import { MAX_DATA_DEPTH, nestsDeeperThan } from '../protocol/publish-contract';
import { errorFrame, PublishRequest, publishedFrame, rateLimitedFrame, ServerFrame } from '../protocol/frames';
import { topicOwner, TopicRules } from '../protocol/topics';
import { ClientMessaging } from './context';

export async function publish(request: PublishRequest, caller: Caller, m: ClientMessaging, readRules: TopicRules): Promise<ServerFrame> {
  const { topic, requestId } = request;
  if (topicOwner(topic) !== undefined) {
    return errorFrame('FORBIDDEN', 'Topics under "users/" carry notifications from the server only; clients cannot publish to them.', requestId);
  }
  if (caller.userId === undefined) {
    return errorFrame('FORBIDDEN', 'Publishing needs a signed-in connection: connect with a token.', requestId);
  }
  if (!m.rules.allows(topic, caller.userId)) {
    return errorFrame('FORBIDDEN', 'Clients may not publish to this topic. The server team decides where clients may publish (publishRules).', requestId);
  }
  const dataBytes = nestsDeeperThan(request.data, MAX_DATA_DEPTH) ? undefined : jsonBytes(request.data);
  if (dataBytes === undefined) {
    return errorFrame('BAD_REQUEST', `"data" nests objects or arrays more than ${MAX_DATA_DEPTH} levels deep. Send a flatter JSON value.`, requestId);
  }
  if (dataBytes > m.maxDataBytes) {
    return errorFrame('PAYLOAD_TOO_LARGE',
      `"data" is ${dataBytes} bytes of JSON; messages may carry at most ${m.maxDataBytes}. Send less, or a reference (an id or URL) to fetch.`,
      requestId);
  }
  const now = (m.now ?? Date.now)();
  const rate = await m.counters.takeMessageToken(caller.userId, m.maxPerSecond, now);
  if (!rate.allowed) {
    return rateLimitedFrame(`Too many messages: at most ${m.maxPerSecond} per second for each user. Try again in ${rate.retryAfterMs} ms.`,
      rate.retryAfterMs, requestId);
  }
  const notification: Notification = {
    id: (m.newId ?? randomUUID)(),
    target: { topic },
    data: request.data,
    from: caller.userId,
    time: new Date(now).toISOString(),
  };
  const encoded = encodeNotification(notification);
  if (encoded.frameBytes > LIMITS.maxFrameBytes) {
    // Only a long user id or topic on top of the largest data can get here; nothing was posted.
    return errorFrame('PAYLOAD_TOO_LARGE', `The message frame would be ${encoded.frameBytes} bytes, over the ${LIMITS.maxFrameBytes}-byte limit. Send less data.`, requestId);
  }
  await m.announce(notification, caller.connectionId);
  const delivered = await m.deliver(encoded, request.echo ? undefined : caller.connectionId);
  const { seq, epoch } = delivered.notification;
  // A seq counts the stream's messages: a sender who may publish to the topic but not read it
  // (subscribe, history) is not told how many it holds.
  const mayRead = readRules.allows(topic, caller.userId);
  return publishedFrame(topic, notification.id, requestId, seq !== undefined && epoch !== undefined && mayRead ? { seq, epoch } : undefined);
}

/** UTF-8 bytes of a value's JSON; undefined when it is too deep to serialise. */
function jsonBytes(value: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    return undefined;
  }
}
