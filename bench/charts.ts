/**
 * Charts for BENCHMARKS.md, drawn from results.json as SVG with Vega-Lite (rendered by Vega in
 * Node: no browser): fan-out throughput against the physical limit per audience size, latency
 * percentiles against the gateway floor, and cost per day broken down by service.
 * `chartSpecs` is pure (the figures to plot); `renderCharts` draws and writes them.
 * By hand: `npx tsx bench/charts.ts [results.json] [outdir]` (default: bench/results.json, bench/charts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The part of results.json the charts read. */
export interface ResultsJson {
  readonly sections: Record<string, { readonly title?: string; readonly data?: any } | undefined>;
}

export interface Chart {
  /** File name, without .svg. */
  readonly name: string;
  /** What it shows, for the image's alt text and heading. */
  readonly title: string;
  /** A Vega-Lite specification with its data inline. */
  readonly spec: Record<string, unknown>;
}

const WIDTH = 560;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e7eb' },
  legend: { orient: 'bottom', direction: 'vertical', columns: 2, labelFontSize: 11, labelLimit: 320, columnPadding: 24 },
};

interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** The charts the results hold data for (a section that did not run has none). */
export function chartSpecs(results: ResultsJson): Chart[] {
  const charts: Chart[] = [];
  const fanout = results.sections.fanout?.data;
  if (fanout?.single) charts.push(fanoutChart(fanout));
  const latency = results.sections.latency?.data;
  if (latency?.endToEnd && latency?.floor) charts.push(latencyChart(latency));
  const cost = results.sections.cost?.data;
  if (cost?.lines) charts.push(costChart(cost));
  return charts;
}

function fanoutChart(data: any): Chart {
  const rows: Array<{ audience: string; series: string; perSecond: number }> = [];
  const audience = (n: number) => n.toLocaleString('en-US');
  for (const s of data.single) rows.push({ audience: audience(s.audience), series: 'deliver, one instance', perSecond: s.deliveriesPerSecond });
  for (const s of data.sharded ?? []) rows.push({ audience: audience(s.audience), series: `deliver, sharded over ${s.instances} instances`, perSecond: s.endToEndPerSecond });
  for (const b of data.baselines ?? []) {
    rows.push({ audience: audience(b.audience), series: b.mode === 'all' ? 'baseline: Promise.all' : 'baseline: one post at a time', perSecond: b.deliveriesPerSecond });
  }
  const limit = data.physicalLimitPerSecond as number;
  return {
    name: 'fanout',
    title: `Fan-out throughput (deliveries per second) by audience, against the physical limit of one instance (${limit.toLocaleString('en-US')}/s: ${data.concurrency} posts in flight, ${data.latencyMs} ms each)`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH, height: 260, config: CONFIG,
      title: { text: 'Fan-out throughput by audience size', subtitle: `deliveries per second; dashed: one instance's physical limit (${limit.toLocaleString('en-US')}/s)` },
      layer: [
        {
          data: { values: rows },
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'audience', type: 'ordinal', title: 'audience (subscribers)', sort: null, axis: { labelAngle: 0 } },
            xOffset: { field: 'series', sort: null },
            y: { field: 'perSecond', type: 'quantitative', title: 'deliveries per second' },
            color: { field: 'series', type: 'nominal', sort: null, title: null, scale: { range: ['#2563eb', '#16a34a', '#9ca3af', '#d1d5db'] } },
          },
        },
        {
          data: { values: [{ limit }] },
          mark: { type: 'rule', strokeDash: [6, 4], color: '#dc2626', size: 1.5 },
          encoding: { y: { field: 'limit', type: 'quantitative' } },
        },
      ],
    },
  };
}

function latencyChart(data: any): Chart {
  const rows: Array<{ percentile: string; series: string; ms: number }> = [];
  const add = (series: string, p: Percentiles | undefined) => {
    if (!p) return;
    for (const key of ['p50', 'p95', 'p99', 'max'] as const) rows.push({ percentile: key, series, ms: Math.max(0.1, p[key]) });
  };
  add('notification: publish → received', data.endToEnd);
  add('chat message → room members', data.chat?.chat);
  add('floor: bare WebSocket round trip', data.floor);
  return {
    name: 'latency',
    title: 'Latency percentiles of the local runtime (ms, log scale) against the gateway floor',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH, height: 260, config: CONFIG,
      title: { text: 'Latency distribution against the gateway floor', subtitle: 'local runtime, milliseconds (log scale)' },
      data: { values: rows },
      mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2.5 },
      encoding: {
        x: { field: 'percentile', type: 'ordinal', sort: ['p50', 'p95', 'p99', 'max'], title: null, axis: { labelAngle: 0 } },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds' },
        color: { field: 'series', type: 'nominal', sort: null, title: null, scale: { range: ['#2563eb', '#16a34a', '#9ca3af'] }, legend: { columns: 1, labelLimit: 800 } },
      },
    },
  };
}

/** The AWS service a cost line is paid to. */
export function serviceOf(item: string): string {
  if (/Lambda/.test(item)) return 'Lambda';
  if (/DynamoDB/.test(item)) return 'DynamoDB';
  // Frames pushed or answered (presence announcements, pongs) are API Gateway messages.
  if (/API Gateway|frames|announcements/.test(item)) return 'API Gateway';
  return item.split(':')[0];
}

function costChart(data: any): Chart {
  const rows: Array<{ scenario: string; service: string; usd: number }> = [];
  const add = (scenario: string, lines: Array<{ item: string; usd: number }> | undefined) => {
    const byService = new Map<string, number>();
    for (const line of lines ?? []) byService.set(serviceOf(line.item), (byService.get(serviceOf(line.item)) ?? 0) + line.usd);
    for (const [service, usd] of byService) rows.push({ scenario, service, usd: Math.round(usd * 100) / 100 });
  };
  const s = data.scenario;
  add('notifications', data.lines);
  if (data.chat?.lines) add('chat rooms', data.chat.lines);
  return {
    name: 'cost',
    title: 'Cost per day (USD) of the cost model\'s scenarios, by service',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH, height: { step: 36 }, config: CONFIG,
      title: {
        text: 'Cost per day by service',
        subtitle: [
          `USD a day: ${s.connections.toLocaleString('en-US')} connections, ${s.notificationsPerDay.toLocaleString('en-US')} notifications`
            + `${data.chat?.scenario ? ` or ${data.chat.scenario.messagesPerDay.toLocaleString('en-US')} chat messages` : ''} a day`,
          'us-east-1 prices (section 5, the cost model)',
        ],
      },
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'scenario', type: 'nominal', title: null, sort: null, axis: { labelLimit: 220, grid: false } },
        x: { field: 'usd', type: 'quantitative', title: 'USD per day', stack: 'zero' },
        color: { field: 'service', type: 'nominal', title: null, scale: { scheme: 'tableau10' }, legend: { columns: 5, direction: 'horizontal' } },
        order: { field: 'usd', sort: 'descending' },
        tooltip: [{ field: 'service' }, { field: 'usd', format: '$.2f' }],
      },
    },
  };
}

/** Draws each chart to `<dir>/<name>.svg`; returns the charts drawn. */
export async function renderCharts(results: ResultsJson, dir: string): Promise<Chart[]> {
  // Both are ES modules only; imported here, so that chartSpecs loads anywhere.
  const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;
  const vega = await importModule('vega');
  const vegaLite = await importModule('vega-lite');
  const charts = chartSpecs(results);
  if (charts.length > 0) mkdirSync(dir, { recursive: true });
  for (const chart of charts) {
    const { spec } = vegaLite.compile(chart.spec);
    const view = new vega.View(vega.parse(spec), { renderer: 'none' });
    const svg: string = await view.toSVG();
    view.finalize();
    writeFileSync(join(dir, `${chart.name}.svg`), `${svg}\n`);
  }
  return charts;
}

/** BENCHMARKS.md with a "Charts" section before its first section, the images under `prefix`. */
export function withCharts(markdown: string, charts: Chart[], prefix: string): string {
  if (charts.length === 0) return markdown;
  const block = ['## Charts', '', ...charts.flatMap((c) => [`![${c.title}](${prefix}/${c.name}.svg)`, '']), ''].join('\n');
  const at = markdown.search(/^## /m);
  return at < 0 ? `${markdown}\n${block}` : `${markdown.slice(0, at)}${block}${markdown.slice(at)}`;
}

if (require.main === module) {
  const root = join(__dirname, '..');
  const [file = join(root, 'bench', 'results.json'), dir = join(root, 'bench', 'charts')] = process.argv.slice(2);
  renderCharts(JSON.parse(readFileSync(file, 'utf8')), dir).then(
    (charts) => process.stdout.write(`charts: wrote ${charts.map((c) => `${c.name}.svg`).join(', ')} in ${dir}\n`),
    (error) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exit(1);
    },
  );
}
