import { Notification } from '../../../lambda/protocol/notification';
import {
  DEFAULT_SHARD_MAX_BYTES,
  packShards,
  parseShardMessage,
  SHARD_KIND,
  ShardPacker,
} from '../../../lambda/fanout/shard-message';
import { ids } from './fakes';

const notification: Notification = { id: 'n-1', target: { topic: 'orders/42' }, data: { status: 'shipped' }, time: '2026-11-22T10:00:00.000Z' };

describe('shard messages', () => {
  test('split an audience by count, in order, into parseable shards whose union is the audience', () => {
    const audience = ids(2500);
    const shards = packShards(notification, audience, 1, { maxIds: 1000, maxBytes: DEFAULT_SHARD_MAX_BYTES });
    expect(shards.map((s) => s.connectionIds.length)).toEqual([1000, 1000, 500]);
    const parsed = shards.map((s) => parseShardMessage(JSON.parse(s.body)));
    const union = parsed.flatMap((p) => (p.ok ? p.shard.connectionIds : []));
    expect(union).toEqual(audience);
    for (const p of parsed) {
      expect(p).toMatchObject({ ok: true, shard: { kind: SHARD_KIND, v: 1, attempt: 1, notification } });
      expect(p.ok && p.shard.reasons).toBeUndefined();
    }
  });

  test('split by bytes when the notification is large, never over the limit', () => {
    const big: Notification = { ...notification, data: 'x'.repeat(120 * 1024) };
    const audience = ids(20000, 'connection-id-of-some-length-');
    const maxBytes = DEFAULT_SHARD_MAX_BYTES;
    const shards = packShards(big, audience, 1, { maxIds: 10000, maxBytes });
    expect(shards.length).toBeGreaterThan(2);
    for (const s of shards) {
      const size = Buffer.byteLength(s.body, 'utf8');
      expect(size).toBeLessThanOrEqual(maxBytes);
      // Full: adding one more id would not have fitted.
      if (s !== shards[shards.length - 1]) expect(size).toBeGreaterThan(maxBytes - 64);
    }
    expect(shards.flatMap((s) => s.connectionIds)).toEqual(audience);
  });

  test('multi-byte ids are sized in UTF-8 bytes', () => {
    const audience = ids(3000, 'é€😀-');
    const shards = packShards(notification, audience, 1, { maxIds: 10000, maxBytes: 40_000 });
    for (const s of shards) expect(Buffer.byteLength(s.body, 'utf8')).toBeLessThanOrEqual(40_000);
    expect(shards.flatMap((s) => s.connectionIds)).toEqual(audience);
  });

  test('retries and dead letters carry the reason of each connection, sized with them', () => {
    const failed = ids(3000);
    const reasons = Object.fromEntries(failed.map((id, i) => [id, i % 2 ? 'THROTTLED' : 'SERVER_ERROR'] as const));
    const shards = packShards(notification, failed, 3, { maxIds: 10000, maxBytes: 30_000 }, reasons);
    expect(shards.length).toBeGreaterThan(1);
    for (const s of shards) {
      expect(Buffer.byteLength(s.body, 'utf8')).toBeLessThanOrEqual(30_000);
      const parsed = parseShardMessage(JSON.parse(s.body));
      if (!parsed.ok) throw new Error(parsed.message);
      expect(parsed.shard.attempt).toBe(3);
      expect(Object.keys(parsed.shard.reasons!)).toEqual(parsed.shard.connectionIds);
      for (const id of parsed.shard.connectionIds) expect(parsed.shard.reasons![id]).toBe(reasons[id]);
    }
  });

  test('a packer fed page by page completes shards as it goes', () => {
    const packer = new ShardPacker(notification, 1, { maxIds: 10, maxBytes: DEFAULT_SHARD_MAX_BYTES });
    expect(packer.add(ids(7, 'a'))).toHaveLength(0);
    const done = packer.add(ids(7, 'b'));
    expect(done.map((s) => s.connectionIds)).toEqual([[...ids(7, 'a'), ...ids(3, 'b')]]);
    expect(packer.finish().map((s) => s.connectionIds)).toEqual([ids(7, 'b').slice(3)]);
    expect(packer.finish()).toEqual([]);
  });

  test.each([
    ['a wrong version', { v: 2 }],
    ['no connection ids', { connectionIds: undefined }],
    ['a non-string id', { connectionIds: ['a', 7] }],
    ['attempt 0', { attempt: 0 }],
    ['no notification id', { notification: { ...notification, id: undefined } }],
    ['two targets', { notification: { ...notification, target: { topic: 'a', userId: 'b' } } }],
    ['no data', { notification: { id: 'n', target: { topic: 'a' }, time: 't' } }],
    ['reasons as a list', { reasons: ['THROTTLED'] }],
  ])('a shard with %s is refused with a message', (_name, change) => {
    const body = { kind: SHARD_KIND, v: 1, notification, connectionIds: ['a'], attempt: 1, ...change };
    const result = parseShardMessage(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/Not a valid shard message: .+/);
  });

  test('each target kind round-trips', () => {
    for (const target of [{ topic: 'a/b' }, { userId: 'u-1' }, { broadcast: true as const }]) {
      const [shard] = packShards({ ...notification, target }, ['x'], 1, { maxIds: 1, maxBytes: DEFAULT_SHARD_MAX_BYTES });
      expect(parseShardMessage(JSON.parse(shard.body))).toMatchObject({ ok: true, shard: { notification: { target } } });
    }
  });
});
