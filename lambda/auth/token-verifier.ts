/**
 * Verifies a connection token with aws-jwt-verify and returns the user it names. Signature (with
 * keys from the issuer's JWKS), algorithm, issuer, audience or client, token use, expiry and
 * not-before are all checked by the library.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { JwksCache, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { userIdProblem } from '../../lib/private/topic-segment';
import { AuthConfig } from './config';
import { assertFetchableJwksUri, LoopbackHttpFetcher } from './jwks-fetcher';

/** Longest token accepted before any parsing; real JWTs are a few kilobytes at most. */
const MAX_TOKEN_LENGTH = 8 * 1024;

/** Who a verified token names, and until when it is valid. */
export interface VerifiedToken {
  readonly userId: string;
  /** The `exp` claim, epoch seconds. */
  readonly expiresAt: number;
}

export interface TokenVerifier {
  /** Resolves to the user and the expiry, or rejects if the token is not acceptable for any reason. */
  verify(token: string): Promise<VerifiedToken>;
}

export function createJwksCache(): JwksCache {
  return new SimpleJwksCache({ fetcher: new LoopbackHttpFetcher() });
}

export function createTokenVerifier(config: AuthConfig, jwksCache: JwksCache = createJwksCache()): TokenVerifier {
  let verifyJwt: (token: string) => Promise<Record<string, unknown>>;
  if (config.mode === 'cognito') {
    const verifier = CognitoJwtVerifier.create(
      { userPoolId: config.userPoolId, clientId: config.clientIds, tokenUse: config.tokenUse, customJwtCheck: requireUserToken },
      { jwksCache },
    );
    verifyJwt = (token) => verifier.verify(token) as Promise<Record<string, unknown>>;
  } else {
    if (config.jwksUri !== undefined) assertFetchableJwksUri(config.jwksUri);
    const verifier = JwtVerifier.create(
      { issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri, customJwtCheck: requireExpiry },
      { jwksCache },
    );
    verifyJwt = (token) => verifier.verify(token) as Promise<Record<string, unknown>>;
  }
  return {
    async verify(token: string): Promise<VerifiedToken> {
      if (token.length > MAX_TOKEN_LENGTH) throw new Error(`Token is longer than ${MAX_TOKEN_LENGTH} characters.`);
      const claims = await verifyJwt(token);
      // requireExpiry made sure `exp` is a number.
      return { userId: userIdFrom(claims, config.userIdClaim), expiresAt: claims.exp as number };
    },
  };
}

/** aws-jwt-verify checks `exp` only when present; a token that never expires is not accepted here. */
function requireExpiry({ payload }: { payload: { exp?: unknown } }): void {
  if (typeof payload.exp !== 'number') throw new Error('Token has no "exp" claim; only tokens that expire are accepted.');
}

/**
 * Cognito access tokens from the client-credentials grant name an app client, not a user (no
 * `username` claim, `sub` is the client id): a connection must belong to a user.
 */
function requireUserToken(check: { payload: { exp?: unknown; token_use?: unknown; username?: unknown } }): void {
  requireExpiry(check);
  if (check.payload.token_use === 'access' && typeof check.payload.username !== 'string') {
    throw new Error('Token is a machine (client credentials) access token with no "username"; connections need a user\'s token.');
  }
}

/** Any id the issuer gives works; one that could not be targeted or own topics is refused here, before it connects. */
function userIdFrom(claims: Record<string, unknown>, claim: string): string {
  const value = claims[claim];
  const userId = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (userId === undefined || userId === '') throw new Error(`Token has no usable "${claim}" claim to identify the user.`);
  const problem = userIdProblem(userId);
  if (problem !== undefined) throw new Error(`Token's "${claim}" claim cannot be a user id: ${problem}.`);
  return userId;
}
