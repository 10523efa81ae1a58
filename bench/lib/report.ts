/**
 * The shape every benchmark section returns, and the two renderings of a run: BENCHMARKS.md for
 * people and bench/results.json for machines.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SECTION_IDS } from './cli';
import { MachineFacts } from './machine';

export interface Table {
  readonly caption?: string;
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
}

/** One target from the delivery issue, with what this run measured against it. */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** null when the run could not measure it. */
  readonly met: boolean | null;
  /** When missed: by how much and why. */
  readonly note?: string;
}

/** One line of the summary: a figure beside its baseline from the same run. */
export interface Headline {
  readonly figure: string;
  readonly measured: string;
  readonly baseline: string;
  /** measured ÷ baseline, or a sentence when a ratio says nothing. */
  readonly ratio: number | string;
}

export interface SectionResult {
  readonly id: string;
  readonly title: string;
  /** How it was measured and what the baseline is, in a sentence or three. */
  readonly method: string;
  readonly tables: readonly Table[];
  readonly notes: readonly string[];
  readonly targets: readonly TargetCheck[];
  /** The section's key figures for the summary table. */
  readonly headlines?: readonly Headline[];
  /** Raw figures for results.json. */
  readonly data: unknown;
  /** Set when the section could not run, saying why. */
  readonly skipped?: string;
}

export interface RunReport {
  readonly date: string;
  readonly machine: MachineFacts;
  readonly quick: boolean;
  readonly durationSeconds: number;
  readonly sections: readonly SectionResult[];
}

export function skippedSection(id: string, title: string, reason: string): SectionResult {
  return { id, title, method: '', tables: [], notes: [], targets: [], data: null, skipped: reason };
}

export function writeReports(report: RunReport, markdownPath: string, jsonPath: string): void {
  writeFileSync(markdownPath, renderMarkdown(report));
  writeFileSync(jsonPath, `${JSON.stringify(toJson(report), null, 2)}\n`);
}

function toJson(report: RunReport) {
  return {
    date: report.date,
    machine: report.machine,
    quick: report.quick,
    durationSeconds: report.durationSeconds,
    targets: report.sections.flatMap((s) => s.targets.map((t) => ({ section: s.id, ...t }))),
    summary: report.sections.flatMap((s) => (s.headlines ?? []).map((h) => ({ section: s.id, ...h }))),
    sections: Object.fromEntries(report.sections.map((s) => [s.id, {
      title: s.title,
      ...(s.skipped ? { skipped: s.skipped } : {}),
      data: s.data,
    }])),
  };
}

export function renderMarkdown(report: RunReport): string {
  const m = report.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push('Produced by `npm run bench` (bench/run.ts); the same figures, unrounded, are in '
    + '[bench/results.json](bench/results.json). Every figure stands beside a baseline measured in the '
    + 'same run on the same machine, and the ratio between them is what carries over to other machines. '
    + 'Benchmarks are not tests: nothing here is asserted by `npm test`.', '');
  out.push(`- Date: ${report.date}${report.quick ? ' (quick run, `--quick`: fewer repetitions and smaller audiences)' : ''}`);
  out.push(`- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, ${m.os}`);
  out.push(`- Node.js ${m.nodeVersion} (Lambda runs Node.js 22; figures are for this machine, not for Lambda)`);
  out.push(`- Whole run: ${Math.round(report.durationSeconds)} s`, '');
  out.push('Run it with `npm run bench` (about 8 minutes here; it bundles the handlers first): it writes its report to '
    + '`.cache/bench/<date>/`, and `npm run bench -- --update` to this file and bench/results.json. `--quick` makes a shorter run with '
    + `smaller audiences and fewer repetitions; \`--only fanout,capacity\` runs only the sections named (ids: ${SECTION_IDS.join(', ')}; `
    + 'with `--update`, they replace their own sections here and the rest stay); `npm run bench -- --help` lists the options. '
    + '`DYNAMODB_ENDPOINT=http://…` measures capacity on an engine you started instead of the embedded one.', '');

  out.push(...renderTargets(report.sections.flatMap((s) => s.targets)));
  out.push(...renderSummary(report.sections.flatMap((s) => s.headlines ?? [])));
  for (const s of report.sections) out.push(...renderSection(s));
  return out.join('\n');
}

export function renderTable(t: Table): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.map(formatCell).join(' | ')} |`;
  return [
    line(t.headers),
    `|${t.headers.map(() => '---').join('|')}|`,
    ...t.rows.map(line),
  ].join('\n');
}

function formatCell(v: string | number): string {
  if (typeof v === 'string') return v.replace(/\|/g, '\\|');
  if (Number.isNaN(v)) return 'n/a';
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
}

function renderTargets(targets: readonly TargetCheck[]): string[] {
  if (targets.length === 0) return [];
  return [
    '## Targets', '',
    renderTable({
      headers: ['Target', 'Goal', 'Measured', 'Met'],
      rows: targets.map((t) => [t.name, t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'met' : 'missed']),
    }),
    ...targets.filter((t) => t.note).map((t) => `- ${t.name}: ${t.note}`),
    '',
  ];
}

function renderSummary(headlines: readonly Headline[]): string[] {
  if (headlines.length === 0) return [];
  return ['## Summary', '', renderTable({ headers: ['Figure', 'This library', 'Baseline (same run)', 'Ratio'], rows: headlines.map((h) => [h.figure, h.measured, h.baseline, h.ratio]) }), ''];
}

function renderSection(s: SectionResult): string[] {
  const out = [`## ${s.title}`, ''];
  if (s.skipped) return [...out, `Not measured in this run: ${s.skipped}`, ''];
  out.push(s.method, '');
  for (const t of s.tables) {
    if (t.caption) out.push(`${t.caption}`, '');
    out.push(renderTable(t), '');
  }
  for (const n of s.notes) out.push(`- ${n}`);
  if (s.notes.length > 0) out.push('');
  return out;
}

type ResultsJson = ReturnType<typeof toJson> & { readonly updates?: ReadonlyArray<{ date: string; sections: string[] }> };

/**
 * What `--update --only` writes: the committed reports with this run's sections in place of
 * their own (or after the others, when new), every other section's text and figures kept. The
 * targets and summary tables are rebuilt from the merged results; the header says which sections
 * were measured later than the rest, and when.
 */
export function mergeReports(report: RunReport, markdownPath: string, jsonPath: string): void {
  const committed = JSON.parse(readFileSync(jsonPath, 'utf8')) as ResultsJson;
  const fresh = toJson(report);
  const ran = new Set(report.sections.map((s) => s.id));
  const merged: ResultsJson = {
    ...committed,
    targets: [...committed.targets.filter((t) => !ran.has(t.section)), ...fresh.targets],
    summary: [...committed.summary.filter((h) => !ran.has(h.section)), ...fresh.summary],
    sections: { ...committed.sections, ...fresh.sections },
    updates: [...(committed.updates ?? []), { date: report.date, sections: [...ran] }],
  };
  // The markdown in blocks, each from one level-2 heading to the next.
  const markdown = readFileSync(markdownPath, 'utf8');
  const starts = [...markdown.matchAll(/^## .*$/gm)].map((m) => m.index!);
  const header = markdown.slice(0, starts[0] ?? markdown.length).replace(/\n+$/, '\n');
  const blocks = starts.map((start, i) => markdown.slice(start, starts[i + 1] ?? markdown.length));
  const titleOf = (block: string) => block.slice(3, block.indexOf('\n'));
  const rendered = new Map(report.sections.map((s) => [s.title, `${renderSection(s).join('\n')}\n`]));
  const sections = blocks
    .filter((b) => !['Charts', 'Targets', 'Summary'].includes(titleOf(b)))
    .map((b) => rendered.get(titleOf(b)) ?? b);
  for (const s of report.sections) if (!blocks.some((b) => titleOf(b) === s.title)) sections.push(rendered.get(s.title)!);
  // Each section re-run on its own, under the date it was last measured.
  const titles = new Map(Object.entries(merged.sections).map(([id, sec]) => [id, sec.title.split('.')[0]]));
  const lastRun = new Map<string, string>();
  for (const u of merged.updates ?? []) for (const id of u.sections) lastRun.set(id, u.date);
  const byDate = new Map<string, string[]>();
  for (const [id, date] of lastRun) byDate.set(date, [...(byDate.get(date) ?? []), titles.get(id) ?? id]);
  const updated = [...byDate].map(([date, names]) => `- Measured later, on their own (\`--only\`): ${names.join(', ')} on ${date}`).join('\n');
  const out = [
    header.replace(/^- (Sections measured since|Measured later), on their own.*\n/gm, '').replace(/(^- Whole run: .*$)/m, `$1\n${updated}`),
    ...renderTargets(merged.targets),
    ...renderSummary(merged.summary),
  ].join('\n');
  writeFileSync(markdownPath, `${out}\n${sections.map((b) => b.replace(/\n+$/, '\n')).join('\n')}`);
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
}
