/**
 * Real WebSocket clients of the local runtime for the fault tests: each knows its connection id
 * (read from the gateway's registry as it connects) and keeps every frame it receives.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { WebSocket } from 'ws';
import type { LocalRuntime } from '../../../local/runtime';

export interface NotificationFrame {
  readonly type: 'notification';
  readonly id: string;
  readonly topic?: string;
  readonly data: unknown;
  readonly time: string;
}

export interface TestClient {
  readonly userId: string;
  readonly connectionId: string;
  readonly socket: WebSocket;
  /** Every notification frame received, raw, in order. */
  readonly notifications: string[];
  subscribe(topic: string): Promise<void>;
  /** Raw frames received per notification id. */
  framesById(): Map<string, string[]>;
  close(): void;
}

/** Connects one client; connections are made one at a time so the new registry id is this one's. */
export async function connectClient(runtime: LocalRuntime, userId: string): Promise<TestClient> {
  const before = new Set(runtime.registry.ids());
  const token = await runtime.token(userId);
  const socket = new WebSocket(`${runtime.wsUrl}?token=${encodeURIComponent(token)}`);
  const notifications: string[] = [];
  const waiting = new Map<string, (frame: Record<string, unknown>) => void>();
  socket.on('message', (raw) => {
    const text = raw.toString();
    const frame = JSON.parse(text) as Record<string, unknown>;
    if (frame.type === 'notification') notifications.push(text);
    const requestId = typeof frame.requestId === 'string' ? frame.requestId : undefined;
    if (requestId && waiting.has(requestId)) {
      waiting.get(requestId)!(frame);
      waiting.delete(requestId);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`connect refused with ${res.statusCode}`)));
  });
  const added = runtime.registry.ids().filter((id) => !before.has(id));
  if (added.length !== 1) throw new Error(`expected one new connection in the registry, found ${added.length}`);
  let next = 0;
  return {
    userId,
    connectionId: added[0],
    socket,
    notifications,
    subscribe: (topic) => new Promise<void>((resolve, reject) => {
      const requestId = `s${next++}`;
      waiting.set(requestId, (frame) => (frame.type === 'subscribed' ? resolve() : reject(new Error(`subscribe answered ${JSON.stringify(frame)}`))));
      socket.send(JSON.stringify({ action: 'subscribe', topic, requestId }));
    }),
    framesById: () => {
      const byId = new Map<string, string[]>();
      for (const text of notifications) {
        const { id } = JSON.parse(text) as NotificationFrame;
        byId.set(id, [...(byId.get(id) ?? []), text]);
      }
      return byId;
    },
    close: () => socket.close(),
  };
}

export async function connectClients(runtime: LocalRuntime, count: number, prefix: string): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await connectClient(runtime, `${prefix}${i}`));
  return clients;
}

/** Publishes topic notifications with the EventBridge SDK client, as a backend would. */
export async function publish(runtime: LocalRuntime, notifications: ReadonlyArray<{ topic: string; id: string; data: unknown }>): Promise<void> {
  const client = new EventBridgeClient({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (let i = 0; i < notifications.length; i += 10) {
      const out = await client.send(new PutEventsCommand({
        Entries: notifications.slice(i, i + 10).map((n) => ({
          EventBusName: runtime.eventBusName,
          Source: 'faults.test',
          DetailType: runtime.settings.detailType,
          Detail: JSON.stringify(n),
        })),
      }));
      if (out.FailedEntryCount) throw new Error(`PutEvents refused ${out.FailedEntryCount} entries`);
    }
  } finally {
    client.destroy();
  }
}

/** Waits until `check` passes (frames in flight over the sockets), or fails with its last error. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
