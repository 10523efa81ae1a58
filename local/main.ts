/**
 * `npm start`: the sample system on this machine. Options (after `npm start --`):
 *   --data-dir DIR     keep the embedded DynamoDB's tables in DIR across restarts (or DATA_DIR)
 * Environment:
 *   PORT               the one port everything is served on (default 3001)
 *   DYNAMODB_ENDPOINT  an external DynamoDB (e.g. DynamoDB Local) instead of the embedded engine
 *   DYNAMODB_LOCAL     "true" to fetch (Maven) and run DynamoDB Local (Java 17) instead of the embedded engine
 *   S3_ENDPOINT        an S3 endpoint for the payload bucket instead of moto's S3 server
 *   LOCAL_S3           "false" to run without a payload bucket (no Python needed; notifications over 128 KB are
 *                      dead-lettered), "true" to fail when it cannot start; unset, it runs without one when Python is missing
 *   ALLOW_BROADCAST    "true" to let `{"broadcast": true}` notifications through
 *   LOG_LEVEL          the handlers' log level (default WARN; INFO shows every invocation)
 *   MAX_CONNECTION_SECONDS  close every connection after this long (default 7200, API Gateway's 2 hours)
 *   IDLE_TIMEOUT_SECONDS    close connections idle this long (default 600, API Gateway's 10 minutes)
 *   LOCAL_ASSETS_DIR   where the handler bundles are (default assets/, as `npm run bundle` builds them)
 */
import { resolve } from 'node:path';
import { startupBanner } from './banner';
import { DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { startLocalRuntime } from './runtime';
import { LocalS3, startLocalS3 } from './s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  // Every value is checked before anything starts, so a bad one leaves nothing running.
  const port = parsePort(process.env.PORT);
  const maxConnectionMs = secondsEnv('MAX_CONNECTION_SECONDS');
  const idleTimeoutMs = secondsEnv('IDLE_TIMEOUT_SECONDS');
  const allowBroadcast = booleanEnv('ALLOW_BROADCAST');
  const dynamodbEndpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  const runDynamoDbLocal = booleanEnv('DYNAMODB_LOCAL') && !dynamodbEndpoint;
  const dataDir = dataDirOption(process.argv.slice(2)) ?? (process.env.DATA_DIR || undefined);
  if (dataDir && (dynamodbEndpoint || runDynamoDbLocal)) {
    throw new Error('--data-dir keeps the embedded engine\'s data: leave out DYNAMODB_ENDPOINT and DYNAMODB_LOCAL, which keep their own.');
  }

  const s3Endpoint = process.env.S3_ENDPOINT || undefined;
  const s3Asked = process.env.LOCAL_S3 !== undefined && process.env.LOCAL_S3 !== '';
  const runS3 = !s3Endpoint && (!s3Asked || booleanEnv('LOCAL_S3'));
  let localS3: LocalS3 | undefined;
  if (runS3) {
    console.log('Starting moto\'s S3 server for the payload bucket (the first run installs it from PyPI)…');
    try {
      localS3 = await startLocalS3();
    } catch (error) {
      // Only large payloads need it: without Python, the rest runs, and the banner says what is off.
      if (s3Asked) throw error;
      console.warn(`No payload bucket: ${(error as Error).message.split('\n')[0]}\n`
        + 'Notifications over 128 KB will be dead-lettered. Install python3 with venv for it, or set LOCAL_S3=false to skip this step.');
    }
  }
  let dynamoDbLocal: DynamoDbLocal | undefined;
  if (runDynamoDbLocal) {
    console.log('Starting DynamoDB Local (the first run fetches it with Maven)…');
    dynamoDbLocal = await startDynamoDbLocal();
  }
  const runtime = await startLocalRuntime({
    port,
    assetsDir: process.env.LOCAL_ASSETS_DIR || undefined,
    dynamodbEndpoint: dynamodbEndpoint ?? dynamoDbLocal?.endpoint,
    s3Endpoint: s3Endpoint ?? localS3?.endpoint,
    ...(dataDir ? { dataDir: resolve(dataDir) } : {}),
    allowBroadcast,
    // Rehearse API Gateway's closes in seconds rather than hours.
    maxConnectionMs,
    idleTimeoutMs,
    // As the sample stack: chat rooms where signed-in users publish and see who is there.
    settings: { publishRules: ['rooms/*'], presenceRules: ['rooms/*'], historyRules: ['rooms/*'] },
    handlerLogLevel: process.env.LOG_LEVEL ?? 'WARN',
    log: (line) => console.log(`[local] ${line}`),
    handlerLog: (name, line) => console.log(`[${name}] ${line}`),
  }).catch(async (error: Error) => {
    await dynamoDbLocal?.stop();
    await localS3?.stop();
    throw error;
  });
  console.log(startupBanner(runtime, s3Endpoint ?? localS3?.endpoint));
  handleShutdown(async () => {
    await runtime.stop();
    await dynamoDbLocal?.stop();
    await localS3?.stop();
  }, () => runtime.registry.size);
}

/** `--data-dir DIR` (or `--data-dir=DIR`) from the command line; anything else is refused. */
function dataDirOption(args: string[]): string | undefined {
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
    if (name !== '--data-dir') throw new Error(`Unknown option ${args[i]}: npm start takes --data-dir DIR (keep the data across restarts); the rest is set in the environment (see local/README.md).`);
    dir = inline ?? args[++i];
    if (!dir) throw new Error('--data-dir needs a folder: npm start -- --data-dir .data');
  }
  return dir;
}

/** A whole number of seconds from the environment, in milliseconds; undefined when unset. */
function secondsEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`${name} is "${value}"; it must be a whole number of seconds, 1 or more.`);
  }
  return seconds * 1000;
}

/** "true" or "false" from the environment (false when unset): anything else is refused, not read as false. */
function booleanEnv(name: string): boolean {
  const value = process.env[name];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} is "${value}"; it must be "true" or "false" (unset means false).`);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT is "${value}"; it must be a whole number from 0 to 65535 (0 picks a free port).`);
  }
  return port;
}

function handleShutdown(stopAll: () => Promise<void>, openConnections: () => number): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('\nStopping now.');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: closing ${openConnections()} connection(s) and stopping… (again to force)`);
    stopAll().then(
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
