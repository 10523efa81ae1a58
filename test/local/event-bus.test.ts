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
  let bus: LocalEventBus;
  const matched: BusEvent[] = [];
  const logs: string[] = [];
  const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
    EventBusName: 'notifications', Source: 'my.app', DetailType: 'Notification', Detail: '{"topic":"a","data":1}', ...overrides,
  });

  beforeAll(async () => {
    bus = new LocalEventBus({ name: 'notifications', region: 'us-east-1', account: '000000000000' }, (line) => logs.push(line));
    bus.addRule({ name: 'rule', pattern: notificationEventPattern('Notification'), target: (event) => matched.push(event) });
    server = createServer((req, res) => { if (!bus.handle(req, res)) res.writeHead(404).end(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new EventBridgeClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  beforeEach(() => { matched.length = 0; logs.length = 0; });
  afterAll(async () => {
    client.destroy();
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
    expect(logs.join('\n')).toContain('matched no rule');
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
    expect(() => assertSupportedPattern({ source: [{ 'anything-but': 'x' }] })).toThrow(/anything-but/);
  });
});
