/**
 * The README's construct examples compile against the construct as it is, pasted as they are:
 * a renamed or regrouped prop fails here, not in a newcomer's editor. The examples share the
 * first one's imports and declarations (later ones say "as above"); each runs in its own block.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
const PACKAGE = 'cdk-realtime-notifications';

/** The README's TypeScript blocks that build the construct. */
function constructExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1])
    .filter((block) => block.includes('new RealtimeNotifications('));
}

/** One module: every import and declaration hoisted, each example's statements in a block. */
function asModule(examples: string[]): string {
  const hoisted = new Set<string>();
  const bodies = examples.map((example) => {
    const body: string[] = [];
    for (const line of example.split('\n')) {
      if (/^(import|declare) /.test(line)) hoisted.add(line.replace(`from '${PACKAGE}'`, `from '${join(ROOT, 'lib', 'index')}'`));
      else body.push(line);
    }
    return `{\n${body.join('\n')}\n}`;
  });
  return [...hoisted, ...bodies].join('\n');
}

function compileErrors(source: string): string[] {
  const file = join(ROOT, 'readme-examples.ts');
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) => (name === file
    ? ts.createSourceFile(name, source, version) : getSourceFile.call(host, name, version, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('the README has construct examples to check', () => {
  expect(constructExamples().length).toBeGreaterThanOrEqual(3);
});

test('the README\'s construct examples compile against the 1.0 props', () => {
  expect(compileErrors(asModule(constructExamples()))).toEqual([]);
}, 120_000);

test('a prop the construct does not have fails the check', () => {
  const stale = asModule(constructExamples()).replace('topicRules:', 'fanoutShardSize: 500, topicRules:');
  expect(compileErrors(stale).join('\n')).toMatch(/fanoutShardSize/);
}, 120_000);
