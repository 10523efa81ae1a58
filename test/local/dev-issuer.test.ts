/** The development issuer: its JWKS verifies its tokens, for any user id the authorizer accepts and no other. */
import { createPublicKey, verify } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DevIssuer } from '../../local/auth/dev-issuer';

describe('development token issuer', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const issuer = await DevIssuer.create({ issuer: `${base}/dev`, audience: 'local-audience', pathPrefix: '/dev' });
    server.on('request', (req, res) => { if (!issuer.handle(req, res)) res.writeHead(404).end(); });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs RS256 tokens for a user that its JWKS verifies', async () => {
    const response = await fetch(`${base}/dev/token?userId=alice`);
    // A frontend on its own dev server (another origin) fetches tokens too.
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const { token, userId } = await response.json() as { token: string; userId: string };
    expect(userId).toBe('alice');
    const jwks = await (await fetch(`${base}/dev/.well-known/jwks.json`)).json() as { keys: Array<Record<string, string>> };
    const [headerPart, payloadPart, signature] = token.split('.');
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString());
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toMatchObject({ sub: 'alice', iss: `${base}/dev`, aud: 'local-audience' });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('signs any id an OIDC issuer may put in sub, exactly as given', async () => {
    for (const userId of ['auth0|abc123', 'José', '用户', 'https://login.example.com/users/7', 'alice/../bob', 'al ice', 'u'.repeat(300)]) {
      const response = await fetch(`${base}/dev/token?userId=${encodeURIComponent(userId)}`);
      expect(`${userId}: ${response.status}`).toBe(`${userId}: 200`);
      const { token } = await response.json() as { token: string };
      expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub).toBe(userId);
    }
  });

  it('refuses user ids the authorizer would refuse: too long for a topic', async () => {
    for (const userId of ['a'.repeat(513), '/'.repeat(171)]) {
      const response = await fetch(`${base}/dev/token?userId=${encodeURIComponent(userId)}`);
      expect(`${userId}: ${response.status}`).toBe(`${userId}: 400`);
      expect((await response.json() as { message: string }).message).toMatch(/^This userId cannot be used: it is \d+ characters long.*Give another one: \/dev\/token\?userId=alice/);
    }
  });

  it('asks which user, without a user id', async () => {
    for (const query of ['', '?userId=']) {
      const response = await fetch(`${base}/dev/token${query}`);
      expect(response.status).toBe(400);
      expect((await response.json() as { message: string }).message)
        .toBe('Which user is the token for? Give the user id: /dev/token?userId=alice (any id an issuer puts in sub, URL-encoded: /dev/token?userId=auth0%7Cabc123).');
    }
  });
});
