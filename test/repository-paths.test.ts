/**
 * Every path into lib/, lambda/, local/, docs/, bench/ or scripts/ that a comment or a document
 * names exists, so that a reader who follows one finds what it points at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/** Source and documents; not the bundles, the generated API reference or recorded results. */
const SCANNED = /\.(ts|mjs|cjs|js|md|html|css)$/;
const NOT_SCANNED = /^(assets\/|API\.md$|client\/dist\/)/;
/** A path named from the repository root: a folder and at least one more segment. */
const MENTION = /(?<![\w./@-])((?:lib|lambda|local|docs|bench|scripts)\/[\w./-]*\w)/g;
/** Built by `npm run compile`, not kept in the repository. */
const BUILT = /^lib\/.*\.(d\.ts|js)$/;
/** Topic names that read like paths. */
const TOPICS = new Set(['bench/warm-up', 'bench/bare']);

function exists(path: string): boolean {
  return [path, `${path}.ts`, `${path}.md`, `${path}/index.ts`, path.replace(/\.js$/, '.ts')]
    .some((candidate) => existsSync(join(ROOT, candidate)));
}

test('every repository path named in comments and documents exists', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n')
    .filter((file) => SCANNED.test(file) && !NOT_SCANNED.test(file) && existsSync(join(ROOT, file)));
  const missing: string[] = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((line, index) => {
      for (const [, path] of line.matchAll(MENTION)) {
        if (BUILT.test(path) || TOPICS.has(path) || exists(path)) continue;
        missing.push(`${file}:${index + 1} names ${path}`);
      }
    });
  }
  expect(missing).toEqual([]);
});
