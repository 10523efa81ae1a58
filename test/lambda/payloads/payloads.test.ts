/**
 * Payloads too large for a frame (lambda/payloads/), against moto's S3 server: stored once per
 * notification id, carried by reference, presented as a presigned URL that GETs the same bytes.
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../../../lib/private/runtime-contract';
import { createPayloadBucket, PayloadBucket, PayloadBucketError } from '../../../lambda/payloads/payload-bucket';
import { deliveryPayloadKey, payloadKeyProblem, Payloads } from '../../../lambda/payloads/payloads';
import { encodeNotification } from '../../../lambda/protocol/notification';
import { packShards, parseShardMessage } from '../../../lambda/fanout/shard-message';
import { LOCAL_AWS } from '../../../local/dynamodb';
import { createPayloadBucket as createLocalBucket, LocalS3, startLocalS3 } from '../../../local/s3';

const BUCKET = 'payloads-unit-test';
let s3: LocalS3;
let bucket: PayloadBucket;
let payloads: Payloads;

beforeAll(async () => {
  s3 = await startLocalS3();
  await createLocalBucket(s3.endpoint, BUCKET);
  bucket = createPayloadBucket({ bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, credentials: LOCAL_AWS.credentials });
  payloads = new Payloads({ bucket, urlExpirySeconds: 60, maxFrameBytes: LIMITS.maxFrameBytes });
}, 180_000);
afterAll(() => s3?.stop());

const keys = async () => [...(await (await fetch(`${s3.endpoint}/${BUCKET}?list-type=2&prefix=payloads/`)).text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
const big = (id: string) => encodeNotification({ id, target: { topic: 'reports/1' }, data: { text: 'é'.repeat(100_000) }, time: '2026-12-07T08:00:00.000Z' });

test.each([
  ['payloads/reports/q4.json', undefined],
  ['payloads/a', undefined],
  ['payloads/', 'it must start with "payloads/" and name an object under it'],
  ['payloadsx/a', 'it must start with "payloads/" and name an object under it'],
  ['other/payloads/a', 'it must start with "payloads/" and name an object under it'],
  ['payloads/../secret', 'its path segments must not be empty, "." or ".."'],
  ['payloads/./a', 'its path segments must not be empty, "." or ".."'],
  ['payloads/a//b', 'its path segments must not be empty, "." or ".."'],
  ['payloads/a\nb', 'it must not contain control characters'],
])('the key %j: %s', (key, problem) => {
  expect(payloadKeyProblem(key)).toBe(problem);
});

test('a frame that fits is delivered as it is, and nothing is stored', async () => {
  const small = encodeNotification({ id: 'small', target: { topic: 'a' }, data: { ok: true }, time: '2026-12-07T08:00:00.000Z' });
  expect(await payloads.offload(small)).toBe(small);
  expect(await keys()).not.toContain(deliveryPayloadKey('small'));
});

test('a frame too large is stored once per notification id and carried by a small reference', async () => {
  const encoded = big('report-1');
  expect(encoded.frameBytes).toBeGreaterThan(LIMITS.maxFrameBytes);
  // A retry, a shard or a duplicate delivery offloads it again: the same key, the same bytes.
  const [first, again] = [await payloads.offload(encoded), await payloads.offload(encoded)];
  expect(again).toEqual(first);
  const body = Buffer.from(JSON.stringify(encoded.notification.data));
  expect(first.notification).toEqual({
    id: 'report-1', target: { topic: 'reports/1' }, time: '2026-12-07T08:00:00.000Z',
    payload: { key: deliveryPayloadKey('report-1'), size: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') },
  });
  expect((await keys()).filter((k) => k === deliveryPayloadKey('report-1'))).toHaveLength(1);
  // The kept frame names the object; it never carries the blob.
  const kept = JSON.parse(Buffer.from(first.frame).toString());
  expect(kept).toMatchObject({ type: 'notification', id: 'report-1', dataKey: deliveryPayloadKey('report-1'), size: body.byteLength });
  expect(kept).not.toHaveProperty('data');
  expect(first.frameBytes).toBeLessThan(1024);
  // Shards carry the reference too.
  const [shard] = packShards(first.notification, ['c-1'], 1, { maxIds: 10, maxBytes: LIMITS.maxSqsMessageBytes });
  expect(parseShardMessage(JSON.parse(shard.body))).toMatchObject({ ok: true, shard: { notification: first.notification } });
});

test('a kept frame is presented with a presigned URL that GETs exactly the stored bytes; other frames are left alone', async () => {
  const stored = await payloads.offload(big('report-2'));
  const posted = await payloads.presentEncoded(stored);
  const frame = JSON.parse(Buffer.from(posted.frame).toString()) as { dataUrl: string; size: number; sha256: string };
  expect(frame).not.toHaveProperty('dataKey');
  expect(frame.dataUrl).toMatch(new RegExp(`^${s3.endpoint}/${BUCKET}/payloads/n/[0-9a-f]{64}\\.json\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$`));
  const bytes = Buffer.from(await (await fetch(frame.dataUrl)).arrayBuffer());
  expect([bytes.byteLength, createHash('sha256').update(bytes).digest('hex')]).toEqual([frame.size, frame.sha256]);
  expect(JSON.parse(bytes.toString())).toEqual(big('report-2').notification.data);
  const plain = '{"type":"notification","id":"n","topic":"a","data":{"dataKey":"not a reference"},"time":"t"}';
  expect(await payloads.present(plain)).toBe(plain);
});

test('a PutObject S3 refuses fails with its status and error code, and names no bucket', async () => {
  const missing = new Payloads({
    bucket: createPayloadBucket({ bucket: 'no-such-payload-bucket', region: 'us-east-1', endpoint: s3.endpoint, credentials: LOCAL_AWS.credentials }),
    urlExpirySeconds: 60, maxFrameBytes: LIMITS.maxFrameBytes,
  });
  const error = await missing.offload(big('report-3')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PayloadBucketError);
  expect((error as Error).message).toMatch(/^PutObject of payloads\/n\/[0-9a-f]{64}\.json failed with HTTP 404: NoSuchBucket$/);
});

test('presigns exactly as S3 documents it (the GET example of "Authenticating Requests: Using Query Parameters")', async () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html: its example keys, bucket, date and signature.
  const documented = createPayloadBucket({
    bucket: 'examplebucket', region: 'us-east-1', endpoint: 'https://examplebucket.s3.amazonaws.com', endpointIsBucket: true,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    now: () => new Date('2013-05-24T00:00:00Z'),
  });
  expect(await documented.presign('test.txt', 86_400)).toBe('https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256'
    + '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400'
    + '&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
});
