/**
 * Lambda events for driving handler bundles from the benchmarks, built by the local runtime's
 * own builders (local/gateway/events.ts, local/queue/records.ts), so the handlers see here what
 * they see under `npm start`.
 */
import { randomUUID } from 'node:crypto';
import { AUTHORIZER_USER_ID_KEY, TOKEN_QUERY_PARAMETER } from '../../lib/private/runtime-contract';
import { encodeFrame, NotificationTarget, notificationFrame } from '../../lambda/protocol/frames';
import { ApiDescription, authorizerEvent, ConnectionFacts, connectEvent, disconnectEvent, messageEvent } from '../../local/gateway/events';
import { LocalQueue } from '../../local/queue/queue';
import { toLambdaRecord } from '../../local/queue/records';

const API: ApiDescription = { apiId: 'benchapi01', stage: 'bench', region: 'us-east-1', accountId: '000000000000' };
const QUEUE = { name: 'bench-deliver', url: 'http://127.0.0.1:9/000000000000/bench-deliver', arn: 'arn:aws:sqs:us-east-1:000000000000:bench-deliver' };

function facts(connectionId: string, sourceIp = '127.0.0.1'): ConnectionFacts {
  return { connectionId, connectedAt: Date.now(), domainName: '127.0.0.1:3001', sourceIp };
}

function handshake(token?: string) {
  return {
    rawHeaders: ['Host', '127.0.0.1:3001', 'Sec-WebSocket-Version', '13', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    query: new URLSearchParams(token !== undefined ? { [TOKEN_QUERY_PARAMETER]: token } : {}),
  };
}

const context = (userId: string) => ({ [AUTHORIZER_USER_ID_KEY]: userId, principalId: userId });

export const events = {
  authorize: (connectionId: string, token: string) => authorizerEvent(API, facts(connectionId), handshake(token)),
  /** `sourceIp`: the client's address (connections.maxPerIp counts per address). */
  connect: (connectionId: string, userId: string, sourceIp?: string) => connectEvent(API, facts(connectionId, sourceIp), handshake(), context(userId)),
  message: (connectionId: string, userId: string, frame: object) =>
    messageEvent(API, facts(connectionId), String((frame as { action?: unknown }).action ?? '$default'), JSON.stringify(frame), false, context(userId)),
  disconnect: (connectionId: string, userId: string) => disconnectEvent(API, facts(connectionId), 1000, 'Client closed', context(userId)),
};

/** An SQS batch as the event source mapping hands it to deliver. */
export function sqsEvent(bodies: readonly string[]) {
  const queue = new LocalQueue(QUEUE);
  try {
    for (const body of bodies) queue.send(body);
    return { Records: queue.receive(bodies.length).map((m) => toLambdaRecord(m, QUEUE.arn, API.region)) };
  } finally {
    queue.close();
  }
}

/** The EventBridge event the rule puts on the queue for one PutEvents entry. */
export function notificationEventBody(detail: unknown, detailType = 'Notification'): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'bench.publisher',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });
}

/** The benchmarks' "1 KB notification": its frame, as posted with a position (seq of three digits), is 1,024 bytes. */
export const KILOBYTE_FRAME = 1024;

/** The detail of a notification whose frame, as posted with a position, is `bytes` long (a byte or two less for seq under 100). */
export function sizedNotification(target: { topic: string } | { userId: string }, id: string, bytes = KILOBYTE_FRAME): Record<string, unknown> {
  const frameOf = (text: string) => encodeFrame(notificationFrame({ target: target as NotificationTarget, id, seq: 100, epoch: 'e'.repeat(8), data: { text }, time: new Date() }));
  const padding = bytes - Buffer.byteLength(frameOf(''));
  return { ...target, id, data: { text: 'x'.repeat(Math.max(0, padding)) } };
}
