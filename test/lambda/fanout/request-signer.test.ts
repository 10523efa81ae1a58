/**
 * The @connections request signer against the AWS SDK's own SigV4 signer: for the same request
 * at the same moment, the same headers, Authorization included, in the same order.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ConnectionsRequest, createRequestSigner } from '../../../lambda/fanout/request-signer';
import { escapeUri } from '../../../lambda/runtime/uri-escape';

const REGION = 'eu-west-1';
const WITH_TOKEN: AwsCredentialIdentity = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDO  token\twith blanks ' };
const WITHOUT_TOKEN: AwsCredentialIdentity = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

/** What the SDK's signer makes of the same request, in the same header order. */
async function sdkSigned(request: ConnectionsRequest, credentials: AwsCredentialIdentity, nowMs: number): Promise<string[]> {
  const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials, sha256: Sha256 });
  const [hostname, port] = request.host.split(':');
  const signed = await signer.sign({
    method: request.method,
    protocol: 'https:',
    hostname,
    port: port ? Number(port) : undefined,
    path: request.path,
    query: {},
    headers: {
      host: request.host,
      ...(request.contentType !== undefined ? { 'content-type': request.contentType } : {}),
      'content-length': String(request.contentLength),
      'x-amz-content-sha256': request.payloadHash,
    },
  }, { signingDate: new Date(nowMs) });
  return Object.entries(signed.headers as Record<string, string>).flat();
}

const post = (path: string, host = 'abc123.execute-api.eu-west-1.amazonaws.com'): ConnectionsRequest => ({
  method: 'POST', host, path, contentType: 'application/octet-stream', contentLength: 42, payloadHash: HASH,
});

describe('the same signature as the SDK\'s signer', () => {
  test.each<[string, ConnectionsRequest]>([
    ['a POST', post('/prod/@connections/L0SM9cOFvHcCIhw%3D')],
    ['a GET (no body type)', { method: 'GET', host: 'abc123.execute-api.eu-west-1.amazonaws.com', path: '/prod/@connections/L0SM9cOFvHcCIhw%3D', contentLength: 0, payloadHash: HASH }],
    ['a DELETE', { method: 'DELETE', host: 'abc123.execute-api.eu-west-1.amazonaws.com', path: '/prod/@connections/a%2Bb', contentLength: 0, payloadHash: HASH }],
    ['an id every character of which is encoded', post(`/prod/@connections/${escapeUri("a+b/c=d'(*)!")}`)],
    ['a host with a port', post('/local/@connections/abc%3D', '127.0.0.1:3001')],
    ['a custom domain\'s base path', post('/v1/realtime/@connections/abc%3D')],
    ['an empty id', post('/prod/@connections/')],
    ['an id of a dot', post('/prod/@connections/.')],
    ['an id of two dots', post('/prod/@connections/..')],
    ['a path with empty and dot segments', post('/prod//./x/../@connections/abc')],
  ])('%s', async (_name, request) => {
    for (const credentials of [WITH_TOKEN, WITHOUT_TOKEN]) {
      const signer = createRequestSigner({ region: REGION, credentials });
      await expect(signer.sign(request, AT)).resolves.toEqual(await sdkSigned(request, credentials, AT));
    }
  });

  test('one signer across ids, seconds, days and a change of credentials', async () => {
    let credentials = WITH_TOKEN;
    const signer = createRequestSigner({ region: REGION, credentials: async () => credentials });
    const moments = [AT, AT + 10, AT + 1_000, AT + 86_400_000, AT + 86_400_000 + 1];
    for (const [i, nowMs] of moments.entries()) {
      const request = post(`/prod/@connections/id-${i}%3D`);
      await expect(signer.sign(request, nowMs)).resolves.toEqual(await sdkSigned(request, credentials, nowMs));
    }
    credentials = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'another-secret', sessionToken: 'another-token' };
    const request = post('/prod/@connections/after%3D');
    await expect(signer.sign(request, AT)).resolves.toEqual(await sdkSigned(request, credentials, AT));
  });

  test('credentials that are not credentials: rejected, as the SDK\'s signer does', async () => {
    const signer = createRequestSigner({ region: REGION, credentials: async () => ({ accessKeyId: 'AKID' }) as AwsCredentialIdentity });
    await expect(signer.sign(post('/prod/@connections/x'), AT)).rejects.toThrow(/not valid/);
  });
});
