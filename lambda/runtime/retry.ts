/**
 * Backoff arithmetic shared by the fan-out engine (in-invocation retries of one post) and the
 * deliver handler (re-queueing failed connections for later). Pure: randomness is injected.
 */
import { LIMITS } from '../../lib/private/runtime-contract';

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** No delay exceeds this, before jitter. */
  readonly capMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base * 2^(retry-1))].
 * Spreading retries over the whole window is what keeps many throttled callers from retrying in
 * lockstep. `retry` counts from 1 (the first retry).
 */
export function fullJitterDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

const MAX_SQS_DELAY_SECONDS = LIMITS.maxSqsDelaySeconds;

/**
 * DelaySeconds for re-queueing connections whose delivery failed, so the next attempt
 * lands after the cause (throttling, a 5xx burst) has had time to pass. `nextAttempt` is the
 * attempt the re-queued message will be (2 for the first re-queue). "Equal jitter": half fixed,
 * half random, so a retry is never immediate.
 */
export function requeueDelaySeconds(nextAttempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_SQS_DELAY_SECONDS, 5 * 2 ** Math.max(0, nextAttempt - 2));
  return Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(ceiling / 2 + random() * (ceiling / 2)));
}
