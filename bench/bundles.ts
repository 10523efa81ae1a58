/**
 * Benchmark 3: each Lambda bundle's size and cold-init time, against the same bundle built
 * unminified. Cold init is the time a fresh Node.js process takes to require the bundle, which
 * is the module-loading part of a Lambda cold start; the median of several fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HANDLER_NAMES, HandlerName } from '../lib/private/runtime-contract';
import { runProbe } from './lib/child';
import { SectionResult, TargetCheck } from './lib/report';
import { benchSettings, lambdaProcessEnv } from './lib/settings';
import { median, ratio, round } from './lib/stats';

const ROOT = join(__dirname, '..');
const COLD_INIT_TARGET_MS = 60;

export interface BundleFigures {
  readonly handler: HandlerName;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly baselineBytes: number;
  readonly baselineGzipBytes: number;
  readonly initMsSamples: number[];
  readonly baselineInitMsSamples: number[];
  readonly initMs: number;
  readonly baselineInitMs: number;
}

export async function benchBundles(options: { runs: number }): Promise<SectionResult> {
  const assets = join(ROOT, 'assets');
  const handlers = HANDLER_NAMES.filter((h) => existsSync(join(assets, h, 'index.js')));
  const baselineDir = mkdtempSync(join(tmpdir(), 'bench-unminified-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], {
      env: { ...process.env, BUNDLE_MINIFY: 'false', BUNDLE_OUTDIR: baselineDir },
      stdio: 'pipe',
    });
    const figures: BundleFigures[] = [];
    for (const handler of handlers) {
      figures.push(await measureHandler(handler, join(assets, handler, 'index.js'), join(baselineDir, handler, 'index.js'), options.runs));
    }
    return section(figures, HANDLER_NAMES.filter((h) => !handlers.includes(h)), options.runs);
  } finally {
    rmSync(baselineDir, { recursive: true, force: true });
  }
}

async function measureHandler(handler: HandlerName, bundle: string, baseline: string, runs: number): Promise<BundleFigures> {
  // The probe never reaches a network: init must not, and the endpoints point nowhere.
  const env = lambdaProcessEnv(handler, benchSettings(), { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' });
  const probe = join(__dirname, 'probes', 'cold-init.cjs');
  const initMsSamples: number[] = [];
  const baselineInitMsSamples: number[] = [];
  // One unmeasured load each, so the file system cache is warm for both alike.
  await runProbe(probe, [bundle], { env });
  await runProbe(probe, [baseline], { env });
  for (let i = 0; i < runs; i++) {
    // Interleaved, so background load on the machine falls on both alike.
    initMsSamples.push((await runProbe<{ initMs: number }>(probe, [bundle], { env })).initMs);
    baselineInitMsSamples.push((await runProbe<{ initMs: number }>(probe, [baseline], { env })).initMs);
  }
  const bytes = statSync(bundle).size;
  const baselineBytes = statSync(baseline).size;
  return {
    handler,
    bytes,
    gzipBytes: gzipSync(readFileSync(bundle)).length,
    baselineBytes,
    baselineGzipBytes: gzipSync(readFileSync(baseline)).length,
    initMsSamples,
    baselineInitMsSamples,
    initMs: round(median(initMsSamples), 1),
    baselineInitMs: round(median(baselineInitMsSamples), 1),
  };
}

function section(figures: BundleFigures[], missing: readonly string[], runs: number): SectionResult {
  const kb = (b: number) => round(b / 1024, 1);
  const targets: TargetCheck[] = figures.map((f) => ({
    name: `Cold init, ${f.handler}`,
    target: `≤ ${COLD_INIT_TARGET_MS} ms`,
    measured: `${f.initMs} ms`,
    met: f.initMs <= COLD_INIT_TARGET_MS,
    ...(f.initMs > COLD_INIT_TARGET_MS
      ? { note: `over by ${round(f.initMs - COLD_INIT_TARGET_MS, 1)} ms (${ratio(f.initMs, COLD_INIT_TARGET_MS)}× the goal); the unminified bundle takes ${f.baselineInitMs} ms.` }
      : {}),
  }));
  return {
    id: 'bundles',
    title: '3. Lambda bundles: size and cold init',
    method: `Each handler bundle in assets/ (esbuild, minified, as shipped) against the same entry point bundled `
      + `unminified (\`BUNDLE_MINIFY=false node scripts/bundle.mjs\`) in the same run. Cold init is the time a fresh `
      + `\`node\` process takes to \`require\` the bundle with the environment the construct gives that handler: the `
      + `median of ${runs} fresh processes each, minified and unminified interleaved.`,
    tables: [{
      headers: ['Handler', 'Size (KB)', 'gzip (KB)', 'Unminified (KB)', 'Size ratio', 'Cold init (ms)', 'Unminified init (ms)', 'Init ratio'],
      rows: figures.map((f) => [
        f.handler, kb(f.bytes), kb(f.gzipBytes), kb(f.baselineBytes), ratio(f.bytes, f.baselineBytes),
        f.initMs, f.baselineInitMs, ratio(f.initMs, f.baselineInitMs),
      ]),
    }],
    notes: [
      'Ratios are minified ÷ unminified: below 1 is the gain from minifying.',
      'gzip size approximates the deployment package (Lambda stores the zipped asset).',
      ...(missing.length > 0 ? [`No bundle yet for: ${missing.join(', ')}.`] : []),
    ],
    targets,
    data: figures,
  };
}
