/**
 * cfn-lint (from PyPI, in a venv the test creates) on the synthesized sample template: no errors
 * and no warnings. Ignored rules, each with its reason, are in .cfnlintrc.yaml.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonTool } from '../support/python-venv';
import { SAMPLE_DOMAIN_CONTEXT, sampleApp } from './sample-app';

const CFN_LINT = 'cfn-lint==1.58.0';
const ROOT = join(__dirname, '..', '..');

test.each([
  ['', {}],
  [', on a custom domain', SAMPLE_DOMAIN_CONTEXT],
])('the sample template%s passes cfn-lint with no errors or warnings', (_, context) => {
  const cfnLint = pythonTool('cfn-lint-venv', CFN_LINT, 'cfn-lint');
  const outdir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  try {
    const { app, stack } = sampleApp({ outdir, context });
    const assembly = app.synth();
    const templateFile = join(outdir, assembly.getStackByName(stack.stackName).templateFile);
    const result = spawnSync(cfnLint, ['--config-file', join(ROOT, '.cfnlintrc.yaml'), '--', templateFile], {
      cwd: ROOT, encoding: 'utf8', timeout: 5 * 60 * 1000,
    });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}, 10 * 60 * 1000);
