/**
 * Fetches JWKS documents: over https, as aws-jwt-verify does, and over plain http only from the
 * loopback interface, where the local runtime's development issuer serves its keys. A JWKS from
 * any other http URL is refused, since keys fetched in the clear could be swapped in transit.
 */
import { request } from 'node:http';
import { Fetcher, SimpleFetcher } from 'aws-jwt-verify/https';
import { isLoopbackHttpUrl } from '../runtime/loopback';

const RESPONSE_TIMEOUT_MS = 3_000;
const MAX_JWKS_BYTES = 1024 * 1024;

/** Refuses anything but https and loopback http before a request is made. */
export function assertFetchableJwksUri(uri: string): void {
  let protocol: string;
  try {
    protocol = new URL(uri).protocol;
  } catch {
    throw new Error(`JWKS URI "${uri}" is not a URL.`);
  }
  if (protocol !== 'https:' && !isLoopbackHttpUrl(uri)) {
    throw new Error(`JWKS URI "${uri}" must use https (plain http is only allowed for loopback hosts: localhost, 127.0.0.0/8 and [::1]).`);
  }
}

export class LoopbackHttpFetcher implements Fetcher {
  private readonly https = new SimpleFetcher({ defaultRequestOptions: { responseTimeout: RESPONSE_TIMEOUT_MS } });

  async fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    assertFetchableJwksUri(uri);
    if (!isLoopbackHttpUrl(uri)) return this.https.fetch(uri, requestOptions, data);
    return fetchLoopback(uri);
  }
}

function fetchLoopback(uri: string): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const req = request(uri, { method: 'GET', timeout: RESPONSE_TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`JWKS at ${uri} answered ${res.statusCode}, expected 200.`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_JWKS_BYTES) {
          req.destroy(new Error(`JWKS at ${uri} is larger than ${MAX_JWKS_BYTES} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`JWKS at ${uri} did not answer within ${RESPONSE_TIMEOUT_MS} ms.`)));
    req.on('error', reject);
    req.end();
  });
}
