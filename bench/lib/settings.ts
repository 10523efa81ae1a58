/**
 * The settings the benchmarks run the handlers with: the construct's defaults, pointed at local
 * endpoints, turned into each handler's environment by the same handlerEnvironment() the
 * construct and the local runtime use.
 */
import {
  DEFAULTS,
  HandlerName,
  RuntimeSettings,
  handlerEnvironment,
} from '../../lib/private/runtime-contract';

export const BENCH_TABLES = {
  connectionsTable: 'bench-connections',
  subscriptionsTable: 'bench-subscriptions',
};

export function benchSettings(overrides: Partial<RuntimeSettings> = {}): RuntimeSettings {
  return {
    serviceName: 'bench',
    ...BENCH_TABLES,
    callbackUrl: 'http://127.0.0.1:9/local',
    queueUrl: 'http://127.0.0.1:9/000000000000/bench-deliver',
    deadLetterQueueUrl: 'http://127.0.0.1:9/000000000000/bench-deliver-dlq',
    detailType: DEFAULTS.detailType,
    connectionTtlSeconds: DEFAULTS.connectionTtlSeconds,
    maxSubscriptionsPerConnection: DEFAULTS.maxSubscriptionsPerConnection,
    topicRules: DEFAULTS.topicRules,
    allowBroadcast: false,
    deliveryConcurrency: DEFAULTS.deliveryConcurrency,
    shardThreshold: DEFAULTS.shardThreshold,
    shardSize: DEFAULTS.shardSize,
    maxDeliveryRatePerSecond: DEFAULTS.maxDeliveryRatePerSecond,
    maxDeliveryAttempts: DEFAULTS.maxDeliveryAttempts,
    auth: { mode: 'jwt', issuer: 'http://127.0.0.1:9/dev', audience: ['bench'], jwksUri: 'http://127.0.0.1:9/dev/jwks.json' },
    ...overrides,
  };
}

export interface LocalEndpoints {
  readonly dynamodb?: string;
  readonly sqs?: string;
}

/**
 * The whole process environment of one handler: its construct-given variables, plus what the
 * Lambda service itself provides (region, credentials), pointed at local endpoints.
 */
export function lambdaProcessEnv(handler: HandlerName, settings: RuntimeSettings, endpoints: LocalEndpoints = {}): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${handler}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...handlerEnvironment(handler, settings),
  };
}
