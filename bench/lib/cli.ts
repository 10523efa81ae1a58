/** `npm run bench` options: its command line (and the BENCH_* variables it replaces), and its help. */
import { join } from 'node:path';

export const SECTION_IDS = ['fanout', 'capacity', 'bundles', 'memory', 'cost', 'latency', 'latency-model', 'resume', 'history-cost', 'client', 'inbox', 'cold', 'scale', 'hot-keys'] as const;

export const HELP = `Usage: npm run bench -- [options]

Measures the delivery path (about 8 minutes; --quick: a few) and writes a report for people
(BENCHMARKS.md, with SVG charts in charts/ beside it: bench/charts/ for the committed one) and
one for machines (results.json). Every figure is measured beside its baseline in the same run.

Options:
  --quick           smaller audiences and fewer repetitions (env BENCH_QUICK=1)
  --only a,b        run only these sections; the report then holds only them (env BENCH_ONLY=a,b)
                    ids: ${SECTION_IDS.join(', ')}
  --out DIR         where to write BENCHMARKS.md and results.json (default: .cache/bench/<date>/)
  --update          write the committed BENCHMARKS.md and bench/results.json instead; with
                    --only, only those sections change there
  -h, --help        print this help and exit
`;

export interface BenchOptions {
  readonly help: boolean;
  readonly quick: boolean;
  readonly only?: readonly string[];
  /** Where the two reports go. */
  readonly markdownPath: string;
  readonly jsonPath: string;
  /** Whether they are the committed ones. */
  readonly update: boolean;
}

/** Reads the command line and the BENCH_* variables; throws what is wrong, in words. */
export function benchOptions(argv: readonly string[], env: NodeJS.ProcessEnv, root: string, now = new Date()): BenchOptions {
  let help = false;
  let quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  let only = env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  let out: string | undefined;
  let update = false;
  const args = [...argv];
  const value = (name: string) => {
    const next = args.shift();
    if (next === undefined || next.startsWith('-')) throw new Error(`${name} needs a value (npm run bench -- --help)`);
    return next;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '-h' || name === '--help') help = true;
    else if (name === '--quick') quick = true;
    else if (name === '--update') update = true;
    else if (name === '--only') only = (inline ?? value('--only')).split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--out') out = inline ?? value('--out');
    else throw new Error(`unknown option ${arg} (npm run bench -- --help)`);
  }
  const unknown = only?.filter((id) => !(SECTION_IDS as readonly string[]).includes(id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}: the ids are ${SECTION_IDS.join(', ')}`);
  if (update && out) throw new Error('--update writes the committed reports; leave out --out');
  const dir = update ? undefined : out ?? join(root, '.cache', 'bench', now.toISOString().replace(/[:.]/g, '-'));
  return {
    help, quick, update,
    ...(only ? { only } : {}),
    markdownPath: dir ? join(dir, 'BENCHMARKS.md') : join(root, 'BENCHMARKS.md'),
    jsonPath: dir ? join(dir, 'results.json') : join(root, 'bench', 'results.json'),
  };
}
