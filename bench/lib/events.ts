/**
 * Minimal Lambda events for driving handler bundles from the benchmarks: what API Gateway hands
 * the WebSocket routes and what the SQS event source mapping hands deliver. Only the fields the
 * handlers read are filled with care; the gateway emulator in local/ builds the complete ones.
 */
import { randomUUID } from 'node:crypto';
import { AUTHORIZER_USER_ID_KEY } from '../../lib/private/runtime-contract';

export function websocketEvent(routeKey: string, connectionId: string, userId: string | undefined, body?: string) {
  const now = Date.now();
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: 'bench',
      connectedAt: now,
      requestTimeEpoch: now,
      identity: { sourceIp: '127.0.0.1' },
      requestId: randomUUID(),
      domainName: '127.0.0.1',
      connectionId,
      apiId: 'benchapi01',
      ...(routeKey !== '$connect' && routeKey !== '$disconnect' ? { messageId: randomUUID() } : {}),
      ...(userId !== undefined ? { authorizer: { [AUTHORIZER_USER_ID_KEY]: userId, principalId: userId } } : {}),
    },
    isBase64Encoded: false,
    ...(body !== undefined ? { body } : {}),
  };
}

/** One SQS record the way the event source mapping delivers it. */
export function sqsRecord(body: string, queueArn = 'arn:aws:sqs:us-east-1:000000000000:bench-deliver', receiveCount = 1) {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(now),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(bodies: readonly string[]) {
  return { Records: bodies.map((body) => sqsRecord(body)) };
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
