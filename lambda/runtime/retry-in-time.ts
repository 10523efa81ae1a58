/**
 * Tries an idempotent action again after it fails, with full-jitter backoff, for as long as the
 * invocation has time for another try. Without the invocation's time (no Lambda context), a
 * bounded number of tries. The delays and the clock are injectable for tests.
 */
import { BackoffPolicy, fullJitterDelayMs } from './retry';

export interface RetryInTime {
  readonly backoff: BackoffPolicy;
  /** A try is started only with this much time left after its delay: what one try may take. */
  readonly tryTimeMs: number;
  /** Tries, the first included, when the time left is unknown. */
  readonly maxTriesWithoutTime: number;
  /** The invocation's time left (Lambda's getRemainingTimeInMillis); undefined when unknown. */
  readonly remainingMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Resolves with the first success; rejects with the last failure once there is no time (or try) left. */
export async function retryWhileTimeLeft<T>(action: () => Promise<T>, options: RetryInTime): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let retry = 0; ; retry++) {
    try {
      return await action();
    } catch (error) {
      const delayMs = fullJitterDelayMs(retry + 1, options.backoff, options.random);
      if (!timeForAnother(options, retry + 2, delayMs)) throw error;
      await sleep(delayMs);
    }
  }
}

function timeForAnother(options: RetryInTime, nextTry: number, delayMs: number): boolean {
  if (options.remainingMs === undefined) return nextTry <= options.maxTriesWithoutTime;
  return options.remainingMs() >= delayMs + options.tryTimeMs;
}
