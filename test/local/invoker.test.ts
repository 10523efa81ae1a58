/** Running a bundle as Lambda would: its own environment, a context, JSON results, errors, crashes and timeouts. */
import { join } from 'node:path';
import { HandlerError, LambdaFunction } from '../../local/lambda/invoker';

const BUNDLE = join(__dirname, 'fixtures', 'env-echo-handler.js');

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

  it('fails every invocation with the load error of a bundle that cannot load', async () => {
    const fn = create({ bundlePath: join(__dirname, 'fixtures', 'no-such-bundle.js') });
    await expect(fn.invoke({})).rejects.toMatchObject({ errorMessage: expect.stringContaining('Cannot find module') });
  });
});
