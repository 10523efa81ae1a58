/** Running a bundle as Lambda would: its own environment, a context, JSON results, errors, crashes and timeouts. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandlerError, LambdaFunction } from '../../local/lambda/invoker';

const BUNDLE = join(__dirname, 'fixtures', 'env-echo-handler.js');
const LATE_WRITER = join(__dirname, 'fixtures', 'late-writer-handler.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LambdaFunction', () => {
  const functions: LambdaFunction[] = [];
  const create = (overrides: Partial<ConstructorParameters<typeof LambdaFunction>[0]> = {}) => {
    const fn = new LambdaFunction({
      functionName: 'svc-echo',
      bundlePath: BUNDLE,
      environment: { TABLE: 'connections' },
      runtimeEnvironment: { AWS_REGION: 'us-east-1' },
      region: 'us-east-1',
      ...overrides,
    });
    functions.push(fn);
    return fn;
  };
  afterEach(async () => {
    await Promise.all(functions.splice(0).map((fn) => fn.stop()));
  });

  it('gives the handler exactly its own environment and a Lambda context, and returns its JSON', async () => {
    process.env.SECRET_OF_THE_TEST_PROCESS = 'do-not-leak';
    try {
      const result = await create().invoke<any>({});
      expect(result.env).toEqual({ TABLE: 'connections', AWS_REGION: 'us-east-1' });
      expect(result.context).toMatchObject({ functionName: 'svc-echo', awsRequestId: expect.any(String), memory: '256' });
      expect(result.context.remaining).toBeGreaterThan(0);
      // As Lambda serialises it: dates become strings, undefined fields disappear.
      expect(result.when).toBe('1970-01-01T00:00:00.000Z');
      expect(result).not.toHaveProperty('nothing');
    } finally {
      delete process.env.SECRET_OF_THE_TEST_PROCESS;
    }
  });

  it('keeps one execution environment warm between invocations', async () => {
    const fn = create();
    const first = await fn.invoke<any>({});
    const second = await fn.invoke<any>({});
    expect(second.loadedAt).toBe(first.loadedAt);
    expect(second.context.awsRequestId).not.toBe(first.context.awsRequestId);
  });

  it('reports a thrown error as a HandlerError with its type and message', async () => {
    await expect(create().invoke({ throw: 'bad input' })).rejects.toMatchObject({
      name: 'HandlerError', errorType: 'TypeError', errorMessage: 'bad input',
    });
  });

  it('fails the invocation when the environment crashes, and starts a fresh one for the next', async () => {
    const fn = create();
    const before = await fn.invoke<any>({});
    await expect(fn.invoke({ crash: true, sleepMs: 1000 })).rejects.toBeInstanceOf(HandlerError);
    const after = await fn.invoke<any>({});
    expect(after.loadedAt).not.toBe(before.loadedAt);
  });

  it('times out an invocation that runs past the function timeout', async () => {
    await expect(create({ timeoutMs: 100 }).invoke({ sleepMs: 1000 })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
  });

  it('stops the environment of a timed-out invocation running alone: what it left running never happens, the next one starts fresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoker-'));
    try {
      // Room for a cold start on a busy machine: the first invocation starts the environment.
      const timeoutMs = 1_000;
      const fn = create({ bundlePath: LATE_WRITER, timeoutMs });
      const before = await fn.invoke<any>({});
      const marker = join(dir, 'late-side-effect');
      await expect(fn.invoke({ marker, delayMs: 2 * timeoutMs })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
      // Long past the moment the timed-out handler would have written its file.
      await sleep(3 * timeoutMs);
      expect(existsSync(marker)).toBe(false);
      const after = await fn.invoke<any>({});
      expect(after.loadedAt).not.toBe(before.loadedAt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails only the invocation that timed out: the others in its environment finish, new ones go to a fresh one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoker-'));
    try {
      const timeoutMs = 1_000;
      const fn = create({ bundlePath: LATE_WRITER, timeoutMs });
      const marker = join(dir, 'late-side-effect');
      const slow = fn.invoke({ marker, delayMs: 4 * timeoutMs });
      // These two start in the slow one's environment and are still running when it times out.
      await sleep(timeoutMs / 2);
      const overlapping = [fn.invoke<any>({ delayMs: 0.7 * timeoutMs }), fn.invoke<any>({ delayMs: 0.8 * timeoutMs })];
      await expect(slow).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
      const next = await fn.invoke<any>({});

      const finished = await Promise.all(overlapping);
      expect(finished.map((r) => r.delayMs)).toEqual([0.7 * timeoutMs, 0.8 * timeoutMs]);
      expect(finished[0].loadedAt).toBe(finished[1].loadedAt);
      expect(next.loadedAt).not.toBe(finished[0].loadedAt);
      // Once they finished, the retired environment stopped: the slow one's side effect never happens.
      await sleep(4 * timeoutMs);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails every invocation with the load error of a bundle that cannot load', async () => {
    const fn = create({ bundlePath: join(__dirname, 'fixtures', 'no-such-bundle.js') });
    await expect(fn.invoke({})).rejects.toMatchObject({ errorMessage: expect.stringContaining('Cannot find module') });
  });
});
