/**
 * The client README's first example, pasted as it is, runs on Node against the local runtime: it
 * connects, sees `connecting` then `open`, subscribes, and gets a notification sent to its user.
 * (Node 22 has a global WebSocket; on an older Node the script borrows `ws`'s, nothing else.)
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient, publish, useLocalRuntime } from '../e2e/support/clients';

const ROOT = join(__dirname, '..', '..');
const CLIENT = join(ROOT, 'client');
const runtime = useLocalRuntime();
let work: string;
let events: EventBridgeClient;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'client-readme-'));
  execFileSync(process.execPath, [join(CLIENT, 'build.mjs'), join(work, 'dist')], { stdio: 'pipe' });
  const installed = join(work, 'node_modules', 'cdk-realtime-notifications-client');
  mkdirSync(installed, { recursive: true });
  cpSync(join(CLIENT, 'package.json'), join(installed, 'package.json'));
  symlinkSync(join(work, 'dist'), join(installed, 'dist'));
  events = eventBridgeClient(runtime());
});

afterAll(() => {
  events?.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** The README's first ```ts block. */
function firstExample(): string {
  const readme = readFileSync(join(CLIENT, 'README.md'), 'utf8');
  return /```ts\n([\s\S]*?)```/.exec(readme)![1];
}

test('the first example of client/README.md runs on Node as it is', async () => {
  const example = firstExample();
  expect(example).toMatch(/localStoragePositions/);
  const url = runtime().url;
  const script = [
    "import { createRequire } from 'node:module';",
    `globalThis.WebSocket ??= createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('ws').WebSocket;`,
    "const userId = 'readme-alice';",
    `const getToken = async () => (await (await fetch(${JSON.stringify(`${url}/dev/token?userId=`)} + userId)).json()).token;`,
    'const seen = [];',
    'const banner = { show: (state) => seen.push(state) };',
    'const render = () => undefined;',
    "let done; const got = new Promise((resolve) => (done = resolve));",
    'const inbox = { add: (n) => done(n) };',
    // The example's own lines, its URL replaced by the local runtime's.
    example.replace('wss://notifications.example.com', runtime().wsUrl),
    "console.log('READY');",
    'const n = await got;',
    'console.log(JSON.stringify({ states: seen, data: n.data }));',
    'client.close();',
  ].join('\n');
  writeFileSync(join(work, 'example.mjs'), script);

  const child = execFile(process.execPath, [join(work, 'example.mjs')], { cwd: work, timeout: 60_000 });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('READY')) resolve();
    });
    child.on('exit', () => reject(new Error(`the example exited early: ${out}${err}`)));
  });
  await publish(events, runtime(), { userId: 'readme-alice', data: { hello: 'from the backend' } });
  expect(await exited).toBe(0);
  expect(err).toBe('');
  const result = JSON.parse(out.split('\n').find((line) => line.startsWith('{'))!);
  expect(result).toEqual({ states: ['connecting', 'open'], data: { hello: 'from the backend' } });
});
