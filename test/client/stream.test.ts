import { Notification, Stream } from '../../client/src/stream';

const n = (seq: number, epoch = 'e1'): Notification => ({ id: `n-${epoch}-${seq}`, seq, epoch, data: seq, time: '' });
const seqs = (frames: Notification[]) => frames.map((f) => f.seq);

describe('Stream (ordering and positions)', () => {
  it('holds frames until the answer, then hands them over in seq order without those already delivered', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 41 };
    stream.hold();
    // Live frames before (and among) the replayed ones, and a duplicate of each kind.
    for (const seq of [44, 42, 40, 43, 42, 41, 45]) expect(stream.take(n(seq))).toEqual([]);
    expect(seqs(stream.release({ epoch: 'e1', seq: 45, recovered: true }))).toEqual([42, 43, 44, 45]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 45 });
    expect(stream.holding).toBe(false);
    expect(seqs(stream.take(n(46)))).toEqual([46]);
    expect(stream.take(n(44))).toEqual([]);
  });

  it('starts from the answer’s position on a fresh subscribe, keeping what arrived before it', () => {
    const stream = new Stream();
    stream.hold();
    stream.take(n(9));
    stream.take(n(8));
    expect(seqs(stream.release({ epoch: 'e1', seq: 10 }))).toEqual([8, 9]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 10 });
    // Published before the answer, posted after it: still handed over (ids weed out repeats).
    expect(seqs(stream.take(n(7)))).toEqual([7]);
    expect(seqs(stream.take(n(11)))).toEqual([11]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 11 });
  });

  it('after a recovered resubscribe, drops anything up to the answer’s position that comes late', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 4 };
    stream.hold();
    stream.take(n(5));
    expect(seqs(stream.release({ epoch: 'e1', seq: 5, recovered: true }))).toEqual([5]);
    expect(stream.take(n(5))).toEqual([]);
    expect(stream.take(n(3))).toEqual([]);
  });

  it('after a gap, lets late notifications up to the answer’s position through', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 6 };
    stream.hold();
    expect(stream.release({ epoch: 'e1', seq: 14, recovered: false }, true)).toEqual([]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 14 });
    expect(seqs([7, 8, 15, 9].flatMap((seq) => stream.take(n(seq))))).toEqual([7, 8, 15, 9]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 15 });
  });

  it('lets a live frame that overtook a retried one through, and keeps the position below the hole', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 5 };
    expect(seqs(stream.take(n(7)))).toEqual([7]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 5 }); // 6 is still owed: a resume asks for it
    expect(seqs(stream.take(n(6)))).toEqual([6]);
    expect(stream.position).toEqual({ epoch: 'e1', seq: 7 });
    expect(stream.take(n(7))).toEqual([]);
  });

  it('gives up on a hole that more than 100 later frames went past', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 0 };
    for (let seq = 2; seq <= 102; seq++) stream.take(n(seq));
    expect(stream.position).toEqual({ epoch: 'e1', seq: 102 });
    expect(stream.take(n(1))).toEqual([]);
  });

  it('forgets the old epoch’s positions when the answer names a new one, or says the gap was not filled', () => {
    const stream = new Stream();
    stream.position = { epoch: 'e1', seq: 90 };
    stream.hold();
    stream.take(n(3, 'e2'));
    expect(seqs(stream.release({ epoch: 'e2', seq: 3, recovered: false }, true))).toEqual([3]);
    expect(stream.position).toEqual({ epoch: 'e2', seq: 3 });

    stream.hold();
    stream.take(n(2, 'e2')); // already seen by seq, but the gap was lost: ids decide now
    expect(seqs(stream.release({ epoch: 'e2', seq: 9, recovered: false }, true))).toEqual([2]);
    expect(stream.position).toEqual({ epoch: 'e2', seq: 9 });
  });

  it('passes frames of streams without history in arrival order', () => {
    const stream = new Stream();
    const plain = (id: string): Notification => ({ id, data: id, time: '' });
    stream.hold();
    ['c', 'a', 'b'].forEach((id) => stream.take(plain(id)));
    expect(stream.release({}).map((f) => f.id)).toEqual(['c', 'a', 'b']);
    expect(stream.take(plain('d')).map((f) => f.id)).toEqual(['d']);
    expect(stream.position).toBeUndefined();
  });
});
