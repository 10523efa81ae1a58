// `npm run synth`: synthesizes the sample app (cdk.json) with the project's own aws-cdk CLI, quietly,
// and prints where each stack's template went instead of the whole template. Arguments are passed
// on to `cdk synth` (e.g. `npm run synth -- -o out`).
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const cdk = join(root, 'node_modules', '.bin', 'cdk');
const synth = spawnSync(cdk, ['synth', '--quiet', ...args], { cwd: root, stdio: 'inherit' });
if (synth.error) {
  console.error(`Could not run ${cdk}: ${synth.error.message}. Run \`npm ci\` first.`);
  process.exit(1);
}
if (synth.status !== 0) process.exit(synth.status ?? 1);

const outIndex = args.findIndex((arg) => arg === '-o' || arg === '--output');
const outDir = resolve(root, outIndex >= 0 ? args[outIndex + 1] : (args.find((arg) => arg.startsWith('--output='))?.slice('--output='.length) ?? 'cdk.out'));
const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
  if (artifact.type !== 'aws:cloudformation:stack') continue;
  const templatePath = join(outDir, artifact.properties.templateFile);
  const template = JSON.parse(readFileSync(templatePath, 'utf8'));
  const resources = Object.keys(template.Resources ?? {}).length;
  const kb = Math.round(statSync(templatePath).size / 1024);
  const shown = relative(process.cwd(), templatePath);
  console.log(`${name}: ${shown.startsWith('..') ? templatePath : shown} (${resources} resources, ${kb} KB)`);
}
console.log('Deploy with `npx cdk deploy`; review the template with `npx cdk synth` (prints it as YAML).');
