import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { assertFetchableJwksUri, LoopbackHttpFetcher } from '../../../lambda/auth/jwks-fetcher';
import { isLoopbackHttpUrl } from '../../../lambda/runtime/loopback';

test.each([
  ['http://127.0.0.1:3001/dev/.well-known/jwks.json', true],
  ['http://localhost:3001/jwks', true],
  ['http://[::1]:3001/jwks', true],
  ['http://127.0.0.1.evil.example.com/jwks', false],
  ['http://localhost.evil.example.com/jwks', false],
  ['http://evil.example.com/?host=127.0.0.1', false],
  ['http://0.0.0.0:3001/jwks', false],
  ['http://10.0.0.1/jwks', false],
  ['https://127.0.0.1/jwks', false],
  ['not a url', false],
])('%s is loopback http: %s', (uri, expected) => {
  expect(isLoopbackHttpUrl(uri)).toBe(expected);
});

test.each(['http://keys.example.com/jwks.json', 'file:///etc/passwd', 'ftp://example.com/jwks', 'jwks.json'])(
  'refuses %s before any request', (uri) => {
    expect(() => assertFetchableJwksUri(uri)).toThrow(/https|not a URL/);
  });

test('fetches over loopback http, and refuses a non-200 answer', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    else res.writeHead(500).end('boom');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const fetcher = new LoopbackHttpFetcher();
    expect(Buffer.from(await fetcher.fetch(`${base}/jwks`)).toString()).toBe('{"keys":[]}');
    await expect(fetcher.fetch(`${base}/other`)).rejects.toThrow(/answered 500/);
    await expect(fetcher.fetch('http://keys.example.com/jwks')).rejects.toThrow(/must use https/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
