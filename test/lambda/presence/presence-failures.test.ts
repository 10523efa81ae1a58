/**
 * Presence when a table fails halfway through a subscribe or an unsubscribe: the client is
 * answered INTERNAL, and what the request did is undone (subscribe) or left for its retry to
 * finish (unsubscribe), so presence ends up as if the request had never failed. The message
 * handler against the embedded DynamoDB and the local @connections API; the failing table is one
 * the handler is given a wrong name for.
 */
import { Presence } from '../../../lambda/presence/presence';
import { TopicRules } from '../../../lambda/protocol/topics';
import type { RouteResponse, WebSocketEvent } from '../../../lambda/protocol/websocket-event';
import { CounterStore, createStores, Stores } from '../../../lambda/stores';
import { HistoryStore } from '../../../lambda/history/history-store';
import { topicStream } from '../../../lambda/stores/keys';
import { handlerEnvironment } from '../../../lib/private/handlers';
import type { TableNames } from '../../../local/dynamodb';
import { localSettings } from '../../../local/settings';
import { loadHandler } from '../../support/handlers';
import { messageEvent, newConnectionId } from '../../support/websocket-events';
import { Services, startServices } from '../fanout/harness';
import { openLiveConnection } from '../routes/live-connections';

type Handler = (event: WebSocketEvent) => Promise<RouteResponse>;
type Frame = Record<string, unknown>;

let services: Services;
let tables: TableNames;
let stores: Stores;
let working: Handler;
/** The counters table, where presence is counted, cannot be reached. */
let countersDown: Handler;
/** The history table cannot be reached: a subscribe with `since` fails after presence was counted. */
let historyDown: Handler;
const frames = new Map<string, string[]>();

beforeAll(async () => {
  services = await startServices();
  tables = await services.dynamo.freshTables();
  stores = createStores(tables, services.dynamo.doc);
  const settings = localSettings('http://127.0.0.1:9', {
    ...tables,
    callbackUrl: services.connectionsApi.endpoint,
    topicRules: ['rooms/*'],
    presenceRules: ['rooms/*'],
    historyRules: ['rooms/*'],
  });
  const env = { ...services.dynamo.env, ...handlerEnvironment('message', settings) };
  working = loadHandler<{ handler: Handler }>('message', env).handler;
  countersDown = loadHandler<{ handler: Handler }>('message', { ...env, COUNTERS_TABLE: 'no-such-table' }).handler;
  historyDown = loadHandler<{ handler: Handler }>('message', { ...env, HISTORY_TABLE: 'no-such-table' }).handler;
});
afterAll(async () => {
  await services.stop();
});

const open = (userId: string) => openLiveConnection(services, stores, frames, userId);

async function send(handler: Handler, connectionId: string, userId: string, body: Frame): Promise<Frame> {
  return JSON.parse((await handler(messageEvent(JSON.stringify(body), { connectionId, userId }))).body!) as Frame;
}

/** The join and leave announcements a connection received, as "join alice". */
function announcements(connectionId: string): string[] {
  return frames.get(connectionId)!.map((f) => JSON.parse(f) as Frame).filter((f) => f.event !== undefined).map((f) => `${f.event} ${f.userId}`);
}

async function membersOf(room: string, asker: string, userId: string): Promise<unknown> {
  const answer = await send(working, asker, userId, { action: 'presence', topic: room });
  expect(answer).toMatchObject({ type: 'presence', topic: room });
  return answer.members;
}

async function subscribed(connectionId: string, room: string): Promise<boolean> {
  return stores.subscriptions.isSubscribed(room, connectionId);
}

async function slotsOf(connectionId: string): Promise<number | undefined> {
  return (await stores.connections.getConnection(connectionId))?.subscriptionCount;
}

const INTERNAL = { type: 'error', code: 'INTERNAL', message: expect.stringContaining('Try again') };

describe('a subscribe that fails', () => {
  test('before presence is counted leaves no subscription; its retry counts the user once', async () => {
    const room = 'rooms/counters-down';
    const watcher = await open('bob');
    const [first, second] = [await open('alice'), await open('alice')];
    for (const [conn, user] of [[watcher, 'bob'], [first, 'alice']]) {
      expect(await send(working, conn, user, { action: 'subscribe', topic: room })).toMatchObject({ type: 'subscribed' });
    }

    expect(await send(countersDown, second, 'alice', { action: 'subscribe', topic: room })).toMatchObject(INTERNAL);
    expect(await subscribed(second, room)).toBe(false);
    // No slot left taken (the counters table, down, may fail the subscribe at the topic access check, before any slot is taken).
    expect(await slotsOf(second) ?? 0).toBe(0);

    expect(await send(working, second, 'alice', { action: 'subscribe', topic: room })).toMatchObject({ type: 'subscribed' });
    expect(await membersOf(room, watcher, 'bob')).toEqual(expect.arrayContaining([{ userId: 'alice', connections: 2 }]));
    // The first connection leaving is not alice leaving: the retried one is still subscribed.
    await send(working, first, 'alice', { action: 'unsubscribe', topic: room });
    expect(announcements(watcher)).toEqual(['join alice']);
    await send(working, second, 'alice', { action: 'unsubscribe', topic: room });
    expect(announcements(watcher)).toEqual(['join alice', 'leave alice']);
  });

  test('after presence is counted undoes the count with the subscription; its retry counts the user once', async () => {
    const room = 'rooms/history-down';
    // One notification kept, so that a subscribe from seq 0 has something to read from history.
    const kept = await new HistoryStore(services.dynamo.doc, tables.historyTable, tables.countersTable, 3600)
      .positionAndKeep(topicStream(room), 'n-1', (p) => JSON.stringify({ type: 'notification', id: 'n-1', ...p, topic: room, data: 1 }), Date.now());
    const since = { epoch: kept.position.epoch, seq: 0 };
    const watcher = await open('bob');
    const alice = await open('alice');
    expect(await send(working, watcher, 'bob', { action: 'subscribe', topic: room })).toMatchObject({ type: 'subscribed' });

    expect(await send(historyDown, alice, 'alice', { action: 'subscribe', topic: room, since })).toMatchObject(INTERNAL);
    expect(await subscribed(alice, room)).toBe(false);
    expect(await slotsOf(alice)).toBe(0);
    expect(await membersOf(room, watcher, 'bob')).toEqual([{ userId: 'bob', connections: 1 }]);
    // Its join was announced before the failure, so its undoing is announced too.
    expect(announcements(watcher)).toEqual(['join alice', 'leave alice']);

    expect(await send(working, alice, 'alice', { action: 'subscribe', topic: room, since }))
      .toMatchObject({ type: 'subscribed', recovered: true, seq: 1 });
    expect(await membersOf(room, watcher, 'bob')).toEqual(expect.arrayContaining([{ userId: 'alice', connections: 1 }]));
    await send(working, alice, 'alice', { action: 'unsubscribe', topic: room });
    expect(announcements(watcher)).toEqual(['join alice', 'leave alice', 'join alice', 'leave alice']);
    expect(await membersOf(room, watcher, 'bob')).toEqual([{ userId: 'bob', connections: 1 }]);
  });

  test('a join that cannot be announced is not counted either, so the subscribe can be undone and retried', async () => {
    // Announcing fails only when a table fails mid-way through the fan-out, which nothing here can
    // time: the announcer is the one stand-in.
    const counters = new CounterStore(services.dynamo.doc, tables.countersTable);
    const presence = new Presence(TopicRules.compile(['rooms/*']), counters, async () => { throw new Error('announcement failed'); });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await expect(presence.subscribed('rooms/unannounced', 'alice', newConnectionId(), expiresAt)).rejects.toThrow('announcement failed');
    expect(await counters.presence('rooms/unannounced', 10)).toEqual({ members: [], count: 0 });
  });
});

describe('an unsubscribe that fails', () => {
  test('keeps the subscription for its retry, which ends the user\'s presence', async () => {
    const room = 'rooms/unsubscribe-retried';
    const watcher = await open('bob');
    const alice = await open('alice');
    for (const [conn, user] of [[watcher, 'bob'], [alice, 'alice']]) {
      expect(await send(working, conn, user, { action: 'subscribe', topic: room })).toMatchObject({ type: 'subscribed' });
    }

    expect(await send(countersDown, alice, 'alice', { action: 'unsubscribe', topic: room })).toMatchObject(INTERNAL);
    expect(await subscribed(alice, room)).toBe(true);
    expect(await slotsOf(alice)).toBe(1);
    expect(announcements(watcher)).toEqual(['join alice']);

    expect(await send(working, alice, 'alice', { action: 'unsubscribe', topic: room })).toMatchObject({ type: 'unsubscribed', topic: room });
    expect(await subscribed(alice, room)).toBe(false);
    expect(await slotsOf(alice)).toBe(0);
    expect(announcements(watcher)).toEqual(['join alice', 'leave alice']);
    expect(await membersOf(room, watcher, 'bob')).toEqual([{ userId: 'bob', connections: 1 }]);
  });
});
