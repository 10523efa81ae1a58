/**
 * The charts of BENCHMARKS.md: what they plot, read from results.json (pure), and the SVG files
 * Vega draws from it in Node, with no browser (bench/charts.ts run as `npm run bench` runs it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartSpecs, ResultsJson, serviceOf, withCharts } from '../../bench/charts';

const ROOT = join(__dirname, '..', '..');
const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as ResultsJson & { sections: Record<string, any> };

const values = (spec: any): any[] => spec.data?.values ?? spec.layer[0].data.values;

test('fan-out: throughput per audience for deliver and the baselines, against one instance\'s physical limit', () => {
  const [fanout] = chartSpecs(results);
  expect(fanout.name).toBe('fanout');
  const data = results.sections.fanout!.data;
  const rows = values(fanout.spec);
  expect(rows.filter((r) => r.series === 'deliver, one instance').map((r) => r.perSecond)).toEqual(data.single.map((s: any) => s.deliveriesPerSecond));
  expect(rows).toHaveLength(data.single.length + data.sharded.length + data.baselines.length);
  expect((fanout.spec as any).layer[1].data.values).toEqual([{ limit: data.physicalLimitPerSecond }]);
});

test('latency: percentiles of publish-to-receive and chat against the floor', () => {
  const latency = chartSpecs(results).find((c) => c.name === 'latency')!;
  const rows = values(latency.spec);
  const floor = results.sections.latency!.data.floor;
  expect(rows.filter((r) => r.series.startsWith('floor')).map((r) => r.ms)).toEqual([floor.p50, floor.p95, floor.p99, floor.max]);
  expect(new Set(rows.map((r) => r.series)).size).toBe(3);
});

test('cost: per day by service, adding up to the cost model\'s total', () => {
  const cost = chartSpecs(results).find((c) => c.name === 'cost')!;
  const rows = values(cost.spec).filter((r) => r.scenario === 'notifications');
  const total = rows.reduce((sum, r) => sum + r.usd, 0);
  expect(total).toBeCloseTo(results.sections.cost!.data.totals.all, 1);
  expect(rows.map((r) => r.service).sort()).toEqual(['API Gateway', 'DynamoDB', 'EventBridge', 'Lambda', 'SQS']);
  expect(serviceOf('Keep-alive: ping and pong frames')).toBe('API Gateway');
  expect(serviceOf('Presence: Lambda message function')).toBe('Lambda');
});

test('a run with only some sections has only their charts', () => {
  expect(chartSpecs({ sections: { client: results.sections.client } })).toEqual([]);
  expect(withCharts('# B\n\n## Targets\n', [], 'charts')).toBe('# B\n\n## Targets\n');
  expect(withCharts('# B\n\nintro\n\n## Targets\n', chartSpecs(results).slice(0, 1), 'charts'))
    .toMatch(/^# B\n\nintro\n\n## Charts\n\n!\[Fan-out throughput[^\]]*\]\(charts\/fanout\.svg\)\n\n## Targets\n$/);
});

test('draws SVG files with Vega in Node, no browser; BENCHMARKS.md shows the committed ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
  try {
    const out = execFileSync(process.execPath, [require.resolve('tsx/cli'), join(ROOT, 'bench', 'charts.ts'), join(ROOT, 'bench', 'results.json'), dir], { encoding: 'utf8', timeout: 120_000 });
    expect(out).toBe(`charts: wrote fanout.svg, latency.svg, cost.svg in ${dir}\n`);
    expect(readdirSync(dir).sort()).toEqual(['cost.svg', 'fanout.svg', 'latency.svg']);
    const svg = readFileSync(join(dir, 'fanout.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Fan-out throughput by audience size');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const markdown = readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8');
  for (const name of ['fanout', 'latency', 'cost']) expect(markdown).toContain(`](bench/charts/${name}.svg)`);
}, 120_000);
