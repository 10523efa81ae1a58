/**
 * The fan-out engine: posts one serialised frame to many connections. Pure logic; the post
 * itself is injected (lambda/fanout/connections-poster.ts wires the @connections API).
 *
 * - The frame is serialised once by the caller and the same bytes are posted to everyone.
 * - At most `concurrency.limit` posts are in flight (shared with every other fan-out in the
 *   instance), that limit halves on throttling and recovers on success (AIMD).
 * - An optional rate limiter caps posts per second.
 * - Throttling, 5xx and network errors are retried a few times with jittered backoff; what still
 *   fails is returned with its reason, for the caller to re-queue or dead-letter.
 * - 410 (gone) is returned as such, for the caller to clean up; it is never retried.
 * - Past the deadline no new post starts: the rest is returned untouched, for the caller to
 *   re-queue before the Lambda times out, so no connection is silently skipped. The deadline is
 *   checked again once a post has its place in flight and its rate token (both may be waited on
 *   long, behind other fan-outs, under throttling), and each post's timeout ends near it.
 * - The audience may be a list or pages that arrive over time (a paginated Query): posting
 *   starts with the first page while the next one is read, and every id read is accounted for,
 *   those that arrive past the deadline included (as not attempted).
 */
import { AdaptiveConcurrency } from './concurrency';
import { Clock } from '../runtime/clock';
import { RateLimiter } from './rate';
import { BackoffPolicy, fullJitterDelayMs } from '../runtime/retry';

/** Why a post did not reach its connection. */
export type DeliveryFailureReason =
  /** 429 from @connections: the account's request quota is exhausted. */
  | 'THROTTLED'
  /** 5xx from @connections. */
  | 'SERVER_ERROR'
  /** No HTTP answer: reset, refused, timed out. */
  | 'NETWORK_ERROR'
  /** 413: API Gateway refuses the frame's size; retrying cannot help. */
  | 'PAYLOAD_TOO_LARGE'
  /** 403: the function may not call @connections; fix its permissions. */
  | 'FORBIDDEN'
  /** Any other 4xx: the request itself is refused; retrying cannot help. */
  | 'REJECTED'
  /** 410 while the connection's $connect may still be running: its handshake is not done yet. */
  | 'OPENING';

export type PostResult =
  | { readonly status: 'delivered' }
  | { readonly status: 'gone' }
  | {
    readonly status: 'failed';
    readonly reason: DeliveryFailureReason;
    /** Whether trying again later may succeed. */
    readonly retryable: boolean;
    /** The underlying error, for logs. */
    readonly detail?: string;
  };

type FailedPost = Extract<PostResult, { status: 'failed' }>;

/**
 * Posts `frame` to one connection. Should classify its errors rather than throw. Gives up after
 * `timeoutMs` when given (a network error), if that is shorter than its own timeout.
 */
export type Poster = (connectionId: string, frame: Uint8Array, timeoutMs?: number) => Promise<PostResult>;

export interface FailedDelivery {
  readonly connectionId: string;
  readonly reason: DeliveryFailureReason;
  readonly retryable: boolean;
  readonly detail?: string;
}

export interface FanoutResult {
  readonly delivered: string[];
  /** Connections that answered 410: closed, to be removed from the tables. */
  readonly gone: string[];
  /** Connections still failing after the in-invocation retries (or failing for good). */
  readonly failed: FailedDelivery[];
  /** Connections not tried because the deadline came first. */
  readonly notAttempted: string[];
  /** 429 answers seen, retries included. */
  readonly throttled: number;
  /** Posts made, retries included. */
  readonly posts: number;
}

export interface PostRetryPolicy {
  /** Posts per connection in this invocation, the first included. */
  readonly maxAttempts: number;
  /** Backoff after a 429. */
  readonly throttled: BackoffPolicy;
  /** Backoff after a 5xx or a network error. */
  readonly error: BackoffPolicy;
}

/**
 * The shortest timeout given to a post that starts just before the deadline: a shorter one would
 * mostly turn posts API Gateway is about to accept into retries (and duplicates). The caller's
 * reserve after the deadline must cover it.
 */
export const MIN_POST_TIMEOUT_MS = 1_000;

export const DEFAULT_POST_RETRY: PostRetryPolicy = {
  maxAttempts: 3,
  throttled: { baseMs: 100, capMs: 2_000 },
  error: { baseMs: 50, capMs: 1_000 },
};

export interface FanoutOptions {
  readonly concurrency: AdaptiveConcurrency;
  readonly rateLimiter?: RateLimiter;
  readonly retry?: PostRetryPolicy;
  /** Epoch milliseconds after which no post (or retry) starts. */
  readonly deadline?: number;
  readonly clock: Clock;
  readonly random?: () => number;
}

/** The connections to post to: a list, or pages of ids read as the posts go. */
export type FanoutAudience = readonly string[] | AsyncIterable<readonly string[]>;

/**
 * Posts to every connection of the audience. When the pages throw, no new post starts, the
 * posts in flight finish, and the error is thrown.
 */
export async function fanOut(
  audience: FanoutAudience,
  frame: Uint8Array,
  post: Poster,
  options: FanoutOptions,
): Promise<FanoutResult> {
  const run = startRun(frame, post, options);
  const pool = new WorkerPool(run);
  if (isList(audience)) {
    pool.feed(audience);
    await pool.finish();
    return run.result;
  }
  let sourceError: { error: unknown } | undefined;
  try {
    for await (const page of audience) pool.feed(page);
  } catch (error) {
    sourceError = { error };
  }
  await pool.finish({ abort: sourceError !== undefined });
  if (sourceError) throw sourceError.error;
  return run.result;
}

function isList(audience: FanoutAudience): audience is readonly string[] {
  return Array.isArray(audience);
}

/** What every post of one fan-out shares, and the result it fills in. */
interface FanoutRun {
  readonly frame: Uint8Array;
  readonly post: Poster;
  readonly retry: PostRetryPolicy;
  readonly random: () => number;
  readonly clock: Clock;
  readonly concurrency: AdaptiveConcurrency;
  readonly rateLimiter?: RateLimiter;
  readonly deadline: Deadline;
  readonly result: { -readonly [K in keyof FanoutResult]: FanoutResult[K] };
}

function startRun(frame: Uint8Array, post: Poster, options: FanoutOptions): FanoutRun {
  return {
    frame,
    post,
    retry: options.retry ?? DEFAULT_POST_RETRY,
    random: options.random ?? Math.random,
    clock: options.clock,
    concurrency: options.concurrency,
    rateLimiter: options.rateLimiter,
    deadline: new Deadline(options.deadline, options.clock),
    result: { delivered: [], gone: [], failed: [], notAttempted: [], throttled: 0, posts: 0 },
  };
}

/** When no post or retry starts any more, and how long a post started before it may take. */
class Deadline {
  constructor(private readonly at: number | undefined, private readonly clock: Clock) {}

  /** Whether the deadline has come by `time`. */
  passedBy(time: number): boolean {
    return this.at !== undefined && time >= this.at;
  }

  passedNow(): boolean {
    return this.passedBy(this.clock.now());
  }

  /** Until the deadline, but never less than MIN_POST_TIMEOUT_MS; none without a deadline. */
  postTimeoutMs(): number | undefined {
    return this.at === undefined ? undefined : Math.max(MIN_POST_TIMEOUT_MS, this.at - this.clock.now());
  }
}

/**
 * A pool of workers pulling from one queue of ids read and not yet taken: connections start in
 * audience order, and the pool never holds more promises than the maximum concurrency, however
 * large the audience. Workers are started as ids arrive, up to that maximum.
 */
class WorkerPool {
  private readonly pending = new PendingIds();
  private readonly workers: Promise<void>[] = [];
  private started = 0;
  private aborted = false;

  constructor(private readonly run: FanoutRun) {}

  feed(ids: readonly string[]): void {
    this.pending.add(ids);
    const wanted = Math.min(this.run.concurrency.max, this.workers.length + this.pending.size);
    while (this.workers.length < wanted) this.workers.push(this.work());
  }

  /** No more ids: resolves when the workers are done. With `abort`, no worker takes another id. */
  async finish(options: { abort?: boolean } = {}): Promise<void> {
    if (options.abort) this.aborted = true;
    this.pending.close();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      if (this.aborted) return;
      const connectionId = this.pending.take();
      if (connectionId === undefined) {
        if (this.pending.closed) return;
        await this.pending.arrival();
        continue;
      }
      await this.start(connectionId);
    }
  }

  private async start(connectionId: string): Promise<void> {
    // At least one connection per fan-out, so a too-short deadline still makes progress.
    const late = this.run.deadline.passedNow();
    if (this.started > 0 && late) {
      this.run.result.notAttempted.push(connectionId);
      return;
    }
    this.started++;
    await deliverOne(this.run, connectionId, late);
  }
}

/**
 * Posts to one connection, retrying throttling and transient errors with backoff, until it is
 * delivered, gone, failed for good, out of attempts or out of time. `takenLate`: the fan-out's
 * first post, taken when the deadline had already passed; it goes anyway.
 */
async function deliverOne(run: FanoutRun, connectionId: string, takenLate: boolean): Promise<void> {
  const { result, retry, clock } = run;
  let mayOverrunDeadline = takenLate;
  let previous: FailedPost | undefined;
  for (let attempt = 1; ; attempt++) {
    const outcome = await postInTurn(run, connectionId, mayOverrunDeadline);
    if (outcome === undefined) {
      // Not tried again: reported as the earlier attempt left it, or not tried at all.
      if (previous) recordFailure(run, connectionId, previous);
      else result.notAttempted.push(connectionId);
      return;
    }
    if (outcome.status === 'delivered') {
      result.delivered.push(connectionId);
      return;
    }
    if (outcome.status === 'gone') {
      result.gone.push(connectionId);
      return;
    }
    const delayMs = fullJitterDelayMs(attempt, isThrottled(outcome) ? retry.throttled : retry.error, run.random);
    if (!outcome.retryable || attempt >= retry.maxAttempts || run.deadline.passedBy(clock.now() + delayMs)) {
      recordFailure(run, connectionId, outcome);
      return;
    }
    previous = outcome;
    mayOverrunDeadline = false;
    await clock.sleep(delayMs);
  }
}

/**
 * One post, made once it has its place in flight and its rate token; undefined, with nothing
 * posted, when waiting for them outlasted the deadline (unless it `mayOverrunDeadline`).
 */
async function postInTurn(run: FanoutRun, connectionId: string, mayOverrunDeadline: boolean): Promise<PostResult | undefined> {
  const { concurrency, result } = run;
  const slot = await concurrency.acquire();
  let outcome: PostResult;
  try {
    if (run.rateLimiter) await run.rateLimiter.take();
    if (!mayOverrunDeadline && run.deadline.passedNow()) {
      concurrency.release(slot, 'other');
      return undefined;
    }
    result.posts++;
    outcome = await run.post(connectionId, run.frame, run.deadline.postTimeoutMs());
  } catch (error) {
    // A poster should classify its errors; an unexpected throw is treated as transient.
    outcome = { status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail: String(error) };
  }
  const throttled = isThrottled(outcome);
  concurrency.release(slot, outcome.status === 'delivered' ? 'success' : throttled ? 'throttled' : 'other');
  if (throttled) result.throttled++;
  return outcome;
}

function isThrottled(outcome: PostResult): boolean {
  return outcome.status === 'failed' && outcome.reason === 'THROTTLED';
}

function recordFailure(run: FanoutRun, connectionId: string, outcome: FailedPost): void {
  run.result.failed.push({ connectionId, reason: outcome.reason, retryable: outcome.retryable, detail: outcome.detail });
}

/** Ids read and not yet taken by a worker, with a signal for workers waiting on the next page. */
class PendingIds {
  private ids: string[] = [];
  private head = 0;
  private waiting: { promise: Promise<void>; wake: () => void } | undefined;
  closed = false;

  get size(): number {
    return this.ids.length - this.head;
  }

  add(ids: readonly string[]): void {
    if (ids.length === 0) return;
    // Drop the ids already taken, so a long audience does not pile up behind the cursor.
    if (this.head > 0) {
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
    for (const id of ids) this.ids.push(id);
    this.wake();
  }

  take(): string | undefined {
    return this.head < this.ids.length ? this.ids[this.head++] : undefined;
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Resolves when ids are added or the audience ends. */
  arrival(): Promise<void> {
    if (!this.waiting) {
      let wake!: () => void;
      const promise = new Promise<void>((resolve) => { wake = resolve; });
      this.waiting = { promise, wake };
    }
    return this.waiting.promise;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.wake();
  }
}
