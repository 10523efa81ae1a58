/**
 * Catching a client up in a stream with history: what it missed since its position, or the
 * honest answer that it cannot be caught up (`recovered: false`: another epoch, positions that
 * expired, more than the replay cap, or a position with nothing kept behind it).
 */
import type { KeptNotification, Position } from './history-store';
import type { StreamPosition } from '../protocol/frames';

export interface ReplaySource {
  head(stream: string, nowMs: number): Promise<Position>;
  /** `consistent`: every notification kept before the read is in it (at twice the read cost). */
  after(stream: string, afterSeq: number, limit: number, consistent?: boolean): Promise<KeptNotification[]>;
}

export type Replay =
  | { readonly ok: true; readonly recovered: boolean; readonly position: Position; readonly frames: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * The first read is eventually consistent, which costs half and is almost always complete.
 * Positions are given before their notification is kept (history-store.ts), so the newest may be
 * a moment behind the head: what is incomplete is read again, consistently, a few times over about
 * three seconds (a route function has ten), before the answer is `recovered: false`.
 */
const CATCH_UP_WAITS_MS = [25, 50, 100, 200, 400, 800, 1_600];

export async function replaySince(
  source: ReplaySource,
  stream: string,
  since: StreamPosition | undefined,
  maxReplay: number,
  nowMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  /** The head, when the caller has just read it (consistently). */
  head?: Position,
): Promise<Replay> {
  const position = head ?? await source.head(stream, nowMs);
  const none = (recovered: boolean): Replay => ({ ok: true, recovered, position, frames: [] });
  if (since === undefined || since.epoch !== position.epoch) return none(false);
  const ahead = aheadOfStream(since, position);
  if (ahead !== undefined) return { ok: false, message: ahead };
  const missed = position.seq - since.seq;
  if (missed === 0) return none(true);
  if (missed > maxReplay) return none(false);
  let kept = await source.after(stream, since.seq, missed);
  for (const wait of [0, ...CATCH_UP_WAITS_MS]) {
    if (isComplete(kept, since.seq, position.seq)) break;
    if (wait > 0) await sleep(wait);
    kept = await source.after(stream, since.seq, missed, true);
  }
  if (!isComplete(kept, since.seq, position.seq)) return none(false);
  return { ok: true, recovered: true, position, frames: kept.flatMap((k) => (k.frame === undefined ? [] : [k.frame])) };
}

/** Why `since` is refused when it is ahead of the stream's head (no position of this stream); undefined when it is not. */
export function aheadOfStream(since: StreamPosition | undefined, head: Position): string | undefined {
  if (since === undefined || since.epoch !== head.epoch || since.seq <= head.seq) return undefined;
  return `"since.seq" ${since.seq} is ahead of the stream, which is at ${head.seq}. Send the seq of a notification you received.`;
}

/** Every position from after `from` to `to`, in order, and nothing else. */
function isComplete(kept: readonly KeptNotification[], from: number, to: number): boolean {
  return kept.length === to - from && kept.every((k, i) => k.seq === from + 1 + i);
}
