/** The $connect REQUEST authorizer's decision, over a token verifier. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { AUTHORIZER_TOKEN_EXPIRES_KEY, AUTHORIZER_USER_ID_KEY, TOKEN_QUERY_PARAMETER, TOKEN_SUBPROTOCOL_PREFIX } from '../../lib/private/runtime-contract';
import { offeredSubprotocols, subprotocolTokens } from '../protocol/subprotocols';
import { TokenVerifier, VerifiedToken } from './token-verifier';

/** API Gateway turns exactly this error message into a 401 response. */
export const UNAUTHORIZED = 'Unauthorized';

export class Refusal extends Error {
  constructor(readonly reason: string) {
    super(UNAUTHORIZED);
  }
}

/**
 * Allows the connection and passes the user id (and the token's expiry) to every route in the authorizer context, or
 * throws a Refusal (message "Unauthorized", the reason kept apart for the logs).
 */
export async function authorizeConnect(
  event: APIGatewayRequestAuthorizerEvent,
  verifier: TokenVerifier,
): Promise<APIGatewayAuthorizerResult> {
  const token = tokenOf(event);
  let verified: VerifiedToken;
  try {
    verified = await verifier.verify(token);
  } catch (error) {
    throw new Refusal((error as Error).message);
  }
  const { userId, expiresAt } = verified;
  return {
    principalId: userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { [AUTHORIZER_USER_ID_KEY]: userId, [AUTHORIZER_TOKEN_EXPIRES_KEY]: expiresAt },
  };
}

/**
 * The token, from the `token` query-string parameter or a `token.<JWT>` subprotocol entry. The
 * construct lists no identity source, so a request with neither reaches this function.
 */
function tokenOf(event: APIGatewayRequestAuthorizerEvent): string {
  const fromQuery = event.queryStringParameters?.[TOKEN_QUERY_PARAMETER];
  const tokens = new Set([...(fromQuery ? [fromQuery] : []), ...subprotocolTokens(offeredSubprotocols(event))]);
  if (tokens.size === 0) {
    throw new Refusal(`no token: neither a "${TOKEN_QUERY_PARAMETER}" query-string parameter nor a "${TOKEN_SUBPROTOCOL_PREFIX}<JWT>" subprotocol`);
  }
  // Two different tokens could name two users; which one was meant is not guessed.
  if (tokens.size > 1) throw new Refusal(`${tokens.size} different tokens (query string and subprotocols); send one`);
  const [token] = tokens;
  if (token === '') throw new Refusal(`an empty "${TOKEN_SUBPROTOCOL_PREFIX}" subprotocol`);
  return token;
}
