import { RealtimeError } from './errors';

type ByReference = { id?: string; data?: unknown; dataUrl?: string; size?: number; sha256?: string };

/**
 * A notification whose payload did not fit in a frame comes with a presigned `dataUrl`, its `size`
 * and `sha256`: fetched, checked and parsed here, it is handed over with `data` like any other.
 * A payload that cannot be fetched or does not match is refused (PAYLOAD_REFUSED).
 */
export async function withData<F extends ByReference>(frame: F): Promise<F> {
  const { dataUrl, size, sha256, ...rest } = frame;
  if (!dataUrl) return frame;
  // Not fetched (network, CORS): no bytes, refused below like a mismatch.
  const bytes = new Uint8Array(await fetch(dataUrl).then((r) => r.arrayBuffer(), () => new ArrayBuffer(0)));
  const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => (b | 256).toString(16).slice(1)).join('');
  if (bytes.length !== size || hex !== sha256) {
    throw new RealtimeError('PAYLOAD_REFUSED', `Payload of ${frame.id}: not fetched, or size/SHA-256 wrong`);
  }
  return { ...rest, data: JSON.parse(new TextDecoder().decode(bytes)) } as F;
}
