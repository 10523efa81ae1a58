/**
 * Runs a Lambda bundle (assets/<name>/index.js) the way Lambda does, as far as the handlers can
 * tell: in an environment of its own (a worker thread whose process.env is exactly the function's
 * environment plus what the Lambda runtime adds), with a Lambda context, and with results passed
 * back as JSON. One worker per function; invocations may overlap inside it. An invocation that
 * times out stops its environment, as Lambda does: nothing it left running goes on (posting,
 * enqueueing, holding state), and the next invocation starts a fresh one. Invocations overlapping
 * it in that environment fail with it (in Lambda each would have had an environment of its own).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** What a handler threw, as Lambda reports it (errorType, errorMessage). */
export class HandlerError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly handlerStack?: string,
  ) {
    super(`${functionName} failed: ${errorType}: ${errorMessage}`);
    this.name = 'HandlerError';
  }
}

export interface LambdaFunctionOptions {
  readonly functionName: string;
  /** Absolute path of the CommonJS bundle that exports `handler`. */
  readonly bundlePath: string;
  /** The function's environment variables (as the construct sets them). */
  readonly environment: Record<string, string>;
  /** Added after `environment`, as the Lambda runtime adds its own (region, credentials, endpoints…). */
  readonly runtimeEnvironment: Record<string, string>;
  readonly region: string;
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
  /** Receives every line the handler writes to stdout or stderr. */
  readonly log?: (functionName: string, line: string) => void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The execution environment running the invocation. */
  worker: Worker;
}

const WORKER_SCRIPT = join(__dirname, 'worker.cjs');

export class LambdaFunction {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly options: LambdaFunctionOptions) {}

  get name(): string {
    return this.options.functionName;
  }

  /** Invokes the handler with `event`; resolves with its (JSON-serialised) result, rejects with HandlerError. */
  invoke<T = unknown>(event: unknown): Promise<T> {
    if (this.stopped) return Promise.reject(new Error(`${this.name} is stopped.`));
    const worker = this.worker ?? this.startWorker();
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HandlerError(this.name, 'Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
        this.discard(worker, 'Another invocation in it timed out, which stops the execution environment.');
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer, worker });
      worker.postMessage({ id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs });
    });
  }

  /**
   * Kills the current execution environment mid-invocation, as an out-of-memory kill or a crash
   * would: what is in flight fails, and the next invocation starts a fresh environment.
   */
  async crash(): Promise<void> {
    await this.worker?.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.failPending(new Error(`${this.name} was stopped during the invocation.`));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  /** Stops `worker` at once; what else runs in it fails with `reason`. */
  private discard(worker: Worker, reason: string): void {
    if (this.worker === worker) this.worker = undefined;
    this.failPending(new HandlerError(this.name, 'Runtime.ExitError', reason), worker);
    void worker.terminate();
  }

  private startWorker(): Worker {
    const o = this.options;
    const worker = new Worker(WORKER_SCRIPT, {
      env: { ...o.environment, ...o.runtimeEnvironment },
      workerData: { bundlePath: o.bundlePath, functionName: o.functionName, region: o.region, memoryMb: o.memoryMb ?? 256 },
      stdout: true,
      stderr: true,
    });
    forwardLines(worker.stdout, (line) => o.log?.(o.functionName, line));
    forwardLines(worker.stderr, (line) => o.log?.(o.functionName, line));
    worker.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: { errorType: string; errorMessage: string; stack?: string } }) => {
      const entry = this.pending.get(message.id);
      if (!entry) return; // timed out already
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.ok) entry.resolve(message.result);
      else entry.reject(new HandlerError(o.functionName, message.error!.errorType, message.error!.errorMessage, message.error!.stack));
    });
    // An uncaught error kills the execution environment, as in Lambda: fail what was in flight and
    // start a fresh one on the next invocation.
    worker.on('error', (error) => {
      o.log?.(o.functionName, `execution environment crashed: ${error.stack ?? error.message}`);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failPending(new HandlerError(o.functionName, 'Runtime.ExitError', 'The execution environment exited during the invocation.'), worker);
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Fails the invocations in flight (in `worker` only, when given). */
  private failPending(error: Error, worker?: Worker): void {
    for (const [id, entry] of this.pending) {
      if (worker && entry.worker !== worker) continue;
      clearTimeout(entry.timer);
      entry.reject(error);
      this.pending.delete(id);
    }
  }
}

function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
