/** The $connect authorizer's configuration, read from the environment the construct sets. */
import { DEFAULT_USER_ID_CLAIM, Env } from '../../lib/private/runtime-contract';
import { listEnv, optionalEnv, requiredEnv } from '../runtime/env';

export type AuthConfig =
  | {
    readonly mode: 'cognito';
    readonly userPoolId: string;
    /** App clients whose tokens are accepted; null accepts every client of the pool. */
    readonly clientIds: string[] | null;
    /** null accepts both id and access tokens. */
    readonly tokenUse: 'id' | 'access' | null;
    readonly userIdClaim: string;
  }
  | {
    readonly mode: 'jwt';
    readonly issuer: string;
    readonly audience: string[];
    /** Defaults to `<issuer>/.well-known/jwks.json`. */
    readonly jwksUri?: string;
    readonly userIdClaim: string;
  };

/**
 * The configuration where the construct gave it (the message function gets it only when it
 * verifies `reauth` tokens); undefined otherwise.
 */
export function readAuthConfigIfSet(): AuthConfig | undefined {
  return optionalEnv(Env.AUTH_MODE) === undefined ? undefined : readAuthConfig();
}

export function readAuthConfig(): AuthConfig {
  const mode = requiredEnv(Env.AUTH_MODE);
  const userIdClaim = optionalEnv(Env.AUTH_USER_ID_CLAIM) ?? DEFAULT_USER_ID_CLAIM;
  switch (mode) {
    case 'cognito': {
      const tokenUse = optionalEnv(Env.AUTH_TOKEN_USE) ?? null;
      if (tokenUse !== null && tokenUse !== 'id' && tokenUse !== 'access') {
        throw new Error(`${Env.AUTH_TOKEN_USE} is "${tokenUse}"; it must be "id" or "access" (or unset to accept both).`);
      }
      const clientIds = listEnv(Env.AUTH_CLIENT_IDS);
      return {
        mode,
        userPoolId: requiredEnv(Env.AUTH_USER_POOL_ID),
        clientIds: clientIds && clientIds.length > 0 ? clientIds : null,
        tokenUse,
        userIdClaim,
      };
    }
    case 'jwt': {
      const audience = listEnv(Env.AUTH_AUDIENCE);
      if (!audience || audience.length === 0) {
        // Without an audience check, a token the same issuer made for any other application would open a connection.
        throw new Error(`${Env.AUTH_AUDIENCE} is not set; the jwt authorizer needs the audience (comma-separated) its tokens are issued for.`);
      }
      return { mode, issuer: requiredEnv(Env.AUTH_ISSUER), audience, jwksUri: optionalEnv(Env.AUTH_JWKS_URI), userIdClaim };
    }
    default:
      throw new Error(`${Env.AUTH_MODE} is "${mode}"; this authorizer verifies tokens for "cognito" or "jwt" only `
        + '(with "lambda" your own function authorizes, and with "none" no authorizer is deployed).');
  }
}
