/**
 * Catching up: the decisions of replaySince over a history that answers as told. The kept
 * history's own behaviour (DynamoDB) is covered by the deliver and end-to-end tests; here the
 * source plays what only races and crashes produce: a notification kept a moment after the
 * head moved, and a position with nothing behind it.
 */
import { replaySince, ReplaySource } from '../../../lambda/history/replay';
import type { KeptNotification } from '../../../lambda/history/history-store';

const EPOCH = 'e1';
const frame = (seq: number) => JSON.stringify({ type: 'notification', id: `n-${seq}`, seq, epoch: EPOCH });

/** A history at `head`, holding `kept` (seq → frame or void); `late` appear only from the given read on. */
function source(head: number, kept: number[], options: { voids?: number[]; late?: Record<number, number> } = {}) {
  const reads: boolean[] = [];
  const s: ReplaySource = {
    head: async () => ({ seq: head, epoch: EPOCH }),
    after: async (_stream, afterSeq, limit, consistent = false) => {
      reads.push(consistent);
      const visible = kept.filter((seq) => (options.late?.[seq] ?? 0) < reads.length);
      return visible.filter((seq) => seq > afterSeq).sort((a, b) => a - b).slice(0, limit)
        .map((seq): KeptNotification => (options.voids?.includes(seq) ? { seq } : { seq, frame: frame(seq) }));
    },
  };
  return { s, reads };
}
const noWait = async () => undefined;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('replays every kept notification after the position, once, in order, with one cheap read', async () => {
  const { s, reads } = source(10, range(1, 10));
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 6 }, 100, 0, noWait))
    .toEqual({ ok: true, recovered: true, position: { seq: 10, epoch: EPOCH }, frames: [7, 8, 9, 10].map(frame) });
  expect(reads).toEqual([false]);
});

test('void positions are skipped, and do not count as a gap', async () => {
  const { s } = source(5, range(1, 5), { voids: [4] });
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 2 }, 100, 0, noWait)).toMatchObject({ recovered: true, frames: [3, 5].map(frame) });
});

test('a notification kept a moment after the head moved is waited for, with consistent reads', async () => {
  const { s, reads } = source(8, range(1, 8), { late: { 8: 2 } });
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 5 }, 100, 0, noWait)).toMatchObject({ recovered: true, frames: [6, 7, 8].map(frame) });
  expect(reads).toEqual([false, true, true]);
});

test('a position with nothing kept behind it is recovered: false, after waits that fit a route function, and nothing is replayed', async () => {
  const waits: number[] = [];
  const { s } = source(8, [1, 2, 3, 4, 5, 7, 8]);
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 4 }, 100, 0, async (ms) => { waits.push(ms); }))
    .toMatchObject({ ok: true, recovered: false, frames: [] });
  expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(4_000);
});

test('another epoch, more than the cap, or nothing missed', async () => {
  const { s } = source(50, range(1, 50));
  expect(await replaySince(s, 't', { epoch: 'old', seq: 3 }, 100, 0, noWait)).toMatchObject({ recovered: false, frames: [] });
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 10 }, 30, 0, noWait)).toMatchObject({ recovered: false, frames: [] });
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 50 }, 30, 0, noWait)).toMatchObject({ recovered: true, frames: [] });
  expect(await replaySince(s, 't', undefined, 30, 0, noWait)).toMatchObject({ recovered: false, position: { seq: 50 } });
});

test('a position ahead of the stream is refused with words', async () => {
  const { s } = source(3, range(1, 3));
  expect(await replaySince(s, 't', { epoch: EPOCH, seq: 4 }, 30, 0, noWait))
    .toEqual({ ok: false, message: expect.stringMatching(/ahead of the stream, which is at 3/) });
});
