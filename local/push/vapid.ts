/**
 * What a push service checks of a Web Push request's VAPID `Authorization` (RFC 8292):
 * `vapid t=<JWT>, k=<public key>`, the JWT signed ES256 with the key, for the endpoint's origin,
 * not expired and at most 24 hours ahead, with a contact in `sub`.
 */
import { createPublicKey, verify } from 'node:crypto';

export interface VapidClaims {
  readonly aud: string;
  readonly exp: number;
  readonly sub: string;
}

/** The claims when the header is a valid VAPID authorization for `origin`; throws saying what is wrong otherwise. */
export function verifyVapid(authorization: string | undefined, origin: string, nowSeconds = Date.now() / 1000): VapidClaims & { publicKey: string } {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+),\s*k=([\w-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error('Authorization is not "vapid t=<JWT>, k=<public key>"');
  const [, token, publicKey] = match;
  const raw = Buffer.from(publicKey, 'base64url');
  if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('k is not an uncompressed P-256 public key');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const [header, claims, signature] = token.split('.');
  if (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg !== 'ES256') throw new Error('the JWT is not ES256');
  if (!verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) {
    throw new Error('the JWT signature does not verify with k');
  }
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as VapidClaims;
  if (body.aud !== origin) throw new Error(`aud is ${JSON.stringify(body.aud)}, not the endpoint's origin ${origin}`);
  if (typeof body.exp !== 'number' || body.exp <= nowSeconds || body.exp > nowSeconds + 24 * 60 * 60) throw new Error('exp is not within the next 24 hours');
  if (typeof body.sub !== 'string' || !/^(mailto:|https:)/.test(body.sub)) throw new Error('sub is not a mailto: or https: contact');
  return { ...body, publicKey };
}
