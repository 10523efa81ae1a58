/**
 * The end-to-end suite, run once per DynamoDB engine: the real handler bundles behind the local
 * gateway, real `ws` clients, the real EventBridge and API Gateway Management API clients.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../../lib/private/runtime-contract';
import { DeadLetter, LocalRuntime, LocalRuntimeOptions, startLocalRuntime } from '../../../local/runtime';
import { handlerBundles, Bundles } from './bundles';
import { connect, eventBridgeClient, Frame, publish, refusedStatus, TestClient } from './clients';

/** Generous: the first DynamoDB Local run fetches it from Maven Central. */
const START_TIMEOUT_MS = 10 * 60_000;

export interface DynamoEngine {
  readonly name: string;
  /** Starts the engine; `endpoint` undefined means the runtime's embedded one. */
  start(): Promise<{ endpoint?: string; stop(): Promise<void> }>;
}

/** Polls until `check` passes (DynamoDB cleanup happens after the close, asynchronously). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function endToEndSuite(engine: DynamoEngine): void {
  describe(`local runtime end to end (${engine.name})`, () => {
    let bundles: Bundles;
    let dynamo: { endpoint?: string; stop(): Promise<void> };
    let runtime: LocalRuntime;
    let events: EventBridgeClient;
    let doc: DynamoDBDocumentClient;
    const open: TestClient[] = [];
    let topicCounter = 0;
    const freshTopic = (prefix = 'orders') => `${prefix}/${engine.name}-${++topicCounter}`;

    const start = (options: LocalRuntimeOptions = {}) => startLocalRuntime({
      port: 0,
      assetsDir: bundles.assetsDir,
      dynamodbEndpoint: dynamo.endpoint,
      ttlSweepIntervalMs: 0,
      ...options,
    });

    /** Connects and returns the client with the connection id the gateway gave it. */
    async function connectAs(userId: string, on: LocalRuntime = runtime): Promise<{ client: TestClient; connectionId: string }> {
      const before = new Set(on.registry.ids());
      const client = await connect(on, userId);
      open.push(client);
      const added = on.registry.ids().filter((id) => !before.has(id));
      if (added.length !== 1) throw new Error(`expected one new connection, saw ${added.length}`);
      return { client, connectionId: added[0] };
    }

    const connectionRow = (connectionId: string, on: LocalRuntime = runtime) => doc.send(new GetCommand({
      TableName: on.settings.connectionsTable,
      Key: { [Tables.connections.partitionKey]: connectionId },
    })).then((r) => r.Item);

    const subscriptionRows = (connectionId: string, on: LocalRuntime = runtime) => doc.send(new QueryCommand({
      TableName: on.settings.subscriptionsTable,
      IndexName: Tables.subscriptions.byConnectionIndex,
      KeyConditionExpression: '#c = :c',
      ExpressionAttributeNames: { '#c': Tables.subscriptions.byConnectionPartitionKey },
      ExpressionAttributeValues: { ':c': connectionId },
    })).then((r) => r.Items ?? []);

    /** The row goes first, then the subscriptions (lambda/stores/remove-connection): wait for both. */
    const eventuallyForgotten = (connectionId: string) => eventually(
      async () => (await connectionRow(connectionId)) === undefined && (await subscriptionRows(connectionId)).length === 0,
      `connection ${connectionId} and its subscriptions are deleted`,
    );

    const deadLettersWhere = (predicate: (d: DeadLetter) => boolean) => runtime.deadLetters().filter(predicate);

    beforeAll(async () => {
      bundles = handlerBundles();
      dynamo = await engine.start();
      // No S3 here (large-payloads.browser.test.ts has it): payloads sent by reference are kept small,
      // so data over a frame is refused as over the limit rather than failing to be stored.
      runtime = await start({ queue: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 }, settings: { 'payloads.maxObjectSize': 64 * 1024 } });
      events = eventBridgeClient(runtime);
      doc = DynamoDBDocumentClient.from(runtime.dynamo.client);
    }, START_TIMEOUT_MS);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => (c.closeCode === undefined ? c.close().catch(() => undefined) : undefined)));
    });

    afterAll(async () => {
      events?.destroy();
      await runtime?.stop();
      await dynamo?.stop();
      bundles?.dispose();
    });

    describe('$connect', () => {
      it('accepts a token from the local issuer and records the connection with its user', async () => {
        const { connectionId } = await connectAs('alice');
        const row = await connectionRow(connectionId);
        expect(row).toMatchObject({ connectionId, userId: 'alice' });
        expect(typeof row?.[Tables.connections.ttlAttribute]).toBe('number');
      });

      it('answers 401 before the upgrade for missing, malformed, expired, foreign-audience and forged tokens', async () => {
        const base = runtime.wsUrl;
        const good = await runtime.token('mallory');
        const [header, payload] = good.split('.');
        const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString('base64url');
        const cases = {
          missing: base,
          empty: `${base}?token=`,
          garbage: `${base}?token=not-a-jwt`,
          expired: `${base}?token=${await runtime.token('mallory', { expiresInSeconds: -120 })}`,
          wrongAudience: `${base}?token=${await runtime.token('mallory', { claims: { aud: 'someone-else' } })}`,
          wrongIssuer: `${base}?token=${await runtime.token('mallory', { claims: { iss: 'https://evil.example' } })}`,
          forged: `${base}?token=${header}.${forgedPayload}.${good.split('.')[2]}`,
          algNone: `${base}?token=${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`,
        };
        const before = runtime.registry.size;
        for (const [name, url] of Object.entries(cases)) {
          await expect(refusedStatus(url).then((status) => `${name}: ${status}`)).resolves.toBe(`${name}: 401`);
        }
        expect(runtime.registry.size).toBe(before);
      });

      it('answers 403 for a path other than the stage', async () => {
        const token = await runtime.token('alice');
        expect(await refusedStatus(`${runtime.wsUrl.replace('/local', '/prod')}?token=${token}`)).toBe(403);
      });
    });

    describe('messages', () => {
      it('answers subscribe, unsubscribe and ping with their frames, and bad frames with error frames', async () => {
        const { client } = await connectAs('alice');
        const topic = freshTopic();
        expect(await client.request({ action: 'subscribe', topic })).toMatchObject({ type: 'subscribed', topic });
        expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
        expect(await client.request({ action: 'unsubscribe', topic })).toMatchObject({ type: 'unsubscribed', topic });
        expect(await client.request({ action: 'dance' })).toMatchObject({ type: 'error', code: 'UNKNOWN_ACTION' });
        expect(await client.request({ action: 'subscribe', topic: 'users/bob/inbox' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
        expect(await client.request({ action: 'subscribe' })).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
        client.send('this is not json');
        const error = await client.waitFor((f) => f.type === 'error' && f.requestId === undefined, 'an error frame for a non-JSON frame');
        expect(error).toMatchObject({ code: 'BAD_REQUEST' });
        expect(String(error.message)).not.toMatch(/at \/|Error:|stack/);
      });

      it('closes a connection with 1009 for a message over 128 KB, and runs $disconnect', async () => {
        const { client, connectionId } = await connectAs('alice');
        await client.subscribe(freshTopic());
        client.send(JSON.stringify({ action: 'ping', pad: 'x'.repeat(128 * 1024) }));
        expect(await client.waitForClose()).toBe(1009);
        await eventuallyForgotten(connectionId);
      });
    });

    describe('delivery', () => {
      it('delivers a topic notification to its subscribers only, with the event id as notification id', async () => {
        const topic = freshTopic();
        const { client: subscriber } = await connectAs('alice');
        const { client: bystander } = await connectAs('bob');
        await subscriber.subscribe(topic);
        await bystander.subscribe(freshTopic());

        const output = await publish(events, runtime, { topic, data: { status: 'shipped' } });
        const [notification] = await subscriber.waitForNotifications(1);
        expect(notification).toMatchObject({ type: 'notification', id: output.Entries![0].EventId, topic, data: { status: 'shipped' } });
        expect(new Date(String(notification.time)).toISOString()).toBe(notification.time);

        await runtime.drained();
        await Promise.all([subscriber.sync(), bystander.sync()]);
        expect(subscriber.notifications).toHaveLength(1);
        expect(bystander.notifications).toHaveLength(0);
      });

      it('keeps a publisher-given id, for de-duplication across retries', async () => {
        const topic = freshTopic();
        const { client } = await connectAs('alice');
        await client.subscribe(topic);
        await publish(events, runtime, { topic, id: 'order-42-shipped', data: 1 });
        const [notification] = await client.waitForNotifications(1);
        expect(notification.id).toBe('order-42-shipped');
      });

      it('delivers a user notification to every connection of that user, without subscriptions', async () => {
        const user = `user-${engine.name}`;
        const { client: phone } = await connectAs(user);
        const { client: laptop } = await connectAs(user);
        const { client: other } = await connectAs(`${user}-other`);
        await publish(events, runtime, { userId: user, data: { text: 'hello' } });
        for (const client of [phone, laptop]) {
          const [notification] = await client.waitForNotifications(1);
          expect(notification).toMatchObject({ userId: user, data: { text: 'hello' } });
          expect(notification.topic).toBeUndefined();
        }
        await runtime.drained();
        await other.sync();
        expect(other.notifications).toHaveLength(0);
      });

      it('stops delivering a topic after unsubscribe', async () => {
        const topic = freshTopic();
        const { client, connectionId } = await connectAs('alice');
        await client.subscribe(topic);
        expect((await subscriptionRows(connectionId)).map((r) => r.topic)).toEqual([topic]);
        await client.request({ action: 'unsubscribe', topic });
        expect(await subscriptionRows(connectionId)).toEqual([]);
        await publish(events, runtime, { topic, data: 'after' });
        await runtime.drained();
        await client.sync();
        expect(client.notifications).toHaveLength(0);
      });

      it('refuses broadcast when the construct does not allow it: nobody receives it, the DLQ says why', async () => {
        const { client } = await connectAs('alice');
        const output = await publish(events, runtime, { broadcast: true, data: 'everyone' });
        const eventId = output.Entries![0].EventId!;
        await runtime.drained();
        await client.sync();
        expect(client.notifications).toHaveLength(0);
        const [letter] = deadLettersWhere((d) => d.messageAttributes.eventId === eventId);
        expect(letter).toMatchObject({ origin: 'sent', messageAttributes: { reason: 'BROADCAST_DISABLED' } });
      });

      it('sends each contract violation to the DLQ with its reason and still delivers the valid entry beside them', async () => {
        const topic = freshTopic();
        const { client } = await connectAs('alice');
        await client.subscribe(topic);
        const entries = {
          NO_TARGET: { data: 1 },
          MULTIPLE_TARGETS: { topic, userId: 'alice', data: 1 },
          BAD_TOPIC: { topic: 'orders/../../etc', data: 1 },
          PAYLOAD_TOO_LARGE: { topic, data: 'x'.repeat(130 * 1024) },
          DATA_TOO_DEEP: { topic, data: JSON.parse('['.repeat(150) + ']'.repeat(150)) },
          valid: { topic, data: 'ok' },
        };
        const output = await events.send(new PutEventsCommand({
          Entries: Object.values(entries).map((detail) => ({
            EventBusName: runtime.eventBusName, Source: 'e2e.tests', DetailType: runtime.settings.detailType, Detail: JSON.stringify(detail),
          })),
        }));
        expect(output.FailedEntryCount).toBe(0);
        const ids = Object.fromEntries(Object.keys(entries).map((name, i) => [name, output.Entries![i].EventId!]));

        const [notification] = await client.waitForNotifications(1);
        expect(notification).toMatchObject({ id: ids.valid, data: 'ok' });
        await runtime.drained();
        for (const reason of ['NO_TARGET', 'MULTIPLE_TARGETS', 'BAD_TOPIC', 'PAYLOAD_TOO_LARGE', 'DATA_TOO_DEEP']) {
          const letters = deadLettersWhere((d) => d.messageAttributes.eventId === ids[reason]);
          expect(letters.map((d) => d.messageAttributes.reason)).toEqual([reason]);
          expect(letters[0].messageAttributes.reasonMessage.length).toBeGreaterThan(10);
          // The DLQ keeps the event as it was published, so it can be fixed and sent again.
          expect(letters[0].body).toMatchObject({ id: ids[reason], 'detail-type': runtime.settings.detailType });
        }
        await client.sync();
        expect(client.notifications).toHaveLength(1);
      });

      it('dead-letters an event of another detail type on its own bus with WRONG_DETAIL_TYPE, and delivers it to no one', async () => {
        const topic = freshTopic();
        const { client } = await connectAs('alice');
        await client.subscribe(topic);
        const output = await events.send(new PutEventsCommand({
          Entries: [{ EventBusName: runtime.eventBusName, Source: 'e2e.tests', DetailType: 'Notifcation', Detail: JSON.stringify({ topic, data: 1 }) }],
        }));
        expect(output.FailedEntryCount).toBe(0);
        const eventId = output.Entries![0].EventId!;

        await runtime.drained();
        await client.sync();
        expect(client.notifications).toHaveLength(0);
        const letters = deadLettersWhere((d) => d.messageAttributes.eventId === eventId);
        expect(letters.map((d) => d.messageAttributes.reason)).toEqual(['WRONG_DETAIL_TYPE']);
        expect(letters[0].messageAttributes.reasonMessage).toContain(`"${runtime.settings.detailType}"`);
        expect(letters[0].body).toMatchObject({ id: eventId, 'detail-type': 'Notifcation' });
      });

      it('lists the dead letters over HTTP', async () => {
        const response = await fetch(`${runtime.url}/local/dlq`);
        expect(response.status).toBe(200);
        const body = await response.json() as { count: number; messages: DeadLetter[] };
        expect(body.count).toBe(runtime.deadLetterQueue.size);
        expect(body.messages.length).toBe(body.count);
        expect(body.messages.every((m) => typeof m.messageAttributes.reason === 'string')).toBe(true);
      });

      it('retries a connection whose posts fail, then dead-letters it with the reason (and spares the others)', async () => {
        const failing = await startWithFaults();
        try {
          const topic = freshTopic();
          const { client: healthy } = await connectAs('alice', failing.runtime);
          const { client: broken, connectionId } = await connectAs('bob', failing.runtime);
          failing.failPostsTo.add(connectionId);
          await healthy.subscribe(topic);
          await broken.subscribe(topic);
          const output = await publish(eventBridgeClient(failing.runtime), failing.runtime, { topic, data: 'once' });
          await healthy.waitForNotifications(1);
          await failing.runtime.drained();
          await Promise.all([healthy.sync(), broken.sync()]);
          expect(healthy.notifications).toHaveLength(1);
          expect(broken.notifications).toHaveLength(0);
          const letters = failing.runtime.deadLetters().filter((d) => d.messageAttributes.reason === 'UNDELIVERED');
          expect(letters).toHaveLength(1);
          // The notification id is the event id (no id was published); the shard re-queue carries it.
          expect(letters[0].messageAttributes).toMatchObject({ notificationId: output.Entries![0].EventId, missedConnections: '1', attempts: '2' });
          expect(JSON.stringify(letters[0].body)).toContain(connectionId);
          expect(failing.postsTo(connectionId)).toBeGreaterThanOrEqual(2);
        } finally {
          await failing.runtime.stop();
        }
      });

      async function startWithFaults() {
        const failPostsTo = new Set<string>();
        const posts = new Map<string, number>();
        const faulty = await start({
          settings: { 'delivery.maxAttempts': 2, connectionsTable: `faulty-${engine.name}-connections`, subscriptionsTable: `faulty-${engine.name}-subscriptions` },
          connectionsFaults: (method, connectionId) => {
            if (method !== 'POST') return undefined;
            posts.set(connectionId, (posts.get(connectionId) ?? 0) + 1);
            return failPostsTo.has(connectionId) ? { status: 500 } : undefined;
          },
        });
        return { runtime: faulty, failPostsTo, postsTo: (id: string) => posts.get(id) ?? 0 };
      }
    });

    describe('disconnects and stale connections', () => {
      it('removes the connection and its subscriptions on a clean close', async () => {
        const { client, connectionId } = await connectAs('alice');
        await client.subscribe(freshTopic());
        await client.subscribe(freshTopic());
        expect(await subscriptionRows(connectionId)).toHaveLength(2);
        await client.close();
        await eventuallyForgotten(connectionId);
      });

      it('removes them when the client drops its socket without a close frame', async () => {
        const { client, connectionId } = await connectAs('alice');
        await client.subscribe(freshTopic());
        (client.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
        await eventuallyForgotten(connectionId);
      });

      it('cleans up a connection the gateway lost without $disconnect at the next delivery (410)', async () => {
        const topic = freshTopic();
        const { client: survivor } = await connectAs('alice');
        const { client: vanished, connectionId } = await connectAs('bob');
        await survivor.subscribe(topic);
        await vanished.subscribe(topic);

        expect(runtime.gateway.loseConnection(connectionId)).toBe(true);
        await vanished.waitForClose();
        // $disconnect never ran: the rows are still there, as after a lost $disconnect in AWS.
        expect(await connectionRow(connectionId)).toBeDefined();
        expect(await subscriptionRows(connectionId)).toHaveLength(1);

        await publish(events, runtime, { topic, data: 'still here?' });
        await survivor.waitForNotifications(1);
        await runtime.drained();
        await eventuallyForgotten(connectionId);
      });
    });

    describe('@connections management API', () => {
      it('serves the real ApiGatewayManagementApiClient: post, get and delete', async () => {
        const { client, connectionId } = await connectAs('alice');
        const management = new ApiGatewayManagementApiClient({
          endpoint: runtime.callbackUrl,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        try {
          await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'notification', id: 'direct', data: 1, time: new Date().toISOString() }) }));
          await client.waitFor((f: Frame) => f.id === 'direct', 'the posted frame');

          const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
          expect(info.Identity?.SourceIp).toBe('127.0.0.1');
          expect(info.ConnectedAt).toBeInstanceOf(Date);

          await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
          await client.waitForClose();
          await eventually(async () => (await connectionRow(connectionId)) === undefined, '$disconnect removes the row');
          await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })))
            .rejects.toMatchObject({ name: 'GoneException' });
        } finally {
          management.destroy();
        }
      });
    });

    describe('at scale, with broadcast allowed and small shards', () => {
      const CONNECTIONS = 1000;
      const TOPICS = 10;
      const USERS = 100;
      const TARGETED_USERS = 20;

      it(`gives each of ${CONNECTIONS} simultaneous connections exactly the notifications addressed to it`, async () => {
        const scale = await start({
          allowBroadcast: true,
          settings: {
            'delivery.shardThreshold': 40,
            'delivery.shardSize': 40,
            connectionsTable: `scale-${engine.name}-connections`,
            subscriptionsTable: `scale-${engine.name}-subscriptions`,
          },
        });
        const clients: Array<{ client: TestClient; topic: string; user: string }> = [];
        try {
          for (let i = 0; i < CONNECTIONS; i += 50) {
            const batch = await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, async (_, j) => {
              const n = i + j;
              const user = `u${n % USERS}`;
              const topic = `rooms/${n % TOPICS}`;
              const client = await connect(scale, user);
              await client.subscribe(topic);
              return { client, topic, user };
            }));
            clients.push(...batch);
          }
          expect(scale.registry.size).toBe(CONNECTIONS);

          const scaleEvents = eventBridgeClient(scale);
          for (let t = 0; t < TOPICS; t++) await publish(scaleEvents, scale, { topic: `rooms/${t}`, data: { t } });
          for (let u = 0; u < TARGETED_USERS; u++) await publish(scaleEvents, scale, { userId: `u${u}`, data: { u } });
          await publish(scaleEvents, scale, { broadcast: true, data: 'all' });
          scaleEvents.destroy();

          const expected = (user: string) => 2 + (Number(user.slice(1)) < TARGETED_USERS ? 1 : 0);
          await Promise.all(clients.map(({ client, user }) => client.waitForNotifications(expected(user), 90_000)));
          await scale.drained();
          for (let i = 0; i < clients.length; i += 100) await Promise.all(clients.slice(i, i + 100).map(({ client }) => client.sync()));

          const wrong = clients.filter(({ client, topic, user }) => {
            const got = client.notifications;
            const ids = new Set(got.map((n) => n.id));
            return got.length !== expected(user) || ids.size !== got.length
              || got.filter((n) => n.topic !== undefined).some((n) => n.topic !== topic)
              || got.filter((n) => n.userId !== undefined).some((n) => n.userId !== user)
              || got.filter((n) => n.broadcast).length !== 1;
          });
          expect(wrong.map(({ user, client }) => ({ user, got: client.notifications }))).toEqual([]);
          expect(scale.deadLetters()).toEqual([]);
        } finally {
          await Promise.all(clients.map(({ client }) => { client.ws.terminate(); }));
          await scale.stop();
        }
      }, 240_000);
    });
  });
}
