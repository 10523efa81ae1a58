/**
 * The signals that bound an invocation's DynamoDB and SQS calls are shared by every call of the
 * invocation, many at once in a fan-out. The SDK adds an 'abort' listener to the signal per call
 * in flight and removes it when the call ends: more than Node's default of 10 at once must not
 * print MaxListenersExceededWarning, and none may be left behind. Real SDK calls against the
 * embedded DynamoDB, from a process of their own (fixtures/call-signals-probe.ts), where Node's
 * warnings can be heard.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';

/** Well past Node's default of 10 listeners per event. */
const CALLS_AT_ONCE = 50;
const NODE_DEFAULT_MAX_LISTENERS = 10;
const PROBE = join(__dirname, 'fixtures', 'call-signals-probe.ts');

interface ProbeResult {
  /** Per signal: the most 'abort' listeners seen while the calls ran, and how many were left. */
  readonly signals: Array<{ most: number; after: number }>;
  readonly warnings: number;
}

let db: TestDynamo;

beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db.stop();
});

/** Asynchronous: the engine answering the probe runs in this process. */
async function probe(signals: 'plain' | 'invocation'): Promise<ProbeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, signals], {
    env: { ...process.env, ...db.env, PROBE_TABLE: db.tables.connectionsTable, PROBE_CALLS: String(CALLS_AT_ONCE) },
  });
  return JSON.parse(stdout) as ProbeResult;
}

test('one signal for many calls at once carries more listeners than Node\'s default at once (the cause: Node 20 warns), and none after', async () => {
  const result = await probe('plain');
  expect(result.signals).toEqual([{ most: expect.any(Number), after: 0 }]);
  expect(result.signals[0].most).toBeGreaterThan(NODE_DEFAULT_MAX_LISTENERS);
});

test('an invocation\'s call signals take many calls at once without a warning, and keep no listener after', async () => {
  const result = await probe('invocation');
  expect(result.signals).toEqual([{ most: expect.any(Number), after: 0 }, { most: expect.any(Number), after: 0 }]);
  for (const signal of result.signals) expect(signal.most).toBeGreaterThan(NODE_DEFAULT_MAX_LISTENERS);
  expect(result.warnings).toBe(0);
});
