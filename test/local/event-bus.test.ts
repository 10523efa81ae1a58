/** PutEvents through the real EventBridge SDK client: EventBridge's validation, and rule matching. */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { notificationEventPattern } from '../../lib/private/runtime-contract';
import { LocalEventBus } from '../../local/bus/event-bus';
import { assertSupportedPattern, matchesPattern } from '../../local/bus/pattern';
import { BusEvent } from '../../local/bus/put-events';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('local event bus', () => {
  let server: Server;
  let client: EventBridgeClient;
  /** With the SDK's default retries: a request answered 5xx would be sent again. */
  let retryingClient: EventBridgeClient;
  let requests = 0;
  let bus: LocalEventBus;
  const matched: BusEvent[] = [];
  const logs: string[] = [];
  const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
    EventBusName: 'notifications', Source: 'my.app', DetailType: 'Notification', Detail: '{"topic":"a","data":1}', ...overrides,
  });

  beforeAll(async () => {
    bus = new LocalEventBus({ name: 'notifications', region: 'us-east-1', account: '000000000000' }, (line) => logs.push(line));
    // Serialised as the local runtime's queue target does.
    bus.addRule({ name: 'rule', pattern: notificationEventPattern('Notification'), target: (event) => matched.push(JSON.parse(JSON.stringify(event))) });
    server = createServer((req, res) => {
      requests++;
      if (!bus.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new EventBridgeClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    retryingClient = new EventBridgeClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
  });
  beforeEach(() => { matched.length = 0; logs.length = 0; requests = 0; });
  afterAll(async () => {
    client.destroy();
    retryingClient.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts entries, answers an EventId each, and routes the matching ones to the rule target', async () => {
    const time = new Date('2026-03-01T10:20:30.456Z');
    const out = await client.send(new PutEventsCommand({
      Entries: [entry({ Time: time }), entry({ DetailType: 'Other' }), entry({ EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/notifications' })],
    }));
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries!.map((e) => e.EventId)).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(matched.map((e) => e.id)).toEqual([out.Entries![0].EventId, out.Entries![2].EventId]);
    expect(matched[0]).toEqual({
      version: '0', id: out.Entries![0].EventId, 'detail-type': 'Notification', source: 'my.app',
      account: '000000000000', time: '2026-03-01T10:20:30Z', region: 'us-east-1', resources: [], detail: { topic: 'a', data: 1 },
    });
    expect(logs.filter((line) => line.includes('reach no rule'))).toEqual([
      expect.stringMatching(/^note: events of detail-type "Other" \(the first: [\w-]+\) reach no rule here, and are dropped as EventBridge drops them\./),
    ]);
    // Said once per detail-type, not for every event.
    await client.send(new PutEventsCommand({ Entries: [entry({ DetailType: 'Other' })] }));
    expect(logs.filter((line) => line.includes('reach no rule'))).toHaveLength(1);
  });

  it('answers per-entry errors as EventBridge does, and delivers the valid entries of the same request', async () => {
    const out = await client.send(new PutEventsCommand({
      Entries: [
        entry({ Source: undefined }),
        entry({ DetailType: undefined }),
        entry({ Detail: '{not json' }),
        entry({ Detail: '[1,2]' }),
        entry({ Source: 'aws.s3' }),
        entry({ EventBusName: 'no-such-bus' }),
        entry(),
      ],
    }));
    expect(out.FailedEntryCount).toBe(6);
    expect(out.Entries!.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument', 'InvalidArgument', 'MalformedDetail', 'MalformedDetail', 'NotAuthorizedForSourceException', 'ResourceNotFoundException', 'ok',
    ]);
    expect(out.Entries![0].ErrorMessage).toBe('Parameter Source is not valid. Reason: Source is a required argument.');
    expect(out.Entries![5].ErrorMessage).toContain('notifications');
    expect(matched).toHaveLength(1);
  });

  it.each([
    ['a Detail nested 10,000 levels deep', 'MalformedDetail', { Detail: `{"topic":"a","data":${'['.repeat(10_000)}${']'.repeat(10_000)}}` }],
    ['a Detail that is not JSON', 'MalformedDetail', { Detail: '{"topic":' }],
    ['no Detail', 'InvalidArgument', { Detail: undefined }],
  ])('a batch whose 2nd of 3 entries has %s: 1 and 3 accepted exactly once, 2 reported with %s, nothing retried', async (_, code, bad) => {
    const out = await retryingClient.send(new PutEventsCommand({
      Entries: [entry({ Detail: '{"topic":"a","data":1}' }), entry(bad), entry({ Detail: '{"topic":"a","data":3}' })],
    }));

    expect(requests).toBe(1);
    expect(out.$metadata.attempts).toBe(1);
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries).toEqual([
      { EventId: expect.any(String) },
      { ErrorCode: code, ErrorMessage: expect.stringMatching(/\w/) },
      { EventId: expect.any(String) },
    ]);
    expect(matched.map((e) => ({ id: e.id, detail: e.detail }))).toEqual([
      { id: out.Entries![0].EventId, detail: { topic: 'a', data: 1 } },
      { id: out.Entries![2].EventId, detail: { topic: 'a', data: 3 } },
    ]);
  });

  it('an entry whose rule target fails is still accepted, as in EventBridge: it goes to the dead-letter target, the call succeeds', () => {
    const failing = new LocalEventBus({ name: 'notifications', region: 'us-east-1', account: '000000000000' }, (line) => logs.push(line));
    const delivered: string[] = [];
    const deadLetters: Array<{ id: string; error: string }> = [];
    failing.addRule({
      name: 'rule',
      pattern: notificationEventPattern('Notification'),
      target: (event) => {
        if ((event.detail as { data: number }).data === 2) throw new Error('queue unavailable');
        delivered.push(event.id);
      },
      deadLetter: (event, error) => deadLetters.push({ id: event.id, error: error.message }),
    });

    const out = failing.putEvents({ Entries: [1, 2, 3].map((data) => entry({ Detail: JSON.stringify({ topic: 'a', data }) })) });

    expect(out.FailedEntryCount).toBe(0);
    const ids = out.Entries.map((e) => (e as { EventId: string }).EventId);
    expect(delivered).toEqual([ids[0], ids[2]]);
    expect(deadLetters).toEqual([{ id: ids[1], error: 'queue unavailable' }]);
    expect(logs.join('\n')).toContain(`could not deliver event ${ids[1]}`);
  });

  it('refuses a request whose entries are not objects as malformed, without accepting any', async () => {
    expect(() => bus.putEvents({ Entries: [entry(), null] })).toThrow(/Entries\[1\] is not an object/);
    expect(matched).toEqual([]);
  });

  it('accepts events for the default bus but tells the developer nothing listens there', async () => {
    const out = await client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: undefined })] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(matched).toEqual([]);
    expect(logs.join('\n')).toContain('set EventBusName to notifications');
  });

  it('refuses requests EventBridge refuses whole: no entries, more than 10, over 256 KB', async () => {
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })))
      .rejects.toMatchObject({ name: 'ValidationException' });
    const big = JSON.stringify({ topic: 'a', data: 'x'.repeat(200 * 1024) });
    await expect(client.send(new PutEventsCommand({ Entries: [entry({ Detail: big }), entry({ Detail: big })] })))
      .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('over the limit') });
    expect(matched).toEqual([]);
  });

  it('matches the pattern language the rules use, and refuses operators it does not implement', () => {
    const event = { source: 'my.app', 'detail-type': 'Notification', detail: { topic: 'orders/1', tags: ['a', 'b'] } };
    expect(matchesPattern({ 'detail-type': ['Notification'] }, event)).toBe(true);
    expect(matchesPattern({ 'detail-type': ['Other'] }, event)).toBe(false);
    expect(matchesPattern({ detail: { topic: [{ prefix: 'orders/' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { topic: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesPattern({ 'detail-type': [{ 'anything-but': ['Notification'] }] }, event)).toBe(false);
    expect(matchesPattern({ 'detail-type': [{ 'anything-but': ['Other', 'More'] }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'x' }] } }, event)).toBe(false);
    expect(() => assertSupportedPattern({ source: [{ numeric: ['>', 0] }] })).toThrow(/numeric/);
    expect(() => assertSupportedPattern({ source: [{ 'anything-but': { prefix: 'x' } }] })).toThrow(/anything-but with an operator/);
  });
});
