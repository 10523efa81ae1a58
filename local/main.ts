/**
 * `npm start`: the sample system on this machine. Environment:
 *   PORT               the one port everything is served on (default 3001)
 *   DYNAMODB_ENDPOINT  an external DynamoDB (e.g. DynamoDB Local) instead of the embedded engine
 *   ALLOW_BROADCAST    "true" to let `{"broadcast": true}` notifications through
 *   LOG_LEVEL          the handlers' log level (default WARN; INFO shows every invocation)
 */
import { startLocalRuntime, LocalRuntime } from './runtime';
import { startupBanner } from './banner';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const runtime = await startLocalRuntime({
    port,
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    allowBroadcast: process.env.ALLOW_BROADCAST === 'true',
    handlerLogLevel: process.env.LOG_LEVEL ?? 'WARN',
    log: (line) => console.log(`[local] ${line}`),
    handlerLog: (name, line) => console.log(`[${name}] ${line}`),
  });
  console.log(startupBanner(runtime));
  handleShutdown(runtime);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT is "${value}"; it must be a whole number from 0 to 65535 (0 picks a free port).`);
  }
  return port;
}

function handleShutdown(runtime: LocalRuntime): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('\nStopping now.');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: closing ${runtime.registry.size} connection(s) and stopping… (again to force)`);
    runtime.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`Stopped with an error: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`\nThe local runtime could not start: ${error.message}\n`);
  process.exit(1);
});
