/**
 * `npm run bench -- --update --only …`: the sections run replace their own in the committed
 * reports, new ones are added, and every other section's text and figures stay.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeReports, RunReport, SectionResult, writeReports } from '../../bench/lib/report';

const section = (id: string, title: string, figure: string): SectionResult => ({
  id, title, method: `How ${id} is measured.`, tables: [{ headers: ['Figure'], rows: [[figure]] }], notes: [],
  targets: [{ name: `${id} target`, target: '≥ 1', measured: figure, met: true }],
  headlines: [{ figure: `${id} headline`, measured: figure, baseline: 'b', ratio: 1 }], data: { figure },
});
const run = (date: string, sections: SectionResult[]): RunReport => ({
  date, machine: { cpuModel: 'cpu', cores: 2, memoryGiB: 1, os: 'os', nodeVersion: 'v22' } as RunReport['machine'], quick: false, durationSeconds: 1, sections,
});

test('a partial run replaces its sections and adds new ones; the rest stay as they were', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-merge-'));
  const md = join(dir, 'BENCHMARKS.md');
  const json = join(dir, 'results.json');
  writeReports(run('2026-01-01T00:00:00.000Z', [section('a', '1. A', 'old a'), section('b', '2. B', 'old b')]), md, json);
  mergeReports(run('2026-02-02T00:00:00.000Z', [section('b', '2. B', 'new b'), section('c', '3. C', 'new c')]), md, json);

  const text = readFileSync(md, 'utf8');
  expect(text).toContain('- Date: 2026-01-01T00:00:00.000Z');
  expect(text).toContain('- Measured later, on their own (`--only`): 2, 3 on 2026-02-02T00:00:00.000Z');
  expect(text).toContain('| old a |');
  expect(text).toContain('| new b |');
  expect(text).not.toContain('old b');
  expect(text.indexOf('## 1. A')).toBeLessThan(text.indexOf('## 2. B'));
  expect(text.indexOf('## 2. B')).toBeLessThan(text.indexOf('## 3. C'));
  expect(text.match(/^## Targets/gm)).toHaveLength(1);
  const results = JSON.parse(readFileSync(json, 'utf8'));
  expect(results.targets.map((t: { measured: string }) => t.measured)).toEqual(['old a', 'new b', 'new c']);
  expect(Object.keys(results.sections)).toEqual(['a', 'b', 'c']);
  expect(results.sections.b.data).toEqual({ figure: 'new b' });
});
