/**
 * Runs before every test file (jest.config.js `setupFiles`) and keeps two kinds of noise out of
 * the test output:
 * - the AWS SDK's notice that Node 20 is no longer supported (Lambda runs Node 22; CI uses
 *   .nvmrc's 22); the handlers and local runtime started by the tests inherit the setting;
 * - the CloudWatch EMF lines the handlers print for their metrics (Powertools writes them to
 *   stdout, past Jest's console capture). Tests that check metrics read them first
 *   (test/lambda/fanout/harness.ts `recordMetrics` wraps this).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const write = process.stdout.write.bind(process.stdout);
const EMF_LINE = /^\{"_aws":\{"Timestamp":/;
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
  if (text !== undefined && text.split('\n').every((line) => line === '' || EMF_LINE.test(line))) {
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }
  return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;
