/** The $connect REQUEST authorizer's decision, over a token verifier. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { AUTHORIZER_USER_ID_KEY, TOKEN_QUERY_PARAMETER } from '../../lib/private/runtime-contract';
import { TokenVerifier } from './token-verifier';

/** API Gateway turns exactly this error message into a 401 response. */
export const UNAUTHORIZED = 'Unauthorized';

export class Refusal extends Error {
  constructor(readonly reason: string) {
    super(UNAUTHORIZED);
  }
}

/**
 * Allows the connection and passes the user id to every route in the authorizer context, or
 * throws a Refusal (message "Unauthorized", the reason kept apart for the logs).
 */
export async function authorizeConnect(
  event: APIGatewayRequestAuthorizerEvent,
  verifier: TokenVerifier,
): Promise<APIGatewayAuthorizerResult> {
  const token = event.queryStringParameters?.[TOKEN_QUERY_PARAMETER];
  if (!token) throw new Refusal(`no "${TOKEN_QUERY_PARAMETER}" query-string parameter`);
  let userId: string;
  try {
    userId = await verifier.verify(token);
  } catch (error) {
    throw new Refusal((error as Error).message);
  }
  return {
    principalId: userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { [AUTHORIZER_USER_ID_KEY]: userId },
  };
}
