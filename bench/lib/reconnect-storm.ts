/**
 * A reconnect storm, simulated: every client of a fleet loses its connection at the same moment
 * (a deploy, an outage ending) and dials again with the client library's own backoff
 * (client/src/backoff.ts, imported, not copied), against API Gateway's quota of new connections
 * per second, modelled as a token bucket. A refused handshake is a failed dial to the client, so
 * it waits the next, longer backoff, exactly as client/src/client.ts does: after a drop, attempt
 * k (from 0) waits backoffDelay(k).
 *
 * Time runs in steps; the attempts of a step take the tokens the bucket holds, the rest are
 * refused. A handshake's own duration is left out (it only shifts every attempt alike).
 */
import { backoffDelay, BackoffOptions } from '../../client/src/backoff';

export interface StormOptions {
  readonly clients: number;
  /** New connections the quota admits per second (the bucket's refill). */
  readonly quotaPerSecond: number;
  /** The bucket's size: how many may connect at once after a quiet spell. @default quotaPerSecond (one second's worth) */
  readonly burst?: number;
  /** The client's `reconnect` option. */
  readonly backoff?: BackoffOptions;
  /** @default 10 */
  readonly stepMs?: number;
  /** Gives up (reports who is still out) after this long. @default 4 hours */
  readonly horizonMs?: number;
  /** A seeded generator makes a run repeatable. @default Math.random */
  readonly random?: () => number;
}

export interface StormResult {
  readonly clients: number;
  readonly connected: number;
  /** Milliseconds from the drop until this share of the fleet was connected again. */
  readonly connectedByMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly all: number };
  readonly attempts: number;
  readonly refused: number;
  /** The busiest second's dials, admitted or not. */
  readonly peakAttemptsPerSecond: number;
  /** Dials per second, admitted or not, averaged over the time until the last connect. */
  readonly meanAttemptsPerSecond: number;
  /** Admitted ÷ the quota over the time until the last connect: how much of it the storm used. */
  readonly quotaUse: number;
}

export function simulateReconnectStorm(options: StormOptions): StormResult {
  const stepMs = options.stepMs ?? 10;
  const horizonSteps = Math.ceil((options.horizonMs ?? 4 * 3_600_000) / stepMs);
  const random = options.random ?? Math.random;
  const burst = options.burst ?? options.quotaPerSecond;
  const refill = (options.quotaPerSecond * stepMs) / 1000;
  // Per step, the attempt counts (attempts made before, per waiting client) that dial then.
  const steps: Array<number[] | undefined> = new Array(horizonSteps);
  // A refused client dials again in a later step at the soonest: this step's dials are settled.
  const schedule = (fromStep: number, attemptsMade: number, earliestStep: number) => {
    const step = Math.max(earliestStep, fromStep + Math.floor(backoffDelay(attemptsMade, options.backoff, random) / stepMs));
    if (step >= horizonSteps) return;
    (steps[step] ??= []).push(attemptsMade);
  };
  for (let i = 0; i < options.clients; i++) schedule(0, 0, 0);

  const milestones = [0.5, 0.9, 0.99, 1].map((share) => Math.max(1, Math.ceil(share * options.clients)));
  const reachedAt: number[] = [];
  let tokens = burst;
  let connected = 0;
  let attempts = 0;
  let refused = 0;
  let secondAttempts = 0;
  let peakAttemptsPerSecond = 0;
  let lastStep = 0;
  const stepsPerSecond = Math.max(1, Math.round(1000 / stepMs));
  for (let step = 0; step < horizonSteps && connected < options.clients; step++) {
    tokens = Math.min(burst, tokens + refill);
    const dialling = steps[step];
    steps[step] = undefined;
    if (dialling) {
      attempts += dialling.length;
      secondAttempts += dialling.length;
      const admitted = Math.min(dialling.length, Math.floor(tokens));
      tokens -= admitted;
      connected += admitted;
      for (let i = admitted; i < dialling.length; i++) schedule(step, dialling[i] + 1, step + 1);
      refused += dialling.length - admitted;
      while (reachedAt.length < milestones.length && connected >= milestones[reachedAt.length]) reachedAt.push((step + 1) * stepMs);
      lastStep = step;
    }
    if ((step + 1) % stepsPerSecond === 0) {
      peakAttemptsPerSecond = Math.max(peakAttemptsPerSecond, secondAttempts);
      secondAttempts = 0;
    }
  }
  peakAttemptsPerSecond = Math.max(peakAttemptsPerSecond, secondAttempts);
  const seconds = ((lastStep + 1) * stepMs) / 1000;
  const at = (i: number) => reachedAt[i] ?? Number.POSITIVE_INFINITY;
  return {
    clients: options.clients,
    connected,
    connectedByMs: { p50: at(0), p90: at(1), p99: at(2), all: at(3) },
    attempts,
    refused,
    peakAttemptsPerSecond,
    meanAttemptsPerSecond: attempts / seconds,
    quotaUse: connected / (options.quotaPerSecond * seconds),
  };
}

/** A small, fast, seeded generator (mulberry32): the same seed, the same storm. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
