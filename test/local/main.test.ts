/** `npm start` as a process: start-up output, clean stop on SIGTERM, and clear failures for bad configuration. */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { handlerBundles, Bundles } from '../e2e/support/bundles';
import { refusedStatus } from '../e2e/support/clients';
import { pythonEnv } from '../../local/python-venv';
import { MOTO_REQUIREMENT } from '../../local/s3';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Run {
  const child = spawn(TSX, [join(ROOT, 'local', 'main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitForOutput(run: Run, text: string): Promise<void> {
  for (let i = 0; i < 600 && !run.output().includes(text); i++) {
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!run.output().includes(text)) throw new Error(`"${text}" never appeared:\n${run.output()}`);
}

describe('npm start (local/main.ts)', () => {
  let bundles: Bundles;
  beforeAll(() => {
    bundles = handlerBundles();
    // npm start runs moto's S3 server: its venv is made once (about 40 s on a clean machine), not within a start.
    pythonEnv('moto-server', [MOTO_REQUIREMENT]);
  }, 600_000);
  afterAll(() => bundles.dispose());

  it('prints the URLs and publish examples, serves, and on SIGTERM closes connections and exits 0', async () => {
    const run = startMain({ PORT: '0', LOCAL_ASSETS_DIR: bundles.assetsDir });
    try {
      await waitForOutput(run, 'Ctrl-C closes every connection');
      const out = run.output();
      const url = /Demo page\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1];
      for (const text of ['WebSocket', `${url}/dev/token?userId=alice`, 'X-Amz-Target: AWSEvents.PutEvents', 'new EventBridgeClient({ endpoint:', 'never expires TTL items',
        "['realtime.v1', 'token.<JWT>']", 'DYNAMODB_LOCAL=true npm start', "(moto's S3 server): frames over 128 KB are sent as a presigned dataUrl"]) {
        expect(out).toContain(text);
      }
      expect((await fetch(`${url}/`)).status).toBe(200);

      const { token } = await (await fetch(`${url}/dev/token?userId=alice`)).json() as { token: string };
      const ws = new WebSocket(`${url.replace('http', 'ws')}/local?token=${token}`);
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

      run.child.kill('SIGTERM');
      expect(await closed).toBe(1001);
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('SIGTERM: closing 1 connection(s)');
    } finally {
      run.child.kill('SIGTERM'); // tsx passes it on; a SIGKILL would leave the runtime running
      await run.exited;
    }
  });

  it('prints why the authorizer refused a token', async () => {
    const run = startMain({ PORT: '0', LOCAL_ASSETS_DIR: bundles.assetsDir });
    try {
      await waitForOutput(run, 'Ctrl-C closes every connection');
      const url = /Demo page\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(run.output())![1];
      const { token } = await (await fetch(`${url}/dev/token?userId=alice`)).json() as { token: string };
      // alice's signature over a payload that names bob.
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ sub: 'bob' })).toString('base64url');
      expect(await refusedStatus(`${url.replace('http', 'ws')}/local?token=${header}.${payload}.${signature}`)).toBe(401);

      await waitForOutput(run, '$connect refused (401)');
      await waitForOutput(run, '"connection refused"');
      const line = run.output().split('\n').find((l) => l.includes('"connection refused"'))!;
      expect(line).toMatch(/^\[authorizer\] /);
      expect(JSON.parse(line.replace(/^\[authorizer\] /, ''))).toMatchObject({ level: 'WARN', reason: expect.stringMatching(/signature/i) });
    } finally {
      run.child.kill('SIGTERM'); // tsx passes it on; a SIGKILL would leave the runtime running
      await run.exited;
    }
  });

  it('fails fast with a clear message when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = startMain({ PORT: String(port), LOCAL_ASSETS_DIR: bundles.assetsDir });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails fast with a clear message when the DynamoDB endpoint does not answer', async () => {
    const run = startMain({ PORT: '0', LOCAL_ASSETS_DIR: bundles.assetsDir, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/DynamoDB at http:\/\/127\.0\.0\.1:9 did not answer/);
  });

  it.each([
    [{ PORT: '70000' }, 'PORT is "70000"; it must be a whole number from 0 to 65535'],
    [{ IDLE_TIMEOUT_SECONDS: '1.5', DYNAMODB_LOCAL: 'true' }, 'IDLE_TIMEOUT_SECONDS is "1.5"; it must be a whole number of seconds, 1 or more.'],
    [{ MAX_CONNECTION_SECONDS: '0' }, 'MAX_CONNECTION_SECONDS is "0"; it must be a whole number of seconds, 1 or more.'],
    [{ ALLOW_BROADCAST: 'yes' }, 'ALLOW_BROADCAST is "yes"; it must be "true" or "false"'],
    [{ DYNAMODB_LOCAL: '1' }, 'DYNAMODB_LOCAL is "1"; it must be "true" or "false"'],
  ])('refuses %j before starting anything, saying what to set', async (env, message) => {
    const run = startMain({ PORT: '0', LOCAL_ASSETS_DIR: bundles.assetsDir, ...env });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`The local runtime could not start: ${message}`);
    expect(run.output()).not.toContain('Starting DynamoDB Local');
  });

  it('says how to build the bundles when they are missing', async () => {
    const run = startMain({ PORT: '0', LOCAL_ASSETS_DIR: join(ROOT, '.cache', 'no-bundles-here') });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('npm run bundle');
  });
});
