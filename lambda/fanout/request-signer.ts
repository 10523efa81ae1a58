/**
 * Signs @connections requests with Signature Version 4, with the credentials Lambda puts in the
 * function's environment (the execution role's, as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN).
 *
 * Why not the SDK's SignatureV4: it knows nothing of the request, so for every post it clones it,
 * sorts and normalises its headers, hashes the credentials to look up its key cache, and goes
 * through its own SHA-256 wrapper: about half of a post's signing CPU, and more while V8 has not
 * yet compiled those paths (the first fan-out of an instance). An @connections request always
 * has the same headers, so its canonical form is written here directly; the signing key is
 * derived once a day (per secret), the date formatted once a second and the path's directory
 * encoded once. What comes out is what SignatureV4 makes (its test compares the two).
 */
import { createHash, createHmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { optionalEnv } from '../runtime/env';
import { escapeUri } from '../runtime/uri-escape';

/** The signing name of API Gateway's @connections (management) API. */
const EXECUTE_API_SERVICE = 'execute-api';
const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface RequestSignerOptions {
  /** @default the AWS_REGION variable Lambda sets */
  readonly region?: string;
  /** @default the environment's credentials, read once and again only when they are about to expire */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** An @connections request: its headers are always these. */
export interface ConnectionsRequest {
  readonly method: 'POST' | 'GET' | 'DELETE';
  /** The Host header (the port included when the URL has one). */
  readonly host: string;
  /** The path as sent, its segments percent-encoded. */
  readonly path: string;
  /** The body's type: only a POST has one. */
  readonly contentType?: string;
  readonly contentLength: number;
  /** The body's SHA-256, in hex. */
  readonly payloadHash: string;
}

export interface RequestSigner {
  /**
   * The request's headers, Authorization included, as `[name, value, name, value, …]` (a form
   * `http.request` takes as it is). Rejects when no credentials can be had.
   */
  sign(request: ConnectionsRequest, nowMs?: number): Promise<string[]>;
}

export function createRequestSigner(options: RequestSignerOptions = {}): RequestSigner {
  const region = options.region ?? optionalEnv('AWS_REGION');
  if (!region) {
    throw new Error('AWS_REGION is not set: it names the region whose @connections API is called. Lambda sets it; '
      + 'set it when running the deliver handler elsewhere.');
  }
  const given = options.credentials ?? environmentCredentials();
  const credentials = typeof given === 'function' ? given : () => Promise.resolve(given);
  const keys = new SigningKeys(region);
  const dates = new SigningDates();
  const paths = new CanonicalPaths();
  return {
    async sign(request, nowMs = Date.now()) {
      const identity = await credentials();
      if (typeof identity !== 'object' || typeof identity.accessKeyId !== 'string' || typeof identity.secretAccessKey !== 'string') {
        throw new Error('Resolved credential object is not valid');
      }
      const { long, short } = dates.at(nowMs);
      const { key, scope } = keys.of(identity.secretAccessKey, short);
      const token = identity.sessionToken || undefined;
      // The canonical headers, in their sorted order.
      const canonicalHeaders = `content-length:${request.contentLength}\n`
        + (request.contentType !== undefined ? `content-type:${canonicalValue(request.contentType)}\n` : '')
        + `host:${canonicalValue(request.host)}\nx-amz-content-sha256:${request.payloadHash}\nx-amz-date:${long}\n`
        + (token !== undefined ? `x-amz-security-token:${canonicalValue(token)}\n` : '');
      const signedHeaders = (request.contentType !== undefined ? 'content-length;content-type;host' : 'content-length;host')
        + (token !== undefined ? ';x-amz-content-sha256;x-amz-date;x-amz-security-token' : ';x-amz-content-sha256;x-amz-date');
      const canonicalRequest = `${request.method}\n${paths.of(request.path)}\n\n${canonicalHeaders}\n${signedHeaders}\n${request.payloadHash}`;
      const stringToSign = `${ALGORITHM}\n${long}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
      const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
      // In the order the SDK's signer leaves them.
      const headers = ['host', request.host];
      if (request.contentType !== undefined) headers.push('content-type', request.contentType);
      headers.push('content-length', String(request.contentLength), 'x-amz-content-sha256', request.payloadHash, 'x-amz-date', long);
      if (token !== undefined) headers.push('x-amz-security-token', token);
      headers.push('authorization', `${ALGORITHM} Credential=${identity.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`);
      return headers;
    },
  };
}

/** The environment's credentials, cached; refreshed only if they carry an expiration that is near. */
export function environmentCredentials(): AwsCredentialIdentityProvider {
  return memoizeIdentityProvider(fromEnv(), isIdentityExpired, doesIdentityRequireRefresh)!;
}

/** The key derived from the secret for one day, region and service, and its scope: the last one kept. */
class SigningKeys {
  private last: { secret: string; day: string; key: Buffer; scope: string } | undefined;

  constructor(private readonly region: string) {}

  of(secret: string, day: string): { key: Buffer; scope: string } {
    if (this.last?.secret !== secret || this.last.day !== day) {
      let key = hmac(`AWS4${secret}`, day);
      for (const part of [this.region, EXECUTE_API_SERVICE, 'aws4_request']) key = hmac(key, part);
      this.last = { secret, day, key, scope: `${day}/${this.region}/${EXECUTE_API_SERVICE}/aws4_request` };
    }
    return this.last;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** The signing date (`20240102T030405Z`) and day (`20240102`), formatted once a second. */
class SigningDates {
  private second = Number.NaN;
  private last = { long: '', short: '' };

  at(nowMs: number): { long: string; short: string } {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      const long = `${new Date(second * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
      this.second = second;
      this.last = { long, short: long.slice(0, 8) };
    }
    return this.last;
  }
}

/**
 * Canonical URIs as the SDK's signer makes them for services other than S3: the path without
 * empty, `.` and `..` segments, each segment encoded once more. The part up to the last `/` is the
 * same for every post, so its form is kept.
 */
class CanonicalPaths {
  private directory = '';
  private canonicalDirectory = '';

  of(path: string): string {
    const cut = path.lastIndexOf('/') + 1;
    const last = path.slice(cut);
    // A last segment that normalisation would change is done the long way.
    if (last === '' || last === '.' || last === '..') return canonicalPath(path);
    const directory = path.slice(0, cut);
    if (directory !== this.directory) {
      this.directory = directory;
      this.canonicalDirectory = canonicalPath(directory);
    }
    return this.canonicalDirectory + escapeUri(last);
  }
}

function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** A header's value as it is signed: line breaks and runs of blanks made one space, trimmed. */
function canonicalValue(value: string): string {
  return /[\r\n\t ]/.test(value) ? value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '') : value;
}
