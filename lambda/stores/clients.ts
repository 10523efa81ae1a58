/**
 * The AWS SDK clients the handlers share. Created once per Lambda instance (module scope), so
 * connections stay warm between invocations.
 *
 * Endpoints come from the SDK's own configuration: in AWS the regional default, locally the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`) variable, which is how the local
 * runtime and the tests point the same bundles at an embedded DynamoDB.
 */
import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { fullJitterDelayMs } from '../runtime/retry';

/**
 * Attempts per DynamoDB call, first one included. The SDK's standard retry strategy retries
 * throttling (ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded) and transient 5xx errors.
 */
export const DYNAMODB_MAX_ATTEMPTS = 6;

/** How long an attempt may wait for a connection to DynamoDB before it fails (and is retried). */
export const DYNAMODB_CONNECTION_TIMEOUT_MS = 3_000;

/**
 * Full-jitter backoff between attempts, at most 1 s: every retry of a call fits in about 1.5 s.
 * The SDK's own throttling backoff (a 500 ms base, doubling up to 20 s) can outlast a route
 * function's 10-second timeout on a call that is throttled a few times in a row, which turns a
 * brief burst of throttling into a failed connect or disconnect.
 */
export function dynamoDbRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  // The SDK passes 1 before the first retry, whose delay is then up to 50 ms.
  return fullJitterDelayMs(attempt + 1, { baseMs: 25, capMs: 1_000 }, random);
}

export function createDynamoDbClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    retryStrategy: new ConfiguredRetryStrategy(DYNAMODB_MAX_ATTEMPTS, (attempt) => dynamoDbRetryDelayMs(attempt)),
    // Keep-alive is the Node handler's default; stated here because fan-out depends on it.
    requestHandler: {
      httpAgent: { keepAlive: true },
      httpsAgent: { keepAlive: true },
      connectionTimeout: DYNAMODB_CONNECTION_TIMEOUT_MS,
      // An attempt that hangs fails with TimeoutError, which the retry mode retries.
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    },
    ...overrides,
  });
}

/**
 * The client with `signal` given to every call sent through it (paginators included): once the
 * signal aborts, calls in flight, their retries and new calls fail at once with AbortError.
 */
export function abortableDocumentClient(doc: DynamoDBDocumentClient, signal: AbortSignal): DynamoDBDocumentClient {
  const bounded = Object.create(doc) as DynamoDBDocumentClient;
  const send = (command: Parameters<DynamoDBDocumentClient['send']>[0], options?: object) => doc.send(command, { ...options, abortSignal: signal });
  bounded.send = send as DynamoDBDocumentClient['send'];
  return bounded;
}

/** A DocumentClient that drops `undefined` attributes (optional fields such as `userId`). */
export function createDocumentClient(client: DynamoDBClient = createDynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
