/**
 * Payloads too large for a frame. Delivery stores such a notification's `data` once in the
 * payload bucket, under a key derived from its id (so a shard, a retry or a duplicate stores the
 * same object again, never another), and from then on carries a reference: shard messages and
 * history keep `{key, size, sha256}`, never the blob. Each time a frame is posted (a delivery, a
 * replay, a history or inbox answer) the reference becomes a fresh presigned `dataUrl`.
 *
 * A kept frame names its object by `dataKey`, which never reaches a client: present() swaps it
 * for the URL.
 */
import { createHash } from 'node:crypto';
import { DELIVERY_PAYLOAD_PREFIX, PAYLOAD_PREFIX } from '../../lib/private/runtime-contract';
import { EncodedNotification, encodeNotification, PayloadReference } from '../protocol/notification';
import { KEPT_PAYLOAD_KEY } from '../protocol/frames';
import type { PayloadBucket } from './payload-bucket';


/** The key of a notification's payload stored by delivery: one per notification id. */
export function deliveryPayloadKey(notificationId: string): string {
  return `${DELIVERY_PAYLOAD_PREFIX}${createHash('sha256').update(notificationId).digest('hex')}.json`;
}

/**
 * Why a published reference's key cannot be handed to clients (undefined when it can): it must be
 * under the payload prefix, with no empty, "." or ".." segment and no control character.
 */
export function payloadKeyProblem(key: string): string | undefined {
  if (!key.startsWith(PAYLOAD_PREFIX) || key.length === PAYLOAD_PREFIX.length) return `it must start with "${PAYLOAD_PREFIX}" and name an object under it`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'it must not contain control characters';
  if (key.slice(PAYLOAD_PREFIX.length).split('/').some((s) => s === '' || s === '.' || s === '..')) return 'its path segments must not be empty, "." or ".."';
  return undefined;
}

/** Room a presigned URL takes in a frame (a role session's token makes it over a kilobyte). */
export const PRESENTED_URL_BYTES = 2_048;

/** A kept frame's size once presented: with room for its URL when it refers to a payload. */
export function presentedBytes(keptFrame: string): number {
  return Buffer.byteLength(keptFrame) + (keptFrame.includes(`"${KEPT_PAYLOAD_KEY}"`) ? PRESENTED_URL_BYTES : 0);
}

export interface PayloadsOptions {
  readonly bucket: PayloadBucket;
  /** How long a presigned URL is valid. */
  readonly urlExpirySeconds: number;
  /** Frames larger than this are sent by reference. */
  readonly maxFrameBytes: number;
}

export class Payloads {
  constructor(private readonly options: PayloadsOptions) {}

  /**
   * The notification as delivered from here on: itself when its frame fits, else its `data`
   * stored in the bucket and a reference to it instead.
   */
  async offload(encoded: EncodedNotification, signal?: AbortSignal): Promise<EncodedNotification> {
    const { notification } = encoded;
    if (encoded.frameBytes <= this.options.maxFrameBytes || notification.payload !== undefined) return encoded;
    const body = Buffer.from(JSON.stringify(notification.data), 'utf8');
    const payload: PayloadReference = {
      key: deliveryPayloadKey(notification.id),
      size: body.byteLength,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
    await this.options.bucket.put(payload.key, body, 'application/json', signal);
    const { data: _data, ...rest } = notification;
    return encodeNotification({ ...rest, payload });
  }

  /** The frame as posted: a kept frame's `dataKey` becomes a fresh `dataUrl`; any other frame is as it is. */
  async present(frame: string): Promise<string> {
    if (!frame.includes(`"${KEPT_PAYLOAD_KEY}"`)) return frame;
    return JSON.stringify(await this.presentFrame(JSON.parse(frame) as Record<string, unknown>));
  }

  /** As present(), on a parsed frame. */
  async presentFrame<F extends object>(frame: F): Promise<F> {
    const { [KEPT_PAYLOAD_KEY]: key, ...rest } = frame as Record<string, unknown>;
    if (typeof key !== 'string') return frame;
    return { ...rest, dataUrl: await this.options.bucket.presign(key, this.options.urlExpirySeconds) } as F;
  }

  /** The notification with the frame its audience is posted. */
  async presentEncoded(encoded: EncodedNotification): Promise<EncodedNotification> {
    if (encoded.notification.payload === undefined) return encoded;
    const text = await this.present(Buffer.from(encoded.frame).toString('utf8'));
    const frame = Buffer.from(text, 'utf8');
    return { notification: encoded.notification, frame, frameBytes: frame.byteLength };
  }
}
