/**
 * Cognito mode: the same verifier the authorizer builds, with the user pool's JWKS placed in its
 * cache (the tests cannot reach Cognito), verifying real RS256 tokens shaped as Cognito issues them.
 */
import { Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { authorizeConnect } from '../../../lambda/auth/authorize';
import { AuthConfig, readAuthConfig } from '../../../lambda/auth/config';
import { ConnectionAuth } from '../../../lib';
import { handlerEnvironment } from '../../../lib/private/handlers';
import { localSettings } from '../../../local/settings';
import { createJwksCache, createTokenVerifier } from '../../../lambda/auth/token-verifier';
import { startTestIssuer, TestIssuer } from '../../support/jwt-issuer';
import { authorizerEvent } from '../../support/websocket-events';

const POOL = 'us-east-1_TestPool1';
const COGNITO_ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const CLIENT = 'webclient123';

let issuer: TestIssuer;
let cache: JwksCache;

beforeAll(async () => {
  issuer = await startTestIssuer(CLIENT);
  cache = createJwksCache();
  cache.addJwks(`${COGNITO_ISSUER}/.well-known/jwks.json`, issuer.jwks as never);
});
afterAll(async () => {
  await issuer.stop();
});

function verifier(config: Partial<Extract<AuthConfig, { mode: 'cognito' }>> = {}) {
  return createTokenVerifier({ mode: 'cognito', userPoolId: POOL, clientIds: [CLIENT], tokenUse: 'id', userIdClaim: 'sub', ...config }, cache);
}

const idToken = (claims: Record<string, unknown> = {}) =>
  issuer.token({ iss: COGNITO_ISSUER, aud: CLIENT, token_use: 'id', sub: 'user-sub-1', ...claims });
const accessToken = (claims: Record<string, unknown> = {}) =>
  issuer.token({ iss: COGNITO_ISSUER, aud: undefined, client_id: CLIENT, token_use: 'access', sub: 'user-sub-1', username: 'alice', ...claims });

test('an id token of the pool and client is allowed', async () => {
  const result = await authorizeConnect(authorizerEvent({ token: idToken() }), verifier());
  expect(result.context).toMatchObject({ userId: 'user-sub-1' });
});

test('ConnectionAuth.cognito() by default lets access tokens connect and refuses ID tokens', async () => {
  const stack = new Stack();
  const auth = ConnectionAuth.cognito({
    userPool: cognito.UserPool.fromUserPoolId(stack, 'Pool', POOL),
    userPoolClients: [cognito.UserPoolClient.fromUserPoolClientId(stack, 'Web', CLIENT)],
  })._bind().authorizerSettings!;
  // The authorizer reads its configuration from the environment the construct gives it.
  const environment = handlerEnvironment('authorizer', localSettings('http://127.0.0.1:1', { auth }));
  const saved = { ...process.env };
  let config: AuthConfig;
  try {
    Object.assign(process.env, environment);
    config = readAuthConfig();
  } finally {
    process.env = saved;
  }
  const byDefault = createTokenVerifier(config, cache);

  await expect(authorizeConnect(authorizerEvent({ token: accessToken() }), byDefault)).resolves.toMatchObject({ principalId: 'user-sub-1' });
  await expect(byDefault.verify(idToken())).rejects.toThrow('Token use not allowed: id. Expected: access');
  await expect(authorizeConnect(authorizerEvent({ token: idToken() }), byDefault)).rejects.toThrow('Unauthorized');
});

test('access tokens are accepted when the token use allows them', async () => {
  await expect(verifier({ tokenUse: 'access' }).verify(accessToken())).resolves.toMatchObject({ userId: 'user-sub-1' });
  await expect(verifier({ tokenUse: null }).verify(accessToken())).resolves.toMatchObject({ userId: 'user-sub-1' });
  await expect(verifier({ tokenUse: null }).verify(idToken())).resolves.toMatchObject({ userId: 'user-sub-1' });
});

test('a client-credentials access token (an app client, no user) is refused', async () => {
  const machineToken = accessToken({ sub: CLIENT, username: undefined, scope: 'notifications/publish' });
  await expect(verifier({ tokenUse: 'access' }).verify(machineToken)).rejects.toThrow(/machine \(client credentials\) access token/);
  await expect(authorizeConnect(authorizerEvent({ token: machineToken }), verifier({ tokenUse: null }))).rejects.toThrow('Unauthorized');
});

test('the user id may come from another claim, such as cognito:username', async () => {
  await expect(verifier({ userIdClaim: 'cognito:username' }).verify(idToken({ 'cognito:username': 'alice' }))).resolves.toMatchObject({ userId: 'alice' });
});

test.each([
  ['an access token where id tokens are required', () => accessToken()],
  ['another app client', () => idToken({ aud: 'otherclient' })],
  ['another user pool', () => idToken({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' })],
  ['an expired token', () => idToken({ exp: Math.floor(Date.now() / 1000) - 10 })],
  ['no token_use', () => idToken({ token_use: undefined })],
])('refused: %s', async (_name, token) => {
  await expect(authorizeConnect(authorizerEvent({ token: token() }), verifier())).rejects.toThrow('Unauthorized');
});
