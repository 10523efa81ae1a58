/**
 * The inbox over the embedded DynamoDB: notifications that expired are not unread (rows past their
 * expiry, and positions gone below a row kept long ago), and the count needs no Query while the
 * stream's epoch is younger than its retention.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { Inbox } from '../../../lambda/inbox/inbox';
import { ReadStateStore } from '../../../lambda/inbox/read-store';
import { HistoryStore } from '../../../lambda/history/history-store';
import { historyKey, userStream } from '../../../lambda/stores/keys';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';

const RETENTION = 30 * 24 * 60 * 60;
const DAY = 24 * 60 * 60 * 1000;
let db: TestDynamo;
beforeAll(async () => { db = await startTestDynamo(); });
afterAll(async () => { await db.stop(); });

async function setUp(nowMs: () => number) {
  const tables = await db.freshTables();
  const history = new HistoryStore(db.doc, tables.historyTable, tables.countersTable, RETENTION);
  const reads = new ReadStateStore(db.doc, tables.countersTable, tables.historyTable, () => RETENTION);
  const inbox = new Inbox({ reads, history, connectionsOf: async () => [], push: async () => undefined, now: nowMs });
  const keep = (user: string, id: string, at: number) => history.positionAndKeep(userStream(user), id, (p) => JSON.stringify({ id, seq: p.seq }), at, false);
  return { tables, history, inbox, keep };
}

test('notifications past the retention are not unread; a young stream needs no expiry read', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const { inbox, keep } = await setUp(() => now);
  for (let i = 1; i <= 3; i++) await keep('old', `o${i}`, now);
  now += 10 * DAY;
  for (let i = 4; i <= 5; i++) await keep('old', `o${i}`, now);
  expect(await inbox.unread('old')).toMatchObject({ count: 5, seq: 5 });
  // 31 days after the first three: they expired (DynamoDB has not deleted them yet); the last two have not.
  now += 21 * DAY;
  expect(await inbox.unread('old')).toMatchObject({ count: 2, seq: 5 });
  expect((await inbox.page('old', undefined, 10)).notifications.map((n) => n.id)).toEqual(['o4', 'o5']);
  // Marking read what is left counts down to zero.
  const marked = await inbox.markRead('old', { ids: ['o4'] }, { backend: true });
  expect(marked).toMatchObject({ ok: true, unread: { count: 1, readVersion: 1 } });
});

test('positions gone below a notification kept long ago (deleted by TTL) are not unread', async () => {
  let now = Date.parse('2026-03-01T00:00:00Z');
  const { tables, inbox, keep } = await setUp(() => now);
  for (let i = 1; i <= 4; i++) await keep('gone', `g${i}`, now - 40 * DAY + i * DAY * 10);
  // g1 and g2 were deleted by TTL (their rows are gone), g3 and g4 are live.
  const stream = userStream('gone');
  for (const seq of [1, 2]) await db.doc.send(new DeleteCommand({ TableName: tables.historyTable, Key: historyKey(stream, seq) }));
  expect(await inbox.unread('gone')).toMatchObject({ count: 2, seq: 4 });
});
