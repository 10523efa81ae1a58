/** Positions taken in blocks: the order asked, one increment per block, failures kept to their block. */
import { Increment, PositionBlocks } from '../../../lambda/history/position-blocks';

/** A head kept in memory, whose increments settle when the test says. */
function head() {
  let last = 0;
  const calls: Array<{ stream: string; count: number; settle: (fail?: Error) => void }> = [];
  const blocks = new PositionBlocks<string>((stream, count) => new Promise<Increment<string>>((resolve, reject) => {
    calls.push({ stream, count, settle: (fail) => (fail ? reject(fail) : resolve({ last: (last += count), with: `after ${count}` })) });
  }));
  return { blocks, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the first asks alone; those that ask meanwhile take theirs together, in the order they asked', async () => {
  const { blocks, calls } = head();
  const first = blocks.take('s', 1);
  const rest = [blocks.take('s', 2), blocks.take('s', 3), blocks.take('s', 4)];
  expect(calls.map((c) => c.count)).toEqual([1]);
  calls[0].settle();
  expect(await first).toEqual({ seq: 1, with: 'after 1' });
  await tick();
  expect(calls.map((c) => c.count)).toEqual([1, 3]);
  calls[1].settle();
  expect(await Promise.all(rest)).toEqual([2, 3, 4].map((seq) => ({ seq, with: 'after 3' })));
});

test('streams do not wait for each other', async () => {
  const { blocks, calls } = head();
  void blocks.take('a', 1);
  void blocks.take('b', 1);
  expect(calls.map((c) => c.stream)).toEqual(['a', 'b']);
});

test('a failed increment fails its own block only; the next block takes the positions', async () => {
  const { blocks, calls } = head();
  const first = blocks.take('s', 1);
  const second = blocks.take('s', 2);
  calls[0].settle(new Error('throttled'));
  await expect(first).rejects.toThrow('throttled');
  await tick();
  calls[1].settle();
  expect(await second).toEqual({ seq: 1, with: 'after 1' });
  // Nothing waits: the next one goes at once.
  void blocks.take('s', 3);
  expect(calls).toHaveLength(3);
});
