/**
 * The client library in Node against the local runtime (real handler bundles, gateway emulator,
 * bus, queue, dynalite): requests, refusals, reconnects after forced and server-side closes, and
 * the make-before-break replacement before the connection's cap. What these prove holds with or
 * without stream history on the server; continuity across reconnects is in positions.test.ts.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { connect, RealtimeError } from '../../client/src';
import { API_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../lib/private/runtime-contract';
import { LocalRuntime } from '../../local/runtime';
import { clientTests, expectEachOnce, publish, settled, waitUntil } from './support';

const MAX_PER_SECOND = 5;
const { start, app, fresh } = clientTests({ publishRules: ['rooms/*'], presenceRules: ['rooms/*'], 'clientMessages.maxPerSecond': MAX_PER_SECOND });

describe('with API Gateway’s usual limits', () => {
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start());
  }, 120_000);

  it('registers a Web Push subscription (a browser\'s PushSubscription), lists and removes it; the local push service gets the push', async () => {
    const user = 'push-user';
    const phone = app(runtime, user);
    const subscription = runtime.push.subscribe();
    // What a browser's pushManager.subscribe() resolves with: an object with toJSON().
    const devices = await phone.client.registerPush({ toJSON: () => ({ ...subscription, expirationTime: null }) });
    expect(devices).toEqual({ devices: [{ id: expect.any(String), platform: 'web', endpoint: subscription.endpoint, registeredAt: expect.any(String) }], max: 10 });
    expect(await phone.client.pushDevices()).toEqual(devices);
    phone.close();
    await waitUntil(() => runtime.registry.size === 0, 'the phone\'s connection to close');

    await publish(events, runtime, { userId: user, id: 'p-1', data: {}, push: { title: 'Hello', url: '/inbox' } });
    await runtime.drained();
    const pushed = runtime.push.received().filter((p) => p.subscriptionId === subscription.endpoint.split('/').pop());
    expect(pushed.map((p) => p.payload)).toEqual([{ id: 'p-1', userId: user, time: expect.any(String), title: 'Hello', url: '/inbox' }]);

    const laptop = app(runtime, user);
    expect(await laptop.client.unregisterPush(subscription.endpoint)).toEqual({ devices: [], max: 10 });
    await expect(laptop.client.registerPush({ endpoint: 'https://example.com/x', keys: subscription.keys })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('hands over topic and user notifications from the backend, each once', async () => {
    const alice = app(runtime, 'alice');
    const topic = fresh('orders');
    alice.onUserNotifications();
    await alice.subscribe(topic);
    expect(alice.states).toEqual(['connecting', 'open']);

    const sent = [1, 2, 3, 4, 5];
    await Promise.all(sent.map((data) => publish(events, runtime, { topic, data })));
    await Promise.all([10, 11].map((data) => publish(events, runtime, { userId: 'alice', data })));
    await publish(events, runtime, { userId: 'bob', data: 99 });
    await alice.waitForCount(topic, 5);
    await alice.waitForCount('', 2);
    await settled(runtime, alice);
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), [10, 11]);
    expect(alice.list(topic)[0]).toMatchObject({ topic, id: expect.any(String), time: expect.any(String) });
    expect(alice.list('')[0]).toMatchObject({ userId: 'alice' });
  });

  it('publishes, echoes, asks who is there and reports joins and leaves', async () => {
    const topic = fresh('rooms');
    const alice = app(runtime, 'alice');
    const bob = app(runtime, 'bob');
    await Promise.all([alice.subscribe(topic), bob.subscribe(topic)]);
    const seenByBob: unknown[] = [];
    bob.client.onPresence(topic, (event) => seenByBob.push(event));

    const carol = app(runtime, 'carol');
    await carol.subscribe(topic);
    await waitUntil(() => seenByBob.length === 1, 'carol’s join');
    expect(seenByBob).toEqual([{ type: 'presence', topic, event: 'join', userId: 'carol' }]);

    const published = await alice.client.publish(topic, { text: 'hi' });
    expect(published).toMatchObject({ id: expect.any(String), topic });
    const [message] = await bob.waitForCount(topic, 1);
    expect(message).toMatchObject({ id: published.id, topic, from: 'alice', data: { text: 'hi' } });

    const echoed = await alice.client.publish(topic, 'echo me', { echo: true });
    const [own] = await alice.waitForCount(topic, 1);
    expect(own).toMatchObject({ id: echoed.id, from: 'alice', data: 'echo me' });

    const presence = await bob.client.presence(topic);
    expect(presence).toMatchObject({ topic, count: 3, truncated: false });
    expect(presence.members.map((m) => m.userId)).toEqual(['alice', 'bob', 'carol']);

    carol.close();
    await waitUntil(() => seenByBob.length === 2, 'carol’s leave');
    expect(seenByBob[1]).toEqual({ type: 'presence', topic, event: 'leave', userId: 'carol' });
    await settled(runtime, alice, bob);
    expect(bob.list(topic)).toHaveLength(2); // the message and the echo, once each
    expect(alice.list(topic)).toHaveLength(1); // only the echo
  });

  it('turns refusals into RealtimeErrors with the server’s code, and stops resubscribing a refused topic', async () => {
    const alice = app(runtime, 'alice');
    const refused = alice.client.publish('orders/1', 'x');
    await expect(refused).rejects.toBeInstanceOf(RealtimeError);
    await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/publish/) });
    await expect(alice.client.publish('rooms/x', undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    await expect(alice.subscribe('users/bob/inbox')).rejects.toMatchObject({ code: 'FORBIDDEN', topic: 'users/bob/inbox' });
    expect(alice.errors.map((e) => [e.code, e.topic])).toEqual([['FORBIDDEN', 'users/bob/inbox']]);

    // More than the per-second limit at once: the excess is refused with the wait the server asks for.
    const burst = await Promise.allSettled(Array.from({ length: 3 * MAX_PER_SECOND }, (_, i) => alice.client.publish('rooms/burst', i)));
    const limited = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as RealtimeError);
    expect(limited.length).toBeGreaterThanOrEqual(MAX_PER_SECOND);
    for (const error of limited) {
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }

    // After a reconnect the refused topic is not asked for again: no new error.
    const [connectionId] = alice.connections();
    runtime.gateway.loseConnection(connectionId);
    await alice.waitForState('reconnecting');
    await alice.waitForState('open', alice.states.indexOf('reconnecting'));
    await settled(runtime, alice);
    expect(alice.errors).toHaveLength(1);
  });

  it('reconnects with a fresh token after the server closes or loses the connection, and resubscribes', async () => {
    const alice = app(runtime, 'alice');
    const topic = fresh('orders');
    await alice.subscribe(topic);
    await publish(events, runtime, { topic, data: 1 });
    await alice.waitForCount(topic, 1);

    const closes: Array<(id: string) => void> = [
      (id) => runtime.registry.get(id)!.close(), // deleted through @connections: a clean server close
      (id) => runtime.gateway.loseConnection(id), // dropped without a close frame
    ];
    let data = 1;
    for (const close of closes) {
      const [before] = alice.connections();
      const states = alice.states.length;
      close(before);
      await alice.waitForState('open', states);
      // Reconnecting, then open again (a loaded machine may take more than one attempt).
      const after = alice.states.slice(states);
      expect([after[0], after.at(-1)]).toEqual(['reconnecting', 'open']);
      expect(after.filter((s) => s !== 'reconnecting' && s !== 'connecting').slice(0, -1)).toEqual([]);
      await waitUntil(() => alice.connections().length === 1 && alice.connections()[0] !== before, 'the new connection');
      // The subscription is back once the answer is in: a notification published now arrives.
      await settled(runtime, alice);
      await publish(events, runtime, { topic, data: ++data });
      await alice.waitForCount(topic, data);
    }
    await settled(runtime, alice);
    expectEachOnce(alice.list(topic), [1, 2, 3]);
    expect(alice.tokens).toBe(3);
  });

  it('sends the token as a subprotocol beside realtime.v1, never in the URL', async () => {
    const alice = app(runtime, 'alice');
    await alice.subscribe(fresh('orders'));
    expect(alice.sockets).toHaveLength(1);
    const [{ socket, protocols }] = alice.sockets;
    expect(socket.url).toBe(runtime.wsUrl);
    expect(protocols).toEqual([API_SUBPROTOCOL, expect.stringMatching(/^token\.[\w-]+\.[\w-]+\.[\w-]+$/)]);
    const token = (protocols as string[])[1].slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).toMatchObject({ sub: 'alice' });
    expect(socket.protocol).toBe(API_SUBPROTOCOL); // the server's answer: it took the token from there
  });

  it('reports a token function that throws or returns no usable token as TOKEN_FAILED, and connects once it returns one', async () => {
    const answers: Array<() => unknown> = [
      () => {
        throw new Error('signed out');
      },
      () => undefined,
      () => '',
      () => 'Bearer abc.def.ghi',
      () => runtime.token('alice'),
    ];
    let calls = 0;
    const alice = app(runtime, 'alice', {
      token: () => answers[Math.min(calls++, answers.length - 1)]() as string,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    await alice.waitForState('open');
    expect(alice.errors.map((e) => [e.code, e.message])).toEqual([
      ['TOKEN_FAILED', 'The token function failed: signed out. Connecting again later.'],
      ['TOKEN_FAILED', 'The token function failed: it returned undefined instead of the token string (is the user signed in?). Connecting again later.'],
      ['TOKEN_FAILED', 'The token function failed: it returned an empty token. Connecting again later.'],
      ['TOKEN_FAILED', expect.stringMatching(/it returned a token with characters a WebSocket subprotocol cannot carry.*without "Bearer "/)],
    ]);
    expect(alice.states).toEqual(['connecting', 'reconnecting', 'open']);
    expect(alice.sockets).toHaveLength(1); // nothing was opened without a token
    await alice.subscribe(fresh('orders'));
  });

  it('fails requests after close() with CLOSED', async () => {
    const alice = app(runtime, 'alice');
    const pending = alice.client.presence('rooms/closing');
    alice.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => alice.client.subscribe('orders/1', () => undefined)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(alice.states.at(-1)).toBe('closed');
  });
});

describe('bad options', () => {
  it('are refused at once, saying what to change', () => {
    const url = 'ws://127.0.0.1:1/local';
    expect(() => connect({ url: 'https://example.com', WebSocket })).toThrow(/url must be the WebSocket URL, starting with wss:\/\/.*"https:\/\/example.com"/);
    expect(() => connect({ url, WebSocket, pingIntervalMs: 0 })).toThrow('pingIntervalMs must be a positive number; got 0.');
    expect(() => connect({ url, WebSocket, requestTimeoutMs: Number.NaN })).toThrow(/requestTimeoutMs must be a positive number/);
    const platform = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => connect({ url })).toThrow(/No WebSocket class here: use Node 22 or later, or pass one/);
    } finally {
      if (platform) (globalThis as { WebSocket?: unknown }).WebSocket = platform;
    }
  });
});

describe('a server that does not answer', () => {
  it('times requests out with TIMEOUT', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const client = connect({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
      WebSocket,
      requestTimeoutMs: 300,
    });
    try {
      await expect(client.presence('rooms/silent')).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringMatching(/presence.*300 ms/),
      });
    } finally {
      client.close();
      server.clients.forEach((s) => s.terminate());
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a server that does not know resume', () => {
  it('still hands over user notifications, live, reports no error and stops asking', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const actions: string[] = [];
    server.on('connection', (socket) => socket.on('message', (raw) => {
      const { action, requestId } = JSON.parse(String(raw));
      actions.push(action);
      const answer = action === 'presence'
        ? { type: 'presence', requestId, topic: 'rooms/x', members: [], count: 0, truncated: false }
        : { type: 'error', requestId, code: 'UNKNOWN_ACTION', message: `Unknown action "${action}".` };
      socket.send(JSON.stringify(answer));
    }));
    const notify = (data: number) => server.clients.forEach((s) => s.send(JSON.stringify({ type: 'notification', id: `n${data}`, userId: 'alice', data, time: new Date().toISOString() })));
    const client = connect({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, WebSocket, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    const errors: RealtimeError[] = [];
    const received: unknown[] = [];
    const states: string[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('state', (state) => states.push(state));
    client.onUserNotification((n) => received.push(n.data));
    try {
      await waitUntil(() => actions.length === 1, 'the resume');
      await client.presence('rooms/x'); // answered after the refusal of resume
      notify(1);
      await waitUntil(() => received.length === 1, 'the first notification');

      server.clients.forEach((s) => s.terminate());
      await waitUntil(() => states.at(-1) === 'open' && states.includes('reconnecting'), 'the reconnect');
      await client.presence('rooms/x');
      notify(2);
      await waitUntil(() => received.length === 2, 'the second notification');
      expect(received).toEqual([1, 2]);
      expect(actions).toEqual(['resume', 'presence', 'presence']);
      expect(errors).toEqual([]);
    } finally {
      client.close();
      server.clients.forEach((s) => s.terminate());
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('with short idle and maximum connection times on the server', () => {
  const IDLE_MS = 1000;
  const MAX_MS = 6000;
  let runtime: LocalRuntime;
  let events: EventBridgeClient;

  beforeAll(async () => {
    ({ runtime, events } = await start({ idleTimeoutMs: IDLE_MS, maxConnectionMs: MAX_MS }));
  }, 120_000);

  it('keeps an idle connection open with pings', async () => {
    const alice = app(runtime, 'alice', { pingIntervalMs: IDLE_MS / 4 });
    await alice.subscribe(fresh('orders'));
    const [connectionId] = alice.connections();
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_MS));
    expect(alice.connections()).toEqual([connectionId]);
    expect(alice.states).toEqual(['connecting', 'open']);
  });

  it('reconnects and resubscribes after an idle close, and after the maximum-duration close', async () => {
    const topic = fresh('orders');
    const idle = app(runtime, 'alice', { pingIntervalMs: 60_000 });
    const pinging = app(runtime, 'bob', { pingIntervalMs: IDLE_MS / 4, maxConnectionMs: 60_000 });
    await Promise.all([idle.subscribe(topic), pinging.subscribe(topic)]);
    await idle.waitForState('reconnecting');
    await pinging.waitForState('reconnecting'); // after MAX_MS: the server's cap, with no replacement
    await idle.waitForState('open', idle.states.indexOf('reconnecting'));
    await pinging.waitForState('open', pinging.states.indexOf('reconnecting'));
    await settled(runtime, pinging, idle);
    await publish(events, runtime, { topic, data: 1 });
    await Promise.all([idle.waitForCount(topic, 1), pinging.waitForCount(topic, 1)]);
  });

  it('replaces each connection before the server’s cap, with no gap: nothing lost, nothing twice', async () => {
    const topic = fresh('orders');
    const room = fresh('rooms');
    const alice = app(runtime, 'alice', { pingIntervalMs: IDLE_MS / 4, maxConnectionMs: 1500 });
    const bob = app(runtime, 'bob', { pingIntervalMs: IDLE_MS / 4, maxConnectionMs: 60_000 });
    alice.onUserNotifications();
    await Promise.all([alice.subscribe(topic), alice.subscribe(room), bob.subscribe(fresh('orders'))]);
    const connections = new Set<string>(alice.connections());

    // Backend notifications and bob's messages, without pause, across several replacements.
    const sent: number[] = [];
    const toUser: number[] = [];
    const chat: number[] = [];
    for (let i = 0; i < 50; i++) {
      await publish(events, runtime, { topic, data: i });
      sent.push(i);
      if (i % 5 === 0) {
        await publish(events, runtime, { userId: 'alice', data: i });
        toUser.push(i);
      }
      if (i % 4 === 0) {
        await bob.client.publish(room, i);
        chat.push(i);
      }
      alice.connections().forEach((id) => connections.add(id));
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    await settled(runtime, alice);
    expect(connections.size).toBeGreaterThanOrEqual(3);
    expect(alice.states).toEqual(['connecting', 'open']); // never reconnecting: each replacement was ready first
    expectEachOnce(alice.list(topic), sent);
    expectEachOnce(alice.list(''), toUser);
    expectEachOnce(alice.list(room), chat);
    expect(alice.list(room).every((n) => n.from === 'bob')).toBe(true);
  });
});
