/**
 * The Maven artifact jsii-pacmak builds must be usable from a Java CDK app: a small Maven project
 * depends on it (from the local repository pacmak writes to dist/java) and synthesizes a stack.
 */
import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtArtifact, DIST, readTemplate, resourcesOfType, run } from './support';

describe('Java package', () => {
  const work = mkdtempSync(join(tmpdir(), 'rtn-java-'));
  const outdir = join(work, 'cdk.out');
  let template: any;

  beforeAll(() => {
    builtArtifact(join('java', 'io', 'github', 'cdkrealtime', 'cdk-realtime-notifications', version()), `-${version()}.jar`);
    // Maven never fetches a release version again once its local repository holds it, so an
    // earlier build of this same version would be used instead of the one just built.
    rmSync(join(homedir(), '.m2', 'repository', 'io', 'github', 'cdkrealtime', 'cdk-realtime-notifications', version()),
      { recursive: true, force: true });
    cpSync(join(__dirname, 'java-app'), work, { recursive: true });
    run('mvn', ['--batch-mode', '--quiet', `-Dlocal.repo=${join(DIST, 'java')}`, `-Dnotifications.version=${version()}`,
      'compile', 'exec:java', `-Dexec.args=${outdir}`], { cwd: work });
    template = readTemplate(outdir, 'JavaNotifications');
  });

  test('the construct synthesizes from Java', () => {
    expect(resourcesOfType(template, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(resourcesOfType(template, 'AWS::DynamoDB::GlobalTable').length
      + resourcesOfType(template, 'AWS::DynamoDB::Table').length).toBe(4);
    const envs = resourcesOfType(template, 'AWS::Lambda::Function').map((f) => f.Properties.Environment?.Variables ?? {});
    expect(envs.some((v) => v.CONNECTIONS_MAX_SUBSCRIPTIONS === '20')).toBe(true);
    expect(envs.some((v) => v.PUBLISH_RULES === '["rooms/*"]' && v.HISTORY_RULES === '["rooms/*"]' && v.HISTORY_MAX_REPLAY === '50')).toBe(true);
  });

  test('HandlerFunctionOptions sets every function, imported beside aws-cdk-lib\'s lambda FunctionOptions', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const fn of functions) expect([fn.Properties.MemorySize, fn.Properties.Architectures]).toEqual([1024, ['x86_64']]);
  });
});

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../package.json').version;
}
