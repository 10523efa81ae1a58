/**
 * README.md's "Upgrading from 0.x" table and the construct's table of moved props (the one that
 * refuses a 0.x prop at synth, naming its new place) say the same, row for row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RealtimeNotificationsProps } from '../../lib';
import { MOVED_PROPS } from '../../lib/private/moved-props';
import { synth } from './synth';

/** Every prop of 1.0, top-level: the compiler keeps this list whole and exact. */
const PROPS: Record<keyof RealtimeNotificationsProps, 'group' | 'prop'> = {
  auth: 'prop',
  topicRules: 'prop',
  publishRules: 'prop',
  presenceRules: 'prop',
  historyRules: 'prop',
  eventBus: 'prop',
  detailType: 'prop',
  allowBroadcast: 'prop',
  stageName: 'prop',
  customDomain: 'prop',
  encryptionKey: 'prop',
  removalPolicy: 'prop',
  throttle: 'group',
  connections: 'group',
  clientMessages: 'group',
  history: 'group',
  hotTopics: 'group',
  delivery: 'group',
  push: 'group',
  payloads: 'group',
  functions: 'group',
  monitoring: 'group',
};

/** A row: the 0.x names in its first cell (`attribute` when they are attributes, not props), and its second cell. */
interface Row { readonly old: string[]; readonly attribute: boolean; readonly now: string }

function upgradingTable(): Row[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Upgrading from 0.x'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  return body.split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| 0.x prop'))
    .map((line) => {
      const [old, now] = line.split('|').slice(1, 3).map((cell) => cell.trim());
      return { old: [...old.matchAll(/`([^`]+)`/g)].map((m) => m[1]), attribute: old.startsWith('attribute '), now };
    });
}

const rows = upgradingTable();
const moveRows = rows.filter((row) => row.now !== 'unchanged' && !row.attribute);

test('the table is there', () => {
  expect(moveRows.length).toBeGreaterThan(20);
});

test('each move in the README is a move the construct knows, to the same place', () => {
  for (const row of moveRows) {
    expect(row.old).toHaveLength(1);
    expect([row.old[0], `\`${MOVED_PROPS[row.old[0] as keyof typeof MOVED_PROPS]}\``]).toEqual([row.old[0], row.now]);
  }
});

test('each move the construct knows is in the README', () => {
  expect(moveRows.map((row) => row.old[0]).sort()).toEqual(Object.keys(MOVED_PROPS).sort());
});

test('the props listed as unchanged are exactly the top-level props that are not groups', () => {
  const unchanged = rows.filter((row) => row.now === 'unchanged').flatMap((row) => row.old);
  const topLevel = (Object.keys(PROPS) as Array<keyof RealtimeNotificationsProps>).filter((name) => PROPS[name] === 'prop');
  expect(unchanged.sort()).toEqual(topLevel.sort());
});

test('no text the construct deploys (descriptions, alarm texts) names a prop by its 0.x name', () => {
  const { template } = synth({ monitoring: { dashboard: true }, delivery: { maxRatePerSecond: 100, maxConcurrency: 2 } });
  // Values only: CloudFormation's own keys (an SQS redrive policy's `maxReceiveCount`) are no prop.
  const strings = (value: unknown): string[] => typeof value === 'string' ? [value]
    : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
  const text = strings(template.toJSON()).join('\n');
  // The 1.0 path may end in the same name (`delivery.maxReceiveCount`); one-word names such as `alarms` are plain words too.
  const oldNames = Object.keys(MOVED_PROPS).filter((name) => /[A-Z]/.test(name));
  expect(text).toContain('lower delivery.maxRatePerSecond');
  expect(oldNames.filter((name) => new RegExp(`(?<![.\\w])${name}\\b`).test(text))).toEqual([]);
});
