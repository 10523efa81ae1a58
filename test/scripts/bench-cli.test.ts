/**
 * `npm run bench` options: help, and the scratch folder unless --update asks for the committed
 * BENCHMARKS.md (a run to try something never overwrites it). `--help` exits before measuring.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { benchOptions, HELP, SECTION_IDS } from '../../bench/lib/cli';

const ROOT = join(__dirname, '..', '..');
const NOW = new Date('2026-01-02T03:04:05.678Z');

test('writes into .cache/bench/<date>/ by default, and the committed reports only with --update', () => {
  expect(benchOptions([], {}, ROOT, NOW)).toEqual({
    help: false, quick: false, update: false,
    markdownPath: join(ROOT, '.cache', 'bench', '2026-01-02T03-04-05-678Z', 'BENCHMARKS.md'),
    jsonPath: join(ROOT, '.cache', 'bench', '2026-01-02T03-04-05-678Z', 'results.json'),
  });
  expect(benchOptions(['--update'], {}, ROOT, NOW)).toMatchObject({
    update: true, markdownPath: join(ROOT, 'BENCHMARKS.md'), jsonPath: join(ROOT, 'bench', 'results.json'),
  });
  expect(benchOptions(['--out', '/tmp/b'], {}, ROOT, NOW)).toMatchObject({ markdownPath: '/tmp/b/BENCHMARKS.md', jsonPath: '/tmp/b/results.json' });
});

test('reads --quick and --only, and the BENCH_QUICK and BENCH_ONLY variables', () => {
  expect(benchOptions(['--quick', '--only', 'fanout,cost'], {}, ROOT)).toMatchObject({ quick: true, only: ['fanout', 'cost'] });
  expect(benchOptions(['--only=client'], {}, ROOT)).toMatchObject({ only: ['client'] });
  expect(benchOptions([], { BENCH_QUICK: '1', BENCH_ONLY: 'latency' }, ROOT)).toMatchObject({ quick: true, only: ['latency'] });
});

test('refuses what it does not know, saying what to do', () => {
  expect(() => benchOptions(['--fast'], {}, ROOT)).toThrow('unknown option --fast (npm run bench -- --help)');
  expect(() => benchOptions(['--only', 'fanot'], {}, ROOT)).toThrow(/unknown section fanot: the ids are fanout/);
  expect(() => benchOptions(['--update', '--out', 'x'], {}, ROOT)).toThrow(/leave out --out/);
});

test('the help names every section and option', () => {
  for (const id of SECTION_IDS) expect(HELP).toContain(id);
  for (const option of ['--quick', '--only', '--out', '--update', '--help']) expect(HELP).toContain(option);
});

test('npm run bench -- --help prints the help and measures nothing', () => {
  const out = execFileSync('npm', ['run', '--silent', 'bench', '--', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(out).toBe(HELP);
});
