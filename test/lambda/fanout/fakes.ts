/** Test doubles for the pure delivery modules: a virtual clock and a scripted poster. */
import { Clock } from '../../../lambda/runtime/clock';
import { Poster, PostResult } from '../../../lambda/fanout/fanout';

/** Time that only moves when someone sleeps; every sleep is recorded. */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export const DELIVERED: PostResult = { status: 'delivered' };
export const GONE: PostResult = { status: 'gone' };
export const THROTTLED: PostResult = { status: 'failed', reason: 'THROTTLED', retryable: true };
export const SERVER_ERROR: PostResult = { status: 'failed', reason: 'SERVER_ERROR', retryable: true };
export const TOO_LARGE: PostResult = { status: 'failed', reason: 'PAYLOAD_TOO_LARGE', retryable: false };

/**
 * A poster that answers each connection from a script (one answer per post, the last one
 * repeating; DELIVERED when unscripted), taking a few event-loop turns per post so posts overlap.
 */
export class ScriptedPoster {
  readonly calls: Array<{ connectionId: string; frame: Uint8Array }> = [];
  inFlight = 0;
  maxInFlight = 0;
  /** In-flight count seen at the start of each post. */
  readonly inFlightAtStart: number[] = [];

  constructor(private readonly script: Record<string, PostResult[]> = {}, private readonly turns = 3) {}

  readonly post: Poster = async (connectionId, frame) => {
    this.calls.push({ connectionId, frame });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.inFlightAtStart.push(this.inFlight);
    for (let i = 0; i < this.turns; i++) await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    const answers = this.script[connectionId];
    if (!answers || answers.length === 0) return DELIVERED;
    return answers.length > 1 ? answers.shift()! : answers[0];
  };

  postsTo(connectionId: string): number {
    return this.calls.filter((c) => c.connectionId === connectionId).length;
  }
}

export function ids(count: number, prefix = 'c'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}
