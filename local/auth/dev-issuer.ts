/**
 * A development token issuer: an RSA key pair made at start-up, its JWKS, and signed tokens for
 * any user id, so the real authorizer verifies real tokens locally (AUTH_MODE=jwt).
 * Serves `GET {prefix}/.well-known/jwks.json` and `GET {prefix}/token?userId=alice` (any user
 * id the authorizer accepts, URL-encoded; `&expiresIn=20` for a token of 20 seconds, to rehearse
 * token expiry and `reauth`).
 *
 * Keys and signatures come from node:crypto (RS256 is one `sign('sha256')`), so the runtime
 * also loads inside Jest, which cannot load ESM-only JOSE libraries.
 */
import { generateKeyPair, JsonWebKey, KeyObject, sign } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { userIdProblem } from '../../lib/private/topic-segment';
import { pathOf, queryOf, sendJson } from '../http';

type JWK = JsonWebKey & { kid: string; alg: string; use: string };

const ALGORITHM = 'RS256';
/** The longest token the issuer signs on request: a day. */
const MAX_TOKEN_SECONDS = 24 * 60 * 60;
/** A frontend served from its own dev server (another origin) may fetch tokens too. */
const CORS = { 'access-control-allow-origin': '*' };

export interface DevIssuerOptions {
  /** The `iss` claim, e.g. `http://127.0.0.1:3001/dev`. */
  readonly issuer: string;
  readonly audience: string;
  /** Path prefix the endpoints are served under, e.g. `/dev`. */
  readonly pathPrefix: string;
  /** Token lifetime; one hour unless set. */
  readonly tokenTtlSeconds?: number;
}

export interface TokenOptions {
  readonly expiresInSeconds?: number;
  /** Extra or replacement claims, for tests of refused tokens. */
  readonly claims?: Record<string, unknown>;
}

export class DevIssuer {
  private constructor(
    private readonly options: DevIssuerOptions,
    private readonly privateKey: KeyObject,
    private readonly publicJwk: JWK,
  ) {}

  static async create(options: DevIssuerOptions): Promise<DevIssuer> {
    const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    const publicJwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid: `local-${Date.now().toString(36)}`, alg: ALGORITHM, use: 'sig' };
    return new DevIssuer(options, privateKey, publicJwk);
  }

  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A signed token naming `userId` in `sub`. */
  async token(userId: string, options: TokenOptions = {}): Promise<string> {
    const ttl = options.expiresInSeconds ?? this.options.tokenTtlSeconds ?? 3600;
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: ALGORITHM, kid: this.publicJwk.kid, typ: 'JWT' };
    const claims = { sub: userId, iss: this.options.issuer, aud: this.options.audience, iat: now, exp: now + ttl, ...options.claims };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), this.privateKey).toString('base64url')}`;
  }

  /** Answers the issuer's endpoints; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = pathOf(req);
    const prefix = this.options.pathPrefix;
    if (path === `${prefix}/.well-known/jwks.json`) {
      sendJson(res, 200, this.jwks, undefined, CORS);
      return true;
    }
    if (path === `${prefix}/.well-known/openid-configuration`) {
      sendJson(res, 200, { issuer: this.options.issuer, jwks_uri: `${this.options.issuer}/.well-known/jwks.json` }, undefined, CORS);
      return true;
    }
    if (path === `${prefix}/token`) {
      // Any id a real issuer could put in `sub` (auth0|abc123, José, a URL…), as the authorizer accepts it.
      const userId = queryOf(req).get('userId') ?? '';
      const problem = userIdProblem(userId);
      if (problem !== undefined) {
        const example = `/dev/token?userId=alice (any id an issuer puts in sub, URL-encoded: /dev/token?userId=${encodeURIComponent('auth0|abc123')})`;
        sendJson(res, 400, {
          message: userId === ''
            ? `Which user is the token for? Give the user id: ${example}.`
            : `This userId cannot be used: ${problem}. Give another one: ${example}.`,
        }, undefined, CORS);
        return true;
      }
      const expiresIn = queryOf(req).get('expiresIn');
      const lifetime = expiresIn === null ? this.options.tokenTtlSeconds ?? 3600 : Number(expiresIn);
      if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_SECONDS) {
        sendJson(res, 400, { message: `expiresIn must be the token's lifetime in whole seconds, from 1 to ${MAX_TOKEN_SECONDS}: /dev/token?userId=alice&expiresIn=20.` }, undefined, CORS);
        return true;
      }
      this.token(userId, { expiresInSeconds: lifetime }).then(
        (token) => sendJson(res, 200, { token, userId, expiresIn: lifetime }, undefined, CORS),
        (error: Error) => sendJson(res, 500, { message: `Could not sign a token: ${error.message}` }),
      );
      return true;
    }
    return false;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
