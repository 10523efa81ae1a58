/**
 * $connect REQUEST authorizer: verifies the JWT in `?token=` and allows the connection with the
 * user id in the authorizer context. Any refusal is the error "Unauthorized" (HTTP 401).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { authorizeConnect, Refusal, UNAUTHORIZED } from '../auth/authorize';
import { readAuthConfig } from '../auth/config';
import { createTokenVerifier } from '../auth/token-verifier';
import { logger } from '../runtime/logger';

// Once per instance: the verifier caches the issuer's JWKS between invocations.
const verifier = createTokenVerifier(readAuthConfig());

export async function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> {
  if (context) logger.addContext(context);
  try {
    const result = await authorizeConnect(event, verifier);
    logger.info('connection authorized', { userId: result.principalId });
    return result;
  } catch (error) {
    if (error instanceof Refusal) {
      // WARN, not INFO: the reason is the one thing that tells a developer or an operator why a
      // client cannot connect (the client itself only sees 401), so it shows at the WARN level too.
      logger.warn('connection refused', { reason: error.reason });
    } else {
      logger.error('authorizer failed', error as Error);
    }
    throw new Error(UNAUTHORIZED);
  }
}
