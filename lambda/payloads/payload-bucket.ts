/**
 * The payload bucket over S3's REST API: PutObject for payloads too large for a frame, and
 * presigned GET URLs that clients fetch them with. Two requests, signed with the SDK's own SigV4
 * signer and the environment's credentials (as the @connections poster does), rather than the S3
 * client and its presigner: they would add more to the deliver bundle's cold start than these two
 * calls are worth. AWS_ENDPOINT_URL_S3 (the SDK's own variable) points it at a local S3, path-style.
 */
import { createHash } from 'node:crypto';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { optionalEnv } from '../runtime/env';
import { escapeUri } from '../runtime/uri-escape';
import { environmentCredentials } from '../fanout/request-signer';

export interface PayloadBucket {
  /** Stores `body` under `key` (overwriting the same bytes when a retry stores it again). */
  put(key: string, body: Uint8Array, contentType: string, signal?: AbortSignal): Promise<void>;
  /** A URL that GETs `key` without credentials for `expiresInSeconds`. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
}

export interface PayloadBucketOptions {
  readonly bucket: string;
  /** @default the AWS_REGION variable Lambda sets */
  readonly region?: string;
  /** A local S3, addressed path-style. @default AWS_ENDPOINT_URL_S3, else the region's virtual-hosted endpoint */
  readonly endpoint?: string;
  /** @default the environment's credentials */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Whether `endpoint` is the bucket's own host (virtual-hosted) rather than S3's (path-style). @default false */
  readonly endpointIsBucket?: boolean;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Presigned URLs carry no signed header but the host: the payload hash is S3's UNSIGNED-PAYLOAD. */
const CONTENT_SHA256 = 'x-amz-content-sha256';
const UNSIGNED = new Set([CONTENT_SHA256]);

export function createPayloadBucket(options: PayloadBucketOptions): PayloadBucket {
  const region = options.region ?? optionalEnv('AWS_REGION');
  if (!region) throw new Error('AWS_REGION is not set: it names the payload bucket\'s region. Lambda sets it; set it when running a handler elsewhere.');
  const endpoint = options.endpoint ?? optionalEnv('AWS_ENDPOINT_URL_S3');
  const signer = new SignatureV4({ service: 's3', region, credentials: options.credentials ?? environmentCredentials(), sha256: Sha256, uriEscapePath: false });
  const base = endpoint !== undefined ? new URL(endpoint) : new URL(`https://${options.bucket}.s3.${region}.amazonaws.com`);
  const pathStyle = endpoint !== undefined && !options.endpointIsBucket;
  const pathOf = (key: string) => `${pathStyle ? `${base.pathname.replace(/\/$/, '')}/${options.bucket}` : ''}/${encodeKey(key)}`;
  const now = options.now ?? (() => new Date());
  const request = (method: string, key: string, headers: Record<string, string>, body?: Uint8Array) => ({
    method,
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port === '' ? undefined : Number(base.port),
    path: pathOf(key),
    query: {},
    headers: { host: base.host, ...headers },
    body,
  });
  return {
    async put(key, body, contentType, signal) {
      const sha256 = createHash('sha256').update(body).digest('hex');
      const signed = await signer.sign(request('PUT', key, { 'content-type': contentType, [CONTENT_SHA256]: sha256 }, body), { signingDate: now() });
      const { host: _host, ...headers } = signed.headers;
      const response = await fetch(urlOf(signed), { method: 'PUT', headers, body: body as unknown as BodyInit, signal });
      if (!response.ok) {
        const text = (await response.text()).slice(0, 300);
        throw new PayloadBucketError(`PutObject of ${key} failed with HTTP ${response.status}: ${errorCode(text)}`);
      }
      await response.body?.cancel();
    },
    async presign(key, expiresInSeconds) {
      const signed = await signer.presign(request('GET', key, { [CONTENT_SHA256]: 'UNSIGNED-PAYLOAD' }),
        { expiresIn: expiresInSeconds, unhoistableHeaders: UNSIGNED, unsignableHeaders: UNSIGNED, signingDate: now() });
      return urlOf(signed);
    },
  };
}

export class PayloadBucketError extends Error {
  override readonly name = 'PayloadBucketError';
}

/** S3 keys keep their slashes; every other reserved character is percent-encoded, as SigV4 for S3 expects. */
function encodeKey(key: string): string {
  return key.split('/').map(escapeUri).join('/');
}

function urlOf(r: { protocol: string; hostname: string; port?: number; path: string; query?: Record<string, unknown> }): string {
  const query = Object.entries(r.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`).join('&');
  return `${r.protocol}//${r.hostname}${r.port !== undefined ? `:${r.port}` : ''}${r.path}${query === '' ? '' : `?${query}`}`;
}

/** S3's error code from its XML answer, without the rest (request ids, the bucket's name). */
function errorCode(xml: string): string {
  return /<Code>([A-Za-z]{1,64})<\/Code>/.exec(xml)?.[1] ?? 'no error code';
}
