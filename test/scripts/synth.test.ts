/** `npm run synth` (scripts/synth.mjs after the bundle step): a short summary that says where the template went. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('prints one line per stack with the path of its template, not the template', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rtn-synth-'));
  try {
    const output = execFileSync(process.execPath, [join(ROOT, 'scripts', 'synth.mjs'), '-o', outDir], { cwd: ROOT, encoding: 'utf8' });
    const lines = output.trim().split('\n');
    const templatePath = join(outDir, 'RealtimeNotificationsSample.template.json');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^RealtimeNotificationsSample: ${templatePath.replace(/[.]/g, '\\.')} \\(\\d+ resources, \\d+ KB\\)$`)),
      expect.stringContaining('npx cdk deploy'),
    ]);
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).map((r) => r.Type)).toContain('AWS::ApiGatewayV2::Api');
    expect(lines[0]).toContain(`(${Object.keys(template.Resources).length} resources,`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('fails with cdk synth\'s status, and prints no summary, when synthesis fails', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rtn-synth-'));
  let failure: { status: number; stdout: string; stderr: string } | undefined;
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'synth.mjs'), 'NoSuchStack', '-o', outDir], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    failure = error as { status: number; stdout: string; stderr: string };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  expect(failure).toBeDefined();
  expect(failure!.status).not.toBe(0);
  expect(failure!.stderr).toContain('NoSuchStack');
  expect(failure!.stdout).not.toContain('template.json');
});
