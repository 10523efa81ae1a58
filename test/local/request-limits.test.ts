/**
 * The local SQS and @connections endpoints read request bodies only up to a limit: beyond it they
 * answer as AWS does (413) with nothing stored or delivered, however large the request.
 */
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LIMITS } from '../../lib/private/runtime-contract';
import { ConnectionsApiServer, startConnectionsApi } from '../../local/connections-api';
import { LOCAL_AWS } from '../../local/dynamodb';
import { SqsApiServer, startSqsApi } from '../../local/sqs-api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('local SQS API', () => {
  let sqs: SqsApiServer;
  let client: SQSClient;
  beforeAll(async () => {
    sqs = await startSqsApi();
    client = new SQSClient({ ...LOCAL_AWS, endpoint: sqs.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  const entries = (n: number, size: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x'.repeat(size) }));

  it('refuses a request larger than any SQS accepts with 413, unread, and stores nothing', async () => {
    const queueUrl = sqs.queueUrl('huge');
    const refused = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(10, 110 * 1024) }))
      .catch((error: Error & { $metadata?: { httpStatusCode?: number } }) => error);
    expect(refused).toMatchObject({ $metadata: { httpStatusCode: 413 } });
    expect((refused as Error).message).toMatch(/larger than any request SQS accepts .*send fewer or smaller messages per request/);
    expect(sqs.store.messages(queueUrl)).toEqual([]);
  });

  it('still judges a request under that limit by SQS\'s own batch limit', async () => {
    const queueUrl = sqs.queueUrl('long');
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(3, 100 * 1024) })))
      .rejects.toMatchObject({ name: 'BatchRequestTooLong', $metadata: { httpStatusCode: 400 } });
    expect(sqs.store.messages(queueUrl)).toEqual([]);
  });
});

describe('local @connections API', () => {
  let api: ConnectionsApiServer;
  let management: ApiGatewayManagementApiClient;
  const received: string[] = [];
  beforeAll(async () => {
    api = await startConnectionsApi();
    const now = new Date();
    api.registry.add({
      connectionId: 'c1', connectedAt: now, lastActiveAt: now, sourceIp: '127.0.0.1', send: (data) => received.push(data), close: () => undefined,
    });
    management = new ApiGatewayManagementApiClient({ ...LOCAL_AWS, endpoint: api.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    management.destroy();
    await api.close();
  });

  it('delivers a post of 128 KB and refuses one byte more with 413, delivering nothing', async () => {
    const largest = 'x'.repeat(LIMITS.maxFrameBytes);
    await management.send(new PostToConnectionCommand({ ConnectionId: 'c1', Data: largest }));
    expect(received).toEqual([largest]);
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: 'c1', Data: `${largest}x` })))
      .rejects.toMatchObject({ name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } });
    expect(received).toHaveLength(1);
  });

  it('answers 410 for a connection that is gone, whatever the size of the post', async () => {
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: 'gone', Data: 'x'.repeat(LIMITS.maxFrameBytes + 1) })))
      .rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
  });
});
