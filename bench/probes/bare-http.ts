/**
 * The harness's own ceiling: the same posts as deliver makes, at the same concurrency, with a bare
 * keep-alive `http.request` (no SDK middleware, no retries), optionally SigV4-signed as API
 * Gateway requires. What this reaches is what the local @connections server and this machine
 * allow; the gap to deliver is the client's cost per post.
 *   env: BENCH_CALLBACK, BENCH_COUNT, BENCH_CONCURRENCY, BENCH_SIGN (1: sign every request)
 *   (connection ids as connectionIdOf makes them)
 */
import { createHash } from 'node:crypto';
import { Agent, OutgoingHttpHeaders, request } from 'node:http';
import { createRequestSigner } from '../../lambda/fanout/request-signer';
import { LOCAL_AWS } from '../../local/dynamodb';
import { connectionIdOf } from '../lib/dynamo-fixture';

async function main(): Promise<void> {
  const endpoint = new URL(process.env.BENCH_CALLBACK!);
  const count = Number(process.env.BENCH_COUNT);
  const concurrency = Number(process.env.BENCH_CONCURRENCY);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const frame = Buffer.from(JSON.stringify({ type: 'notification', id: 'bare', topic: 'bench/bare', data: { orderId: 42, status: 'shipped' }, time: new Date().toISOString() }));
  const signer = process.env.BENCH_SIGN === '1'
    ? createRequestSigner(LOCAL_AWS)
    : undefined;
  const payloadHash = createHash('sha256').update(frame).digest('hex');
  const post = async (id: string) => {
    const path = `${endpoint.pathname}/@connections/${encodeURIComponent(id)}`;
    const headers = signer
      ? await signer.sign({ method: 'POST', host: endpoint.host, path, contentType: 'application/json', contentLength: frame.length, payloadHash })
      : { host: endpoint.host, 'content-type': 'application/json', 'content-length': String(frame.length) };
    return send(path, headers);
  };
  const send = (path: string, headers: OutgoingHttpHeaders | string[]) => new Promise<number>((resolve, reject) => {
    const req = request({ host: endpoint.hostname, port: endpoint.port, method: 'POST', agent, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(frame);
  });
  let next = 0;
  let ok = 0;
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      if ((await post(connectionIdOf(next++))) === 200) ok++;
    }
  }));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  process.stdout.write(`\n${JSON.stringify({ posted: ok, ms, cpuMs: (used.user + used.system) / 1000 })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
