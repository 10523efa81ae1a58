/**
 * DynamoDB Local from Maven Central, for the end-to-end suite's second engine and for
 * `DYNAMODB_LOCAL=true npm start`: fetched once with Maven into a cache folder (its jars and the
 * sqlite4java native libraries), then run with Java 17 in memory on a free port.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from './dynamodb';

/**
 * software.amazon.dynamodb:DynamoDBLocal. 3.1.0 rather than the newest 3.x because newer
 * releases depend on AWS SDK artifacts that are not all published on Maven Central.
 */
export const DYNAMODB_LOCAL_VERSION = '3.1.0';
const MAIN_CLASS = 'software.amazon.dynamodb.services.local.main.ServerRunner';

export interface DynamoDbLocalOptions {
  /** Where the jars are kept between runs. @default node_modules/.cache/dynamodb-local/<version> */
  readonly cacheDir?: string;
  /** @default a free port */
  readonly port?: number;
  /** How long to wait for it to answer. @default 60000 */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export function defaultCacheDir(): string {
  return join(__dirname, '..', 'node_modules', '.cache', 'dynamodb-local', DYNAMODB_LOCAL_VERSION);
}

/** Downloads DynamoDB Local with Maven unless the cache has it; returns the folder of jars and native libraries. */
export function ensureDynamoDbLocal(cacheDir = defaultCacheDir()): string {
  const libDir = join(cacheDir, 'lib');
  if (existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('DynamoDBLocal-'))) return libDir;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'pom.xml'), `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.cache</groupId>
  <artifactId>dynamodb-local-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>software.amazon.dynamodb</groupId>
      <artifactId>DynamoDBLocal</artifactId>
      <version>${DYNAMODB_LOCAL_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`);
  // copy-dependencies brings the jar, its dependencies and sqlite4java's .so/.dylib/.dll files.
  const result = spawnSync('mvn', ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`], {
    cwd: cacheDir,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.error) {
    throw new Error(`Could not run Maven to fetch DynamoDB Local (${result.error.message}). Install Maven (apt-get install maven), or use the embedded engine.`);
  }
  if (result.status !== 0) {
    throw new Error(`Maven could not fetch software.amazon.dynamodb:DynamoDBLocal:${DYNAMODB_LOCAL_VERSION}:\n${(result.stdout + result.stderr).slice(-2000)}`);
  }
  return libDir;
}

/** Starts DynamoDB Local in memory (one shared database for every credential and region). */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const libDir = ensureDynamoDbLocal(options.cacheDir);
  const port = options.port ?? await freePort();
  const java = spawn('java', [
    `-Djava.library.path=${libDir}`,
    '-cp', join(libDir, '*'),
    MAIN_CLASS,
    '-inMemory', '-sharedDb', '-disableTelemetry',
    '-port', String(port),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  java.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  java.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => {
    java.once('exit', (code) => resolve(code));
    java.once('error', (error) => {
      output += `\n${error.message} (is Java 17 installed, with java on PATH?)`;
      resolve(-1);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, exited, options.startTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    java.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    stop: async () => {
      if (java.exitCode !== null) return;
      java.kill('SIGTERM');
      const timer = setTimeout(() => java.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilAnswering(
  endpoint: string,
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  let processExited = false;
  exited.then(() => { processExited = true; });
  try {
    for (;;) {
      if (processExited) {
        throw new Error(`DynamoDB Local exited before answering:\n${output().slice(-2000)}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms.\n${output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
