/**
 * The README's table of the props most teams touch, and the prose of docs/protocol.md, state the
 * defaults the construct applies: every default written there as a number, a duration, a size or
 * a boolean is checked against the one table of defaults (SETTINGS), so the docs cannot drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../lib/private/settings';

interface Row { readonly props: string[]; readonly defaults: string[] }

/** The rows of the table under "What you get, and how to tune it": prop paths and their defaults. */
function tuningRows(): Row[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.split('## What you get, and how to tune it')[1].split('\n## ')[0];
  return section.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
    const [propCell, defaultCell] = line.split(' | ').map((cell) => cell.replace(/^\| /, ''));
    const grouped = /^`(\w+): \{ ([\w, ]+) \}`$/.exec(propCell);
    const props = grouped
      ? grouped[2].split(', ').map((field) => `${grouped[1]}.${field}`)
      : [...propCell.matchAll(/`(\w+)`/g)].map((match) => match[1]);
    return { props, defaults: defaultCell.split(/ \/ |, /) };
  });
}

/** A default as the docs write it, in SETTINGS' units; undefined for words ("none", "a new bus"). */
function valueOf(text: string): unknown {
  const literal = /^`?(\d+|true|false)`?$/.exec(text);
  if (literal) return JSON.parse(literal[1]);
  const hours = /^(\d+) hours$/.exec(text);
  if (hours) return Number(hours[1]) * 3600;
  const kibibytes = /^(?:`Size\.kibibytes\((\d+)\)`|(\d+) KiB)$/.exec(text);
  if (kibibytes) return Number(kibibytes[1] ?? kibibytes[2]) * 1024;
  if (text === 'on' || text === 'off') return text === 'on';
  return undefined;
}

/** Every setting is named by its prop's path. */
const settingByProp = new Map<string, unknown>(Object.entries(SETTINGS));

const checked = tuningRows().flatMap((row) => (row.props.length === row.defaults.length
  ? row.props.map((prop, i) => ({ prop, written: row.defaults[i], value: valueOf(row.defaults[i]) }))
  : []).filter((entry) => entry.value !== undefined && settingByProp.has(entry.prop)));

test('the table states defaults for most of its props', () => {
  expect(checked.length).toBeGreaterThanOrEqual(15);
});

test.each(checked.map((entry) => [entry.prop, entry.written, entry.value]))('%s: %s', (prop, _written, value) => {
  expect(value).toEqual((settingByProp.get(prop as string) as { default?: unknown }).default);
});

/** "`history.maxReplay` (100 by default)" and the like, in docs/protocol.md's prose. */
const stated = [...readFileSync(join(__dirname, '..', 'docs', 'protocol.md'), 'utf8')
  .matchAll(/`([\w.]+)`[^(`]{0,30}\(([^(),]+) by default/g)]
  .map((match) => ({ prop: match[1], written: match[2], value: valueOf(match[2]) }))
  .filter((entry) => entry.value !== undefined && settingByProp.has(entry.prop));

test('docs/protocol.md states defaults in its prose', () => {
  expect(stated.length).toBeGreaterThanOrEqual(5);
});

test.each(stated.map((entry) => [entry.prop, entry.written, entry.value]))('docs/protocol.md, %s: %s', (prop, _written, value) => {
  expect(value).toEqual((settingByProp.get(prop as string) as { default?: unknown }).default);
});
