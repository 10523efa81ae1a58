/**
 * The $connect authorizer, called as API Gateway calls it, verifying real RS256 tokens against a
 * JWKS served over loopback http by a test issuer.
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { loadHandler } from '../../support/handlers';
import { base64url, rsaKeyPair, signJwt, startTestIssuer, TestIssuer } from '../../support/jwt-issuer';
import { authorizerEvent } from '../../support/websocket-events';

type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const AUDIENCE = 'notifications-web';
let issuer: TestIssuer;
let authorize: Authorizer;

function jwtEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AUTH_MODE: 'jwt',
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: `other-app,${AUDIENCE}`,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_USER_ID_CLAIM: 'sub',
    ...overrides,
  };
}

beforeAll(async () => {
  issuer = await startTestIssuer(AUDIENCE);
  authorize = loadHandler<{ handler: Authorizer }>('authorizer', jwtEnv()).handler;
});
afterAll(async () => {
  await issuer.stop();
});

const withToken = (token: string) => authorizerEvent({ token });
const now = () => Math.floor(Date.now() / 1000);

test('a good token is allowed, with the user id and the token\'s expiry in the authorizer context', async () => {
  const exp = now() + 600;
  const event = withToken(issuer.token({ sub: 'alice', exp }));
  expect(await authorize(event)).toEqual({
    principalId: 'alice',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { userId: 'alice', tokenExpiresAt: exp },
  });
});

test('any of the configured audiences is accepted', async () => {
  expect((await authorize(withToken(issuer.token({ aud: 'other-app' })))).context).toMatchObject({ userId: 'alice' });
  expect((await authorize(withToken(issuer.token({ aud: ['x', AUDIENCE] })))).context).toMatchObject({ userId: 'alice' });
});

test('the JWKS is fetched once and reused across invocations', async () => {
  const before = issuer.jwksRequests();
  for (const sub of ['u1', 'u2', 'u3']) await authorize(withToken(issuer.token({ sub })));
  expect(issuer.jwksRequests()).toBe(before);
  expect(before).toBeLessThanOrEqual(1);
});

describe('the token in a subprotocol', () => {
  const inSubprotocol = (subprotocols: string, query: Record<string, string> | null = null) => authorizerEvent(query, undefined, subprotocols);

  test.each([
    ['beside realtime.v1', (t: string) => `realtime.v1, token.${t}`],
    ['first', (t: string) => `token.${t},realtime.v1`],
    ['alone', (t: string) => `token.${t}`],
  ])('is read when %s, with no query string', async (_name, header) => {
    const result = await authorize(inSubprotocol(header(issuer.token({ sub: 'auth0|abc123' }))));
    expect(result.context).toMatchObject({ userId: 'auth0|abc123' });
  });

  test('the same token in both places is fine', async () => {
    const token = issuer.token({ sub: 'alice' });
    expect((await authorize(inSubprotocol(`realtime.v1, token.${token}`, { token }))).context).toMatchObject({ userId: 'alice' });
  });

  test.each([
    ['two different tokens, query string and subprotocol', () => inSubprotocol(`realtime.v1, token.${issuer.token({ sub: 'bob' })}`, { token: issuer.token({ sub: 'alice' }) })],
    ['two different tokens in subprotocols', () => inSubprotocol(`token.${issuer.token({ sub: 'bob' })}, token.${issuer.token({ sub: 'alice' })}`)],
    ['subprotocols but no token', () => inSubprotocol('realtime.v1, websocket')],
    ['an empty token entry', () => inSubprotocol('realtime.v1, token.')],
    ['a bad token in a subprotocol', () => inSubprotocol('realtime.v1, token.a.b.c')],
  ])('refuses %s', async (_name, event) => {
    await expect(authorize(event())).rejects.toThrow(new Error('Unauthorized'));
  });
});

describe('any user id an issuer may give', () => {
  test.each(['auth0|abc123', 'google-oauth2|1234', 'José', '用户', 'https://login.example.com/users/7', 'a/b', 'u'.repeat(300), 'u'.repeat(512)])(
    '%s is allowed, exactly as given', async (sub) => {
      const result = await authorize(withToken(issuer.token({ sub })));
      expect(result.principalId).toBe(sub);
      expect(result.context).toMatchObject({ userId: sub });
    });

  test.each([
    ['too long for a topic', 'u'.repeat(513)],
    ['171 "/" (513 characters as a topic segment)', '/'.repeat(171)],
    ['with a control character', 'u\n1'],
  ])('an id %s is refused', async (_name, sub) => {
    await expect(authorize(withToken(issuer.token({ sub })))).rejects.toThrow(new Error('Unauthorized'));
  });
});

describe('refusals are all "Unauthorized" (HTTP 401)', () => {
  const tamper = (token: string, claims: Record<string, unknown>) => {
    const [header, payload, signature] = token.split('.');
    const changed = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...claims };
    return [header, base64url(JSON.stringify(changed)), signature].join('.');
  };
  const header = () => ({ alg: 'RS256', typ: 'JWT', kid: issuer.kid });
  const claims = () => ({ iss: issuer.issuer, aud: AUDIENCE, sub: 'mallory', iat: now(), exp: now() + 600 });

  const cases: Array<[string, () => APIGatewayRequestAuthorizerEvent]> = [
    ['no query string', () => authorizerEvent(null)],
    ['no token parameter', () => authorizerEvent({ other: 'x' })],
    ['an empty token', () => withToken('')],
    ['garbage', () => withToken('not-a-jwt')],
    ['three garbage parts', () => withToken('a.b.c')],
    ['a "Bearer " prefix', () => withToken(`Bearer ${issuer.token()}`)],
    ['an expired token', () => withToken(issuer.token({ exp: now() - 60, iat: now() - 3600 }))],
    ['a token not valid yet', () => withToken(issuer.token({ nbf: now() + 3600 }))],
    ['a token without exp', () => withToken(issuer.token({ exp: undefined }))],
    ['a token signed with another key', () => withToken(issuer.token({}, { key: rsaKeyPair().privateKey }))],
    ['a token whose payload was changed after signing', () => withToken(tamper(issuer.token({ sub: 'alice' }), { sub: 'admin' }))],
    ['a token with its signature removed', () => withToken(issuer.token().split('.').slice(0, 2).join('.') + '.')],
    ['the wrong issuer', () => withToken(issuer.token({ iss: 'https://evil.example.com' }))],
    ['the wrong audience', () => withToken(issuer.token({ aud: 'someone-else' }))],
    ['no audience', () => withToken(issuer.token({ aud: undefined }))],
    ['alg none', () => withToken(`${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims()))}.`)],
    ['alg none with the issuer\'s kid', () => withToken(`${base64url(JSON.stringify({ ...header(), alg: 'none' }))}.${base64url(JSON.stringify(claims()))}.`)],
    ['HS256 keyed with the public key (algorithm confusion)', () => {
      const input = `${base64url(JSON.stringify({ ...header(), alg: 'HS256' }))}.${base64url(JSON.stringify(claims()))}`;
      const secret = issuer.publicKey.export({ format: 'pem', type: 'spki' });
      return withToken(`${input}.${base64url(createHmac('sha256', secret).update(input).digest())}`);
    }],
    ['an unknown kid', () => withToken(signJwt({ ...header(), kid: 'not-ours' }, claims(), rsaKeyPair().privateKey))],
    ['no user id claim', () => withToken(issuer.token({ sub: undefined }))],
    ['an empty user id claim', () => withToken(issuer.token({ sub: '' }))],
    ['an object as user id', () => withToken(issuer.token({ sub: { id: 'alice' } }))],
    ['a token over 8 KB', () => withToken(issuer.token({ pad: 'x'.repeat(9000) }))],
  ];

  test.each(cases)('%s', async (_name, event) => {
    await expect(authorize(event())).rejects.toThrow(new Error('Unauthorized'));
  });
});

describe('configuration', () => {
  test('the user id can come from another claim', async () => {
    const byEmail = loadHandler<{ handler: Authorizer }>('authorizer', jwtEnv({ AUTH_USER_ID_CLAIM: 'email' })).handler;
    expect((await byEmail(withToken(issuer.token({ email: 'alice@example.com' })))).context).toMatchObject({ userId: 'alice@example.com' });
    await expect(byEmail(withToken(issuer.token()))).rejects.toThrow('Unauthorized');
  });

  test.each([
    ['jwt without an audience', () => jwtEnv({ AUTH_AUDIENCE: undefined }), /AUTH_AUDIENCE is not set/],
    ['jwt without an issuer', () => jwtEnv({ AUTH_ISSUER: undefined }), /AUTH_ISSUER is not set/],
    ['a JWKS over plain http from another host', () => jwtEnv({ AUTH_JWKS_URI: 'http://keys.example.com/jwks.json' }), /must use https/],
    ['no mode', () => jwtEnv({ AUTH_MODE: undefined }), /AUTH_MODE is not set/],
    ['mode none', () => jwtEnv({ AUTH_MODE: 'none' }), /AUTH_MODE is "none"/],
    ['cognito without a user pool', () => ({ AUTH_MODE: 'cognito', AUTH_USER_POOL_ID: undefined }), /AUTH_USER_POOL_ID is not set/],
    ['cognito with a bad token use', () => ({ AUTH_MODE: 'cognito', AUTH_USER_POOL_ID: 'us-east-1_abc', AUTH_TOKEN_USE: 'refresh' }), /AUTH_TOKEN_USE is "refresh"/],
  ])('%s fails the cold start with a message naming the setting', (_name, env, message) => {
    expect(() => loadHandler('authorizer', env())).toThrow(message);
  });
});
