/**
 * A token issuer for authorizer tests: an RSA key pair, its JWKS served over loopback http, and
 * JWTs signed with node:crypto. It signs anything asked of it, including tokens a real issuer
 * never would (alg none, wrong keys, bad claims), because refusing those is what is tested.
 */
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface TestIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly kid: string;
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly publicKey: KeyObject;
  /** JWKS requests served so far. */
  readonly jwksRequests: () => number;
  /** Signs `claims` (merged over sensible defaults) with the issuer's key, or with `key`. */
  token(claims?: Record<string, unknown>, options?: SignOptions): string;
  stop(): Promise<void>;
}

export interface SignOptions {
  readonly header?: Record<string, unknown>;
  /** Sign with another key (a forgery). */
  readonly key?: KeyObject;
}

export function rsaKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
}

export async function startTestIssuer(audience: string): Promise<TestIssuer> {
  const { privateKey, publicKey } = rsaKeyPair();
  const kid = 'test-key-1';
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] };
  let requests = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    kid,
    jwks,
    publicKey,
    jwksRequests: () => requests,
    token(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(
        { alg: 'RS256', typ: 'JWT', kid, ...options.header },
        { iss: issuer, aud: audience, sub: 'alice', iat: now, exp: now + 600, ...claims },
        options.key ?? privateKey,
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
