/**
 * Benchmark 10: what the browser client weighs, beside pusher-js and centrifuge-js. The client in
 * client/ is bundled into one minified ES module with esbuild; the other two are fetched from the
 * npm registry (`npm pack`, never installed) and their main browser bundle measured as shipped
 * and re-minified by the same esbuild, so the minifier is not what differs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';
import { SectionResult } from './lib/report';
import { ratio, round } from './lib/stats';

/** min+gzip, in bytes. */
export const CLIENT_GZIP_TARGET_BYTES = 5.5 * 1024;

const CLIENT_ENTRY = join(__dirname, '..', 'client', 'src', 'index.ts');

/** Each library's main browser bundle, as its package ships it. */
const OTHERS = [
  { library: 'pusher-js', spec: 'pusher-js', file: 'dist/web/pusher.min.js', build: 'UMD, minified (the minified twin of the package\'s `browser` entry, dist/web/pusher.js)' },
  { library: 'centrifuge-js', spec: 'centrifuge', file: 'dist/centrifuge.js', build: 'browser bundle (IIFE), minified; JSON protocol (the protobuf one is dist/centrifuge.protobuf.js)' },
] as const;

interface Size {
  readonly bytes: number;
  readonly gzipBytes: number;
}

interface LibrarySize {
  readonly library: string;
  readonly version: string;
  readonly file: string;
  readonly build: string;
  /** As shipped (or, for this library, as esbuild bundles it). */
  readonly shipped?: Size;
  /** The same code minified by esbuild. */
  readonly esbuild?: Size;
  /** Why it was not measured. */
  readonly missing?: string;
}

const sizeOf = (code: Uint8Array | string): Size => ({ bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length });

export async function benchClientSize(): Promise<SectionResult> {
  const ours = await clientSize();
  const dir = mkdtempSync(join(tmpdir(), 'bench-client-size-'));
  try {
    return section(ours, await packedSizes(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The client as one minified ES module (esbuild --bundle --minify --format=esm), when its source is here. */
async function clientSize(): Promise<LibrarySize> {
  const base = { library: 'cdk-realtime-notifications client (this library)', file: 'client/src/index.ts', build: 'esbuild --bundle --minify --format=esm --target=es2020' };
  if (!existsSync(CLIENT_ENTRY)) return { ...base, version: 'n/a', missing: 'not built: client/src/index.ts is not in this checkout' };
  const version = String(JSON.parse(readFileSync(join(CLIENT_ENTRY, '..', '..', 'package.json'), 'utf8')).version ?? 'n/a');
  const out = await build({
    entryPoints: [CLIENT_ENTRY], bundle: true, format: 'esm', target: 'es2020', platform: 'browser', minify: true, write: false, logLevel: 'warning',
  });
  const size = sizeOf(out.outputFiles[0].contents);
  return { ...base, version, shipped: size, esbuild: size };
}

/** `npm pack` of the other libraries into `dir`, then each one's browser bundle. */
async function packedSizes(dir: string): Promise<LibrarySize[]> {
  let packed: Array<{ name: string; version: string; filename: string }>;
  try {
    const out = execFileSync('npm', ['pack', ...OTHERS.map((o) => o.spec), '--json', '--silent', '--pack-destination', dir], {
      cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000,
    });
    packed = JSON.parse(out);
  } catch (error) {
    const reason = `npm pack failed: ${(error as Error).message.split('\n')[0]}`;
    return OTHERS.map((o) => ({ library: o.library, version: 'n/a', file: o.file, build: o.build, missing: reason }));
  }
  const sizes: LibrarySize[] = [];
  for (const o of OTHERS) {
    const pack = packed.find((p) => p.name === o.spec);
    const base = { library: o.library, version: pack?.version ?? 'n/a', file: o.file, build: o.build };
    if (!pack) {
      sizes.push({ ...base, missing: `npm pack did not return ${o.spec}` });
      continue;
    }
    try {
      execFileSync('tar', ['-xzf', join(dir, pack.filename), '-C', dir, `package/${o.file}`], { stdio: 'pipe' });
    } catch {
      sizes.push({ ...base, missing: `${pack.filename} has no ${o.file}` });
      continue;
    }
    const code = readFileSync(join(dir, 'package', o.file), 'utf8');
    const reminified = await transform(code, { minify: true, target: 'es2020', logLevel: 'warning' });
    sizes.push({ ...base, shipped: sizeOf(code), esbuild: sizeOf(reminified.code) });
    rmSync(join(dir, 'package'), { recursive: true, force: true });
  }
  return sizes;
}

function section(ours: LibrarySize, others: LibrarySize[]): SectionResult {
  const kb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : round(bytes / 1024, 2));
  const gz = ours.shipped?.gzipBytes;
  const row = (l: LibrarySize) => [
    l.library, l.version, l.missing ? `${l.file} (${l.missing})` : l.file, l.build,
    kb(l.shipped?.bytes), kb(l.shipped?.gzipBytes), kb(l.esbuild?.bytes), kb(l.esbuild?.gzipBytes),
    gz !== undefined && l.shipped ? ratio(gz, l.shipped.gzipBytes, 3) : 'n/a',
  ];
  const measured = others.filter((o) => o.shipped);
  return {
    id: 'client',
    title: '10. Browser client: size',
    method: 'The client library (client/) bundled the way its package builds it, one ES module with no imports, minified by esbuild; beside the main browser bundle '
      + 'of pusher-js and centrifuge-js, fetched with `npm pack` (latest versions, not installed) and measured as shipped and re-minified by the same esbuild. '
      + 'gzip is Node.js\'s zlib at its default level, as for the Lambda bundles. 1 KB = 1,024 bytes.',
    tables: [{
      headers: ['Library', 'Version', 'File', 'Build', 'Minified (KB)', 'min+gzip (KB)', 'esbuild re-minified (KB)', 'esbuild min+gzip (KB)', 'This client\'s min+gzip ÷ this'],
      rows: [row(ours), ...others.map(row)],
    }],
    notes: [
      'What each bundle contains differs: pusher-js carries transport fallbacks (XHR streaming and polling, SockJS loaded on demand), centrifuge-js several transports '
        + '(WebSocket, HTTP streaming, SSE, WebTransport) and fossil delta decoding; '
        + 'this client carries reconnection with backoff, resubscription from stored positions, duplicate dropping, keep-alive and connection replacement before API Gateway\'s 2-hour limit.',
      ...others.filter((o) => o.missing).map((o) => `${o.library}: not measured (${o.missing}).`),
    ],
    targets: [{
      name: 'Browser client, minified + gzip',
      target: `≤ ${CLIENT_GZIP_TARGET_BYTES / 1024} KB`,
      measured: gz === undefined ? ours.missing ?? 'not built' : `${kb(gz)} KB (${gz.toLocaleString('en-US')} bytes)`,
      met: gz === undefined ? null : gz <= CLIENT_GZIP_TARGET_BYTES,
      ...(gz !== undefined && gz > CLIENT_GZIP_TARGET_BYTES ? { note: `over by ${(gz - CLIENT_GZIP_TARGET_BYTES).toLocaleString('en-US')} bytes.` } : {}),
    }],
    headlines: [{
      figure: 'Browser client, minified + gzip',
      measured: gz === undefined ? 'not built' : `${kb(gz)} KB`,
      baseline: measured.length > 0 ? measured.map((o) => `${o.library} ${o.version}: ${kb(o.shipped!.gzipBytes)} KB`).join('; ') : 'not measured',
      ratio: gz === undefined || measured.length === 0 ? 'n/a' : measured.map((o) => `${ratio(gz, o.shipped!.gzipBytes, 3)} (${o.library})`).join(', '),
    }],
    data: { client: ours, others },
  };
}
