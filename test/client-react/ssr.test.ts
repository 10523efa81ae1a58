/**
 * The React bindings during a server render: renderToString works, every hook answers its
 * initial value, and nothing connects (no WebSocket is constructed, and no global one is needed).
 */
import { createElement as h, StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import type { WebSocketLike } from 'cdk-realtime-notifications-client';
import {
  RealtimeProvider, useConnectionState, useHistory, usePresence, usePublish, useRealtimeClient, useSubscription,
} from '../../client-react/src';

function Page() {
  const state = useConnectionState();
  const sub = useSubscription('rooms/lobby');
  const presence = usePresence('rooms/lobby');
  const history = useHistory('rooms/lobby');
  usePublish('rooms/lobby');
  const client = useRealtimeClient();
  return h('p', null, [
    `state=${state}`, `ready=${sub.ready}`, `notifications=${sub.notifications.length}`, `members=${presence.count}`,
    `history=${history.notifications.length}`, `loading=${history.loading}`, `client=${client === undefined ? 'none' : 'some'}`,
  ].join(' '));
}

test('renders on the server without opening a socket', () => {
  let sockets = 0;
  class CountingWebSocket {
    constructor() {
      sockets++;
    }
  }
  const html = renderToString(h(StrictMode, null, h(RealtimeProvider, {
    options: { url: 'ws://127.0.0.1:9/never', token: () => 'never-called', WebSocket: CountingWebSocket as unknown as new () => WebSocketLike },
  }, h(Page))));
  expect(html).toBe('<p>state=connecting ready=false notifications=0 members=0 history=0 loading=true client=none</p>');
  expect(sockets).toBe(0);
});

test('needs no global WebSocket on the server', () => {
  const global = globalThis as { WebSocket?: unknown };
  const saved = global.WebSocket; // Node 22 has one
  delete global.WebSocket;
  try {
    expect(() => renderToString(h(RealtimeProvider, { options: { url: 'wss://example.com' } }, h(Page)))).not.toThrow();
  } finally {
    if (saved) global.WebSocket = saved;
  }
});

test('usePublish rejects with CLOSED outside a mounted provider', async () => {
  let publish!: ReturnType<typeof usePublish>;
  function Publisher() {
    publish = usePublish('rooms/lobby');
    return null;
  }
  renderToString(h(Publisher));
  await expect(publish('hi')).rejects.toMatchObject({ code: 'CLOSED' });
});
