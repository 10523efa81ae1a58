/**
 * The @connections poster against the local @connections API: what it sends (a SigV4-signed
 * POST, checked here by an independent implementation of the signing process), how it classifies
 * every answer, and that it keeps its sockets alive.
 */
import { createHash, createHmac } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { classifyAnswer, ConnectionsPoster, createConnectionsPoster } from '../../../lambda/fanout/connections-poster';
import { createRequestSigner, environmentCredentials } from '../../../lambda/fanout/request-signer';
import { ConnectionRegistry, ConnectionsApiServer, FaultAction, startConnectionsApi } from '../../../local/connections-api';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
const REGION = 'eu-west-1';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

let api: ConnectionsApiServer;
let faults: (method: string, connectionId: string) => FaultAction | undefined;
let received: Received[];
let sockets: number;
const frames = new Map<string, string[]>();
const posters: ConnectionsPoster[] = [];

beforeAll(async () => {
  api = await startConnectionsApi({ registry: new ConnectionRegistry(), faults: (method, id) => faults(method, id) });
  // Listeners added after the API's own: they see the same request and socket.
  api.server.on('connection', () => sockets++);
  api.server.on('request', (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }));
  });
});

afterAll(async () => {
  posters.forEach((p) => p.close());
  await api.close();
});

beforeEach(() => {
  faults = () => undefined;
  received = [];
  sockets = 0;
});

function poster(options: { maxSockets?: number; requestTimeoutMs?: number; endpoint?: string } = {}): ConnectionsPoster {
  const created = createConnectionsPoster({
    endpoint: options.endpoint ?? api.endpoint,
    maxSockets: options.maxSockets ?? 4,
    requestTimeoutMs: options.requestTimeoutMs,
    signer: createRequestSigner({ region: REGION, credentials: CREDENTIALS }),
  });
  posters.push(created);
  return created;
}

function connect(connectionId: string): void {
  frames.set(connectionId, []);
  api.registry.add({
    connectionId,
    connectedAt: new Date(),
    lastActiveAt: new Date(),
    sourceIp: '127.0.0.1',
    send: (data) => frames.get(connectionId)!.push(data),
    close: () => api.registry.remove(connectionId),
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('posting', () => {
  test('a frame reaches its connection, whatever characters the id holds', async () => {
    const { post } = poster();
    const ids = ['L0SM9cOFvHcCIhw=', 'a+b/c=d', "quote'(*)!"];
    ids.forEach(connect);
    for (const id of ids) await expect(post(id, bytes(`{"to":"${id}"}`))).resolves.toEqual({ status: 'delivered' });
    for (const id of ids) expect(frames.get(id)).toEqual([`{"to":"${id}"}`]);
  });

  test('addresses the same URL as the AWS SDK client', async () => {
    const sdk = new ApiGatewayManagementApiClient({ endpoint: api.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    const { post } = poster();
    const id = "a+b/c=d'(*)!";
    connect(id);
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: bytes('sdk') }));
    await post(id, bytes('lean'));
    sdk.destroy();
    const [viaSdk, viaPoster] = received;
    expect(viaPoster.method).toBe(viaSdk.method);
    expect(viaPoster.url).toBe(viaSdk.url);
    expect(viaPoster.headers['content-type']).toBe(viaSdk.headers['content-type']);
    expect(signedHeaderNames(viaPoster)).toEqual(expect.arrayContaining(['host', 'content-type', 'content-length', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']));
    expect(viaPoster.headers.authorization?.split(' ')[1].split('/').slice(2).join('/'))
      .toBe(viaSdk.headers.authorization?.split(' ')[1].split('/').slice(2).join('/'));
  });
});

describe('probing', () => {
  test('GET @connections says whether a connection is still open, and posts nothing', async () => {
    const { probe } = poster();
    connect('alive=');
    await expect(probe('alive=')).resolves.toEqual({ status: 'delivered' });
    await expect(probe('long-gone=')).resolves.toEqual({ status: 'gone' });
    expect(received.map((r) => [r.method, r.url, r.body.length])).toEqual([
      ['GET', `${new URL(api.endpoint).pathname}/@connections/alive%3D`, 0],
      ['GET', `${new URL(api.endpoint).pathname}/@connections/long-gone%3D`, 0],
    ]);
    expect(frames.get('alive=')).toEqual([]);
  });

  test('a probe that fails says neither open nor gone', async () => {
    const { probe } = poster();
    connect('busy=');
    faults = (method) => (method === 'GET' ? { status: 500 } : undefined);
    await expect(probe('busy=')).resolves.toMatchObject({ status: 'failed', reason: 'SERVER_ERROR' });
  });
});

describe('signing', () => {
  test('the request carries a valid Signature Version 4 for execute-api in the region, with the session token', async () => {
    const { post } = poster();
    connect('sig-1');
    const frame = bytes('{"type":"notification","data":{"orderId":42}}');
    await post('sig-1', frame);
    const [request] = received;
    const amzDate = request.headers['x-amz-date'] as string;
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(request.headers['x-amz-content-sha256']).toBe(sha256Hex(frame));
    expect(request.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${amzDate.slice(0, 8)}/${REGION}/execute-api/aws4_request, `
        + 'SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$'),
    );
    expect(request.headers.authorization).toBe(expectedAuthorization(request, CREDENTIALS.secretAccessKey));
  });

  test('a changed byte breaks the signature (the check can fail)', async () => {
    const { post } = poster();
    connect('sig-2');
    await post('sig-2', bytes('{"a":1}'));
    const [request] = received;
    expect(expectedAuthorization({ ...request, body: Buffer.from('{"a":2}') }, CREDENTIALS.secretAccessKey)).not.toBe(request.headers.authorization);
    expect(expectedAuthorization(request, 'another-secret')).not.toBe(request.headers.authorization);
  });

  test('the same frame to many connections is signed per connection', async () => {
    const { post } = poster();
    connect('many-1');
    connect('many-2');
    const frame = bytes('shared');
    await post('many-1', frame);
    await post('many-2', frame);
    for (const request of received) expect(request.headers.authorization).toBe(expectedAuthorization(request, CREDENTIALS.secretAccessKey));
    expect(received[0].headers.authorization).not.toBe(received[1].headers.authorization);
  });

  test('no credentials: the post fails for good, saying what is missing', async () => {
    const created = createConnectionsPoster({
      endpoint: api.endpoint,
      maxSockets: 1,
      signer: createRequestSigner({ region: REGION, credentials: async () => { throw new Error('Unable to find environment variable credentials.'); } }),
    });
    posters.push(created);
    connect('no-creds');
    await expect(created.post('no-creds', bytes('x'))).resolves.toMatchObject({
      status: 'failed', reason: 'FORBIDDEN', retryable: false, detail: expect.stringMatching(/needs AWS credentials/),
    });
    expect(received).toEqual([]);
  });
});

describe('credentials from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  test('read once when they do not expire', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'first', AWS_SECRET_ACCESS_KEY: 's1', AWS_SESSION_TOKEN: 't1' });
    delete process.env.AWS_CREDENTIAL_EXPIRATION;
    const credentials = environmentCredentials();
    expect(await credentials()).toMatchObject({ accessKeyId: 'first', sessionToken: 't1' });
    process.env.AWS_ACCESS_KEY_ID = 'second';
    expect(await credentials()).toMatchObject({ accessKeyId: 'first' });
  });

  test('read again when they are about to expire', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'first', AWS_SECRET_ACCESS_KEY: 's1', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 60_000).toISOString() });
    const credentials = environmentCredentials();
    expect(await credentials()).toMatchObject({ accessKeyId: 'first' });
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'second', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await credentials()).toMatchObject({ accessKeyId: 'second' });
    process.env.AWS_ACCESS_KEY_ID = 'third';
    expect(await credentials()).toMatchObject({ accessKeyId: 'second' });
  });

  test('a missing region is an init error that says what to set', () => {
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      expect(() => createRequestSigner()).toThrow(/AWS_REGION is not set/);
    } finally {
      if (region !== undefined) process.env.AWS_REGION = region;
    }
  });
});

describe('classifying answers', () => {
  test.each<[string, FaultAction | 'unknown connection' | 'too large', object]>([
    ['410 Gone', 'unknown connection', { status: 'gone' }],
    ['429 LimitExceededException', { status: 429 }, { status: 'failed', reason: 'THROTTLED', retryable: true, detail: 'LimitExceededException: Too Many Requests' }],
    ['413 PayloadTooLargeException', 'too large', { status: 'failed', reason: 'PAYLOAD_TOO_LARGE', retryable: false }],
    ['403', { status: 403 }, { status: 'failed', reason: 'FORBIDDEN', retryable: false }],
    ['400', { status: 400 }, { status: 'failed', reason: 'REJECTED', retryable: false }],
    ['500', { status: 500 }, { status: 'failed', reason: 'SERVER_ERROR', retryable: true, detail: 'InternalServerErrorException: Internal server error' }],
    ['503', { status: 503 }, { status: 'failed', reason: 'SERVER_ERROR', retryable: true }],
    ['a reset socket', { reset: true }, { status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail: expect.stringMatching(/ECONNRESET/) }],
  ])('%s', async (_name, fault, expected) => {
    const { post } = poster();
    const id = `classify-${Math.random().toString(36).slice(2)}`;
    if (fault !== 'unknown connection') connect(id);
    if (typeof fault === 'object') faults = (_m, connectionId) => (connectionId === id ? fault : undefined);
    const frame = fault === 'too large' ? new Uint8Array(128 * 1024 + 1) : bytes('{}');
    await expect(post(id, frame)).resolves.toMatchObject(expected);
  });

  test('no answer within the request timeout: a retryable network error, and the next post works', async () => {
    const { post } = poster({ requestTimeoutMs: 200 });
    connect('slow');
    let answered = 0;
    faults = (_m, id) => (id === 'slow' && answered++ === 0 ? { delayMs: 1_000 } : undefined);
    await expect(post('slow', bytes('1'))).resolves.toMatchObject({
      status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail: expect.stringMatching(/TimeoutError: no answer within 200 ms/),
    });
    await expect(post('slow', bytes('2'))).resolves.toEqual({ status: 'delivered' });
  });

  test('a post may ask for a shorter timeout than the poster\'s own', async () => {
    const { post } = poster({ requestTimeoutMs: 5_000 });
    connect('slow-short');
    faults = (_m, id) => (id === 'slow-short' ? { delayMs: 1_000 } : undefined);
    await expect(post('slow-short', bytes('1'), 200)).resolves.toMatchObject({
      status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail: expect.stringMatching(/TimeoutError: no answer within 200 ms/),
    });
  });

  test('nobody listening: a retryable network error', async () => {
    const closed = await startConnectionsApi();
    const endpoint = closed.endpoint;
    await closed.close();
    const { post } = poster({ endpoint });
    await expect(post('anyone', bytes('x'))).resolves.toMatchObject({
      status: 'failed', reason: 'NETWORK_ERROR', retryable: true, detail: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  test('by status and error type, the way API Gateway answers', () => {
    expect(classifyAnswer(200)).toEqual({ status: 'delivered' });
    expect(classifyAnswer(410, 'GoneException', '{"message":"Connection is gone"}')).toEqual({ status: 'gone' });
    expect(classifyAnswer(400, 'GoneException')).toEqual({ status: 'gone' });
    expect(classifyAnswer(400, 'ThrottlingException')).toMatchObject({ reason: 'THROTTLED', retryable: true });
    expect(classifyAnswer(403, 'ForbiddenException:http://internal.amazon.com/coral/', '{"Message":"Forbidden"}'))
      .toEqual({ status: 'failed', reason: 'FORBIDDEN', retryable: false, detail: 'ForbiddenException: Forbidden' });
    expect(classifyAnswer(502, undefined, '<html>Bad Gateway</html>'))
      .toEqual({ status: 'failed', reason: 'SERVER_ERROR', retryable: true, detail: 'HTTP 502: <html>Bad Gateway</html>' });
    expect(classifyAnswer(404)).toEqual({ status: 'failed', reason: 'REJECTED', retryable: false, detail: 'HTTP 404: status 404' });
  });
});

describe('sockets', () => {
  test('kept alive and reused: posts in flight never open more sockets than the pool holds', async () => {
    const { post } = poster({ maxSockets: 4 });
    const ids = Array.from({ length: 100 }, (_, i) => `pool-${i}`);
    ids.forEach(connect);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) await post(ids[next++], bytes('hello'));
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    // Error answers have bodies: read to the end, their sockets go back to the pool too.
    faults = () => ({ status: 429 });
    await Promise.all(ids.slice(0, 20).map((id) => post(id, bytes('again'))));
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(`never-connected-${i}`, bytes('x'))));
    expect(received).toHaveLength(140);
    expect(sockets).toBeGreaterThan(0);
    expect(sockets).toBeLessThanOrEqual(4);
  });

  test('plain http only to a loopback host', () => {
    expect(() => createConnectionsPoster({ endpoint: 'http://example.com/prod', maxSockets: 1, signer: createRequestSigner({ region: REGION, credentials: CREDENTIALS }) }))
      .toThrow(/must be an https URL/);
    expect(() => createConnectionsPoster({ endpoint: 'ftp://127.0.0.1/prod', maxSockets: 1, signer: createRequestSigner({ region: REGION, credentials: CREDENTIALS }) }))
      .toThrow(/must be an https URL/);
    const https = createConnectionsPoster({ endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod', maxSockets: 1, signer: createRequestSigner({ region: REGION, credentials: CREDENTIALS }) });
    https.close();
  });
});

function signedHeaderNames(request: Received): string[] {
  return /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')?.[1].split(';') ?? [];
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * The Authorization header AWS would expect for this request, computed from the documented
 * Signature Version 4 steps (canonical request, string to sign, derived key), independently of
 * the signer under test. Non-S3 services encode each path segment twice.
 */
function expectedAuthorization(request: Received, secretAccessKey: string): string {
  const amzDate = request.headers['x-amz-date'] as string;
  const day = amzDate.slice(0, 8);
  const signed = signedHeaderNames(request);
  const scope = `${day}/${REGION}/execute-api/aws4_request`;
  const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalUri = request.url.split('?')[0].split('/').map(encode).join('/');
  const canonicalHeaders = signed.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const canonicalRequest = [request.method, canonicalUri, '', canonicalHeaders, signed.join(';'), sha256Hex(request.body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), REGION), 'execute-api'), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
}
