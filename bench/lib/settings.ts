/**
 * The settings the benchmarks run the handlers with: the construct's defaults, pointed at local
 * endpoints, turned into each handler's environment by the same handlerEnvironment() the
 * construct and the local runtime use.
 */
import { handlerEnvironment, RuntimeSettings } from '../../lib/private/handlers';
import { HandlerName } from '../../lib/private/runtime-contract';
import { localSettings } from '../../local/settings';

export const BENCH_TABLES = {
  connectionsTable: 'bench-connections',
  subscriptionsTable: 'bench-subscriptions',
  countersTable: 'bench-counters',
  historyTable: 'bench-history',
};

/** The room the client-message benchmarks use, with the sample chat app's rules (publish and presence on rooms/*). */
export const CHAT_TOPIC = 'rooms/bench';
export const CHAT_SETTINGS: Partial<RuntimeSettings> = { publishRules: ['rooms/*'], presenceRules: ['rooms/*'] };

/** The local runtime's settings (the construct's defaults), with the benchmark's own tables. */
export function benchSettings(overrides: Partial<RuntimeSettings> = {}): RuntimeSettings {
  return localSettings('http://127.0.0.1:9', { serviceName: 'bench', ...BENCH_TABLES, ...overrides });
}

export interface LocalEndpoints {
  readonly dynamodb?: string;
  readonly sqs?: string;
  readonly eventbridge?: string;
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
    ...(endpoints.eventbridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge } : {}),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...handlerEnvironment(handler, settings),
  };
}
