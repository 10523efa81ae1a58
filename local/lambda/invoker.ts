/**
 * Runs a Lambda bundle (assets/<name>/index.js) the way Lambda does, as far as the handlers can
 * tell: in an environment of its own (a worker thread whose process.env is exactly the function's
 * environment plus what the Lambda runtime adds), with a Lambda context, and with results passed
 * back as JSON. One worker per function unless `maxEnvironments` allows more: an invocation that
 * arrives while every worker is busy starts another, up to that many, as Lambda scales out (deliver
 * has as many as its event source mapping runs batches at once); invocations may overlap inside a
 * worker, where Lambda would give each an environment of its own. An invocation that times out fails alone, as in Lambda: its
 * worker is retired (the next invocation starts a fresh one), the invocations already running in
 * it finish, each within its own timeout, and the worker is stopped once none is left. Unlike
 * Lambda, what the timed-out invocation left running (posting, enqueueing, holding state) goes on
 * until then; when nothing else was running in it, it stops at once.
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
  /** Execution environments (worker threads) at most; a new one starts when every one is busy. @default 1 */
  readonly maxEnvironments?: number;
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
  /** The environments taking invocations. */
  private readonly live: Worker[] = [];
  /** Workers an invocation timed out in: they take no new invocations and stop once drained. */
  private readonly retired = new Set<Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly options: LambdaFunctionOptions) {}

  get name(): string {
    return this.options.functionName;
  }

  /** Its environment variables, as the construct would set them. */
  get environment(): Readonly<Record<string, string>> {
    return this.options.environment;
  }

  /** Invokes the handler with `event`; resolves with its (JSON-serialised) result, rejects with HandlerError. */
  invoke<T = unknown>(event: unknown): Promise<T> {
    if (this.stopped) return Promise.reject(new Error(`${this.name} is stopped.`));
    const worker = this.pick();
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HandlerError(this.name, 'Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
        this.retire(worker);
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
    await Promise.all([...this.live].map((w) => w.terminate()));
  }

  /** The least busy environment; a new one when every one is busy and more are allowed. */
  private pick(): Worker {
    let best: Worker | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const worker of this.live) {
      let running = 0;
      for (const entry of this.pending.values()) if (entry.worker === worker) running++;
      if (running < fewest) [best, fewest] = [worker, running];
    }
    if (best === undefined || (fewest > 0 && this.live.length < (this.options.maxEnvironments ?? 1))) return this.startWorker();
    return best;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.failPending(new Error(`${this.name} was stopped during the invocation.`));
    const workers = [...this.live, ...this.retired];
    this.live.length = 0;
    this.retired.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /**
   * Takes `worker` out of service after a timeout in it. The invocations running in it are
   * independent of the one that timed out (in Lambda each would have had an environment of its
   * own), so they are left to finish; the worker stops when the last one has.
   */
  private retire(worker: Worker): void {
    this.forget(worker);
    this.retired.add(worker);
    this.stopIfDrained(worker);
  }

  /** Stops a retired worker that runs no invocation any more. */
  private stopIfDrained(worker: Worker): void {
    if (!this.retired.has(worker)) return;
    for (const entry of this.pending.values()) if (entry.worker === worker) return;
    this.retired.delete(worker);
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
      this.stopIfDrained(worker);
    });
    // An uncaught error kills the execution environment, as in Lambda: fail what was in flight and
    // start a fresh one on the next invocation.
    worker.on('error', (error) => {
      o.log?.(o.functionName, `execution environment crashed: ${error.stack ?? error.message}`);
    });
    worker.on('exit', () => {
      this.forget(worker);
      this.retired.delete(worker);
      this.failPending(new HandlerError(o.functionName, 'Runtime.ExitError', 'The execution environment exited during the invocation.'), worker);
    });
    worker.unref();
    this.live.push(worker);
    return worker;
  }

  /** Takes `worker` out of the environments that take invocations. */
  private forget(worker: Worker): void {
    const at = this.live.indexOf(worker);
    if (at >= 0) this.live.splice(at, 1);
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
