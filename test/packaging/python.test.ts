/**
 * The wheel jsii-pacmak builds, installed with aws-cdk-lib from PyPI into a fresh venv, must
 * synthesize a working stack without esbuild, Docker or network access at synth time.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtArtifact, readTemplate, resourcesOfType, ROOT, run } from './support';
import { CLIENT_ACTIONS } from '../../lib/private/protocol';

const peer = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies['aws-cdk-lib'];

describe('Python package', () => {
  const work = mkdtempSync(join(tmpdir(), 'rtn-python-'));
  const venv = join(work, 'venv');
  const python = join(venv, 'bin', 'python');
  const outdir = join(work, 'cdk.out');
  let template: any;

  beforeAll(() => {
    const wheel = builtArtifact('python', '.whl');
    run('python3', ['-m', 'venv', venv]);
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', wheel, `aws-cdk-lib==${peer}`]);
    run(python, [join(__dirname, 'python-app', 'app.py'), outdir], { cwd: work });
    template = readTemplate(outdir, 'PythonNotifications');
  });

  test('the construct synthesizes a WebSocket API with its routes', () => {
    const [api] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties).toMatchObject({ ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    const routeKeys = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
    // Every action of the protocol, and the three routes of its own every WebSocket API has.
    expect(routeKeys).toEqual(['$connect', '$default', '$disconnect', ...CLIENT_ACTIONS].sort());
  });

  test('Python props reach the handlers', () => {
    const envs = resourcesOfType(template, 'AWS::Lambda::Function').map((f) => f.Properties.Environment?.Variables ?? {});
    expect(envs.some((v) => v.TOPIC_RULES === JSON.stringify(['orders/*', 'rooms/*', 'users/{userId}/**']))).toBe(true);
    expect(envs.some((v) => v.PUBLISH_RULES === '["rooms/*"]' && v.HISTORY_RULES === '["rooms/*"]'
      && v.CLIENT_MESSAGES_MAX_SIZE_BYTES === String(8 * 1024) && v.HISTORY_RETENTION_SECONDS === String(6 * 3600))).toBe(true);
    expect(envs.some((v) => v.PRESENCE_RULES === '["rooms/*"]')).toBe(true);
    expect(envs.some((v) => v.ALLOW_BROADCAST === 'true')).toBe(true);
    expect(envs.some((v) => v.AUTH_MODE === 'jwt' && v.AUTH_ISSUER === 'https://issuer.example.com')).toBe(true);
  });

  test('aws-cdk-lib\'s own ThrottleSettings struct sets the stage throttling', () => {
    const [stage] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 20 });
  });

  test('the pre-built handler bundles ship inside the wheel and become assets', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'PythonNotifications.assets.json'), 'utf8'));
    const bundles = Object.values<any>(manifest.files)
      .map((file) => join(outdir, file.source.path, 'index.js'))
      .filter((path) => existsSync(path));
    expect(bundles.length).toBeGreaterThanOrEqual(5);
    for (const bundle of bundles) {
      expect(readFileSync(bundle, 'utf8')).toMatch(/handler/);
    }
  });
});
