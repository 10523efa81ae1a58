/**
 * A local S3 for the payload bucket: moto's S3 server (PyPI `moto[server]`), installed once into
 * a venv under node_modules/.cache and run on a free port. Real S3 semantics over HTTP (SigV4,
 * presigned URLs, bucket CORS) for `npm start` and the end-to-end tests, without an AWS account.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { freePort } from './dynamodb-local';
import { LOCAL_AWS } from './dynamodb';
import { pythonEnv } from './python-venv';
import { LOCAL_REGION } from './settings';

/** moto 5.x: its server mode serves S3 (and more) on one port. */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

export interface LocalS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  /** @default a free port */
  readonly port?: number;
  /** How long to wait for it to answer. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** Installs moto into its venv unless there (about 40 s the first time), then starts its server. */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const venv = pythonEnv('moto-server', [MOTO_REQUIREMENT]);
  const port = options.port ?? await freePort();
  const server = spawn(join(venv, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.once('error', (error) => { output += `\n${error.message}`; resolve(); });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => { gone = true; });
  for (;;) {
    if (gone) throw new Error(`moto's S3 server exited before answering:\n${output.slice(-2000)}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`moto's S3 server did not answer on ${endpoint}:\n${output.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Creates the payload bucket as the construct does, as far as clients can tell: with CORS that
 * lets any page GET an object it holds a presigned URL of.
 */
export async function createPayloadBucket(endpoint: string, bucket: string): Promise<void> {
  const send = signedSender(endpoint);
  const created = await send('PUT', `/${bucket}`, '');
  if (!created.ok && created.status !== 409) throw new Error(`CreateBucket ${bucket} failed with HTTP ${created.status}: ${await created.text()}`);
  const cors = '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>'
    + '<AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>';
  const configured = await send('PUT', `/${bucket}`, cors, { cors: '' });
  if (!configured.ok) throw new Error(`PutBucketCors ${bucket} failed with HTTP ${configured.status}: ${await configured.text()}`);
}

/** Path-style S3 requests signed with the local credentials. */
function signedSender(endpoint: string) {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: 's3', region: LOCAL_REGION, credentials: LOCAL_AWS.credentials, sha256: Sha256, uriEscapePath: false });
  return async (method: string, path: string, body: string, query: Record<string, string> = {}): Promise<Response> => {
    const hash = new Sha256();
    hash.update(Buffer.from(body));
    const contentSha256 = Buffer.from(await hash.digest()).toString('hex');
    const signed = await signer.sign({
      method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, query,
      headers: { 'host': url.host, 'x-amz-content-sha256': contentSha256 }, body,
    });
    const search = Object.keys(query).length > 0 ? `?${Object.keys(query).map((k) => (query[k] === '' ? k : `${k}=${encodeURIComponent(query[k])}`)).join('&')}` : '';
    const { host: _host, ...headers } = signed.headers;
    return fetch(`${endpoint}${path}${search}`, { method, headers, body: body === '' ? undefined : body });
  };
}
