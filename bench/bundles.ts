/**
 * Benchmark 3: each Lambda bundle's size and cold-init time, against the same bundle built
 * unminified. Cold init is the time a fresh Node.js process takes to require the bundle, which
 * is the module-loading part of a Lambda cold start; the median of several fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HANDLER_NAMES, HandlerName } from '../lib/private/runtime-contract';
import { runProbe } from './lib/child';
import { assetsDir } from './lib/handler-run';
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
  readonly fastestInitMs: number;
}

/** The part of a cold init that is the AWS SDK's DynamoDB clients alone, bundled the same way. */
interface SdkFloor {
  readonly bytes: number;
  readonly initMs: number;
}

/** Just the clients the DynamoDB handlers create at init: what no handler code can make faster. */
const SDK_FLOOR_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
`;

export async function benchBundles(options: { runs: number }): Promise<SectionResult> {
  const assets = assetsDir();
  const handlers = HANDLER_NAMES.filter((h) => existsSync(join(assets, h, 'index.js')));
  const baselineDir = mkdtempSync(join(tmpdir(), 'bench-unminified-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], {
      env: { ...process.env, BUNDLE_MINIFY: 'false', BUNDLE_OUTDIR: baselineDir },
      stdio: 'pipe',
    });
    const floorBundle = await buildSdkFloor(baselineDir);
    // Every bundle is loaded once per round, all interleaved, so that background load on a shared
    // machine falls on each alike; one unmeasured round first warms the file system cache.
    const bundles = [
      ...handlers.flatMap((h) => [{ key: `${h}`, path: join(assets, h, 'index.js'), handler: h }, { key: `${h}:unminified`, path: join(baselineDir, h, 'index.js'), handler: h }]),
      { key: 'floor', path: floorBundle, handler: undefined },
    ];
    const samples = new Map<string, number[]>(bundles.map((b) => [b.key, []]));
    for (let round = 0; round <= options.runs; round++) {
      for (const b of bundles) {
        const { initMs } = await runProbe<{ initMs: number }>(PROBE, [b.path], { env: probeEnv(b.handler) });
        if (round > 0) samples.get(b.key)!.push(initMs);
      }
    }
    const figures: BundleFigures[] = handlers.map((handler) => figuresOf(handler, join(assets, handler, 'index.js'), join(baselineDir, handler, 'index.js'),
      samples.get(handler)!, samples.get(`${handler}:unminified`)!));
    const floor: SdkFloor = { bytes: statSync(floorBundle).size, initMs: round(median(samples.get('floor')!), 1) };
    return section(figures, floor, HANDLER_NAMES.filter((h) => !handlers.includes(h)), options.runs);
  } finally {
    rmSync(baselineDir, { recursive: true, force: true });
  }
}

const PROBE = join(__dirname, 'probes', 'cold-init.cjs');

/** The environment the construct gives the handler; the probe never reaches a network (init must not). */
function probeEnv(handler: HandlerName | undefined): Record<string, string> {
  if (!handler) return { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
  return lambdaProcessEnv(handler, benchSettings(), { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' });
}

async function buildSdkFloor(dir: string): Promise<string> {
  const entry = join(dir, 'sdk-floor.ts');
  const outfile = join(dir, 'sdk-floor', 'index.js');
  writeFileSync(entry, SDK_FLOOR_SOURCE);
  // The same options as scripts/bundle.mjs (ES module builds of the SDK, so unused code is dropped).
  await build({
    entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true,
    mainFields: ['module', 'main'], legalComments: 'none', logLevel: 'warning', nodePaths: [join(ROOT, 'node_modules')],
  });
  return outfile;
}

function sdkShare(figures: BundleFigures[], floor: SdkFloor): string {
  const withSdk = figures.filter((f) => f.handler !== 'authorizer');
  if (withSdk.length === 0) return 'most';
  const shares = withSdk.map((f) => Math.round((100 * floor.initMs) / f.initMs));
  return `${Math.min(...shares)}–${Math.max(...shares)}%`;
}

function figuresOf(handler: HandlerName, bundle: string, baseline: string, initMsSamples: number[], baselineInitMsSamples: number[]): BundleFigures {
  return {
    handler,
    bytes: statSync(bundle).size,
    gzipBytes: gzipSync(readFileSync(bundle)).length,
    baselineBytes: statSync(baseline).size,
    baselineGzipBytes: gzipSync(readFileSync(baseline)).length,
    initMsSamples,
    baselineInitMsSamples,
    initMs: round(median(initMsSamples), 1),
    baselineInitMs: round(median(baselineInitMsSamples), 1),
    fastestInitMs: round(Math.min(...initMsSamples), 1),
  };
}

function section(figures: BundleFigures[], floor: SdkFloor, missing: readonly string[], runs: number): SectionResult {
  const kb = (b: number) => round(b / 1024, 1);
  const targets: TargetCheck[] = figures.map((f) => ({
    name: `Cold init, ${f.handler}`,
    target: `≤ ${COLD_INIT_TARGET_MS} ms`,
    measured: `${f.initMs} ms`,
    met: f.initMs <= COLD_INIT_TARGET_MS,
    ...(f.initMs > COLD_INIT_TARGET_MS
      ? { note: `over by ${round(f.initMs - COLD_INIT_TARGET_MS, 1)} ms (${ratio(f.initMs, COLD_INIT_TARGET_MS)}× the goal); the unminified bundle takes ${f.baselineInitMs} ms`
        + `${f.handler !== 'authorizer' ? `, and the AWS SDK's DynamoDB clients alone ${floor.initMs} ms` : ''}.` }
      : {}),
  }));
  return {
    id: 'bundles',
    title: '3. Lambda bundles: size and cold init',
    method: `Each handler bundle in assets/ (esbuild, minified, as shipped) against the same entry point bundled `
      + `unminified (\`BUNDLE_MINIFY=false node scripts/bundle.mjs\`) in the same run. Cold init is the time a fresh `
      + `\`node\` process takes to \`require\` the bundle with the environment the construct gives that handler: the `
      + `median of ${runs} fresh processes each, all bundles interleaved round by round.`,
    tables: [{
      headers: ['Handler', 'Size (KB)', 'gzip (KB)', 'Unminified (KB)', 'Size ratio', 'Cold init (ms, median)', 'fastest', 'Unminified init (ms)', 'Init ratio'],
      rows: [
        ...figures.map((f) => [
          f.handler, kb(f.bytes), kb(f.gzipBytes), kb(f.baselineBytes), ratio(f.bytes, f.baselineBytes),
          f.initMs, f.fastestInitMs, f.baselineInitMs, ratio(f.initMs, f.baselineInitMs),
        ]),
        ['AWS SDK DynamoDB clients alone (floor)', kb(floor.bytes), 'n/a', 'n/a', 'n/a', floor.initMs, 'n/a', 'n/a', 'n/a'],
      ],
    }],
    notes: [
      'Ratios are minified ÷ unminified: below 1 is the gain from minifying.',
      'gzip size approximates the deployment package (Lambda stores the zipped asset).',
      `The floor row bundles nothing but \`new DynamoDBClient()\` and \`DynamoDBDocumentClient.from()\` with the same esbuild options `
        + `(${kb(floor.bytes)} KB minified): loading the AWS SDK v3 DynamoDB client takes ${floor.initMs} ms on this machine, `
        + `${sdkShare(figures, floor)} of the DynamoDB handlers' cold init; the authorizer, which has no SDK client, shows what the rest costs.`,
      'Node.js 20 here prints the SDK\'s end-of-support warning during load; Lambda\'s Node.js 22 does not. Loads are noisy on a shared 2-core machine: compare the fastest column too.',
      ...(missing.length > 0 ? [`No bundle yet for: ${missing.join(', ')}.`] : []),
    ],
    targets,
    headlines: figures.map((f) => ({
      figure: `Cold init, ${f.handler} (${kb(f.bytes)} KB)`,
      measured: `${f.initMs} ms`,
      baseline: `unminified: ${f.baselineInitMs} ms`,
      ratio: ratio(f.initMs, f.baselineInitMs),
    })),
    data: { handlers: figures, sdkFloor: floor },
  };
}
