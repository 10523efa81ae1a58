/**
 * The local runtime as a library, for tests and benchmarks:
 * `const runtime = await startLocalRuntime({ port: 0 }); … await runtime.stop();`
 */
export { startLocalRuntime } from './runtime';
export type { DeadLetter, LocalRuntime, LocalRuntimeOptions } from './runtime';
export { startDynamoDbLocal, ensureDynamoDbLocal, DYNAMODB_LOCAL_VERSION } from './dynamodb-local';
export type { DynamoDbLocal, DynamoDbLocalOptions } from './dynamodb-local';
export { localSettings, LOCAL_STAGE, LOCAL_EVENT_BUS } from './settings';
export { HandlerError } from './lambda/invoker';
export type { TokenOptions } from './auth/dev-issuer';
