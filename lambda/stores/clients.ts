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

/**
 * Attempts per DynamoDB call, first one included. The SDK's `standard` retry mode retries
 * throttling (ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded) and transient 5xx errors with jittered exponential backoff.
 */
export const DYNAMODB_MAX_ATTEMPTS = 6;

export function createDynamoDbClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    retryMode: 'standard',
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    // Keep-alive is the Node handler's default; stated here because fan-out depends on it.
    requestHandler: {
      httpAgent: { keepAlive: true },
      httpsAgent: { keepAlive: true },
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
    },
    ...overrides,
  });
}

/** A DocumentClient that drops `undefined` attributes (optional fields such as `userId`). */
export function createDocumentClient(client: DynamoDBClient = createDynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
