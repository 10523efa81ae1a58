/** Runs a handler bundle from assets/ in a fresh process (bench/probes/invoke.cjs) with a plan of events. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandlerName } from '../../lib/private/runtime-contract';
import { runProbe } from './child';

/**
 * The bundles under measurement: a snapshot of assets/ that bench/run.ts takes at start
 * (BENCH_ASSETS_DIR), so a rebuild of assets/ during the run cannot change or remove them.
 */
export function assetsDir(): string {
  return process.env.BENCH_ASSETS_DIR ?? join(__dirname, '..', '..', 'assets');
}

export interface HandlerRun<R = unknown> {
  /** The bundle's require time in this process. */
  readonly initMs: number;
  readonly durationsMs: number[];
  /** CPU time (user + system) of each invocation, in this process. */
  readonly cpuMs: number[];
  readonly results: R[];
  /** The process idle after loading the bundle: the baseline for memory. */
  readonly idle: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly maxRssKB: number };
  readonly peak: { readonly maxRssKB: number; readonly heapUsedPeakBytes: number };
}

export function bundlePath(handler: HandlerName): string {
  return join(assetsDir(), handler, 'index.js');
}

export function hasBundle(handler: HandlerName): boolean {
  return existsSync(bundlePath(handler));
}

export async function runHandler<R = unknown>(
  handler: HandlerName,
  events: readonly unknown[],
  env: Record<string, string>,
  options: { omitResults?: boolean; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<HandlerRun<R>> {
  if (!hasBundle(handler)) throw new Error(`No bundle at ${bundlePath(handler)}; run \`npm run bundle\` first.`);
  const dir = mkdtempSync(join(tmpdir(), `bench-${handler}-`));
  try {
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ events, omitResults: options.omitResults ?? false }));
    return await runProbe<HandlerRun<R>>(join(__dirname, '..', 'probes', 'invoke.cjs'), [bundlePath(handler), plan], {
      env,
      timeoutMs: options.timeoutMs,
      nodeArgs: options.nodeArgs,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
