/**
 * The React app of react.browser.test.ts, bundled with React, the bindings and the client:
 * a StrictMode tree with one provider, a topic panel whose topic the test switches, and a chat
 * room (publish, presence, history), and an inbox bell. window.app lets the test drive it.
 */
import { createElement as h, StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  RealtimeProvider, useConnectionState, useHistory, useInbox, usePresence, usePublish, useSubscription,
} from '../../client-react/src';

const params = new URLSearchParams(location.search);
const userId = params.get('user') ?? 'alice';
const room = params.get('room') ?? 'rooms/react';
const wsUrl = params.get('ws') ?? `ws://${location.host}/local`; // the local runtime's stage

declare global {
  interface Window {
    app: {
      setTopic(topic: string | undefined): void;
      /** Mounts a second subscriber of `topic`, once the client is open: StrictMode mounts it twice. */
      showLate(topic: string): void;
      say(text: string): Promise<unknown>;
      markRead(ids: string[]): Promise<number>;
      markAllRead(): Promise<number>;
      unmount(): void;
    };
  }
}

function Late({ topic }: { topic: string }) {
  const { notifications, ready } = useSubscription(topic);
  return h('ul', { id: 'late', 'data-ready': String(ready) }, notifications.map((n) => h('li', { key: n.id }, JSON.stringify(n.data))));
}

function LateSlot() {
  const [topic, setTopic] = useState<string>();
  useEffect(() => {
    window.app.showLate = setTopic;
  }, []);
  return topic ? h(Late, { topic }) : null;
}

function TopicPanel() {
  const [topic, setTopic] = useState<string | undefined>(params.get('topic') ?? undefined);
  const { notifications, ready, error } = useSubscription(topic);
  useEffect(() => {
    window.app.setTopic = setTopic;
  }, []);
  return h('section', null,
    h('p', { id: 'topic', 'data-ready': String(ready), 'data-error': error?.code ?? '' }, topic ?? '(none)'),
    h('ul', { id: 'messages' }, notifications.map((n) => h('li', { key: n.id }, `${n.topic}: ${JSON.stringify(n.data)}`))));
}

function Chat() {
  const { notifications } = useSubscription(room);
  const presence = usePresence(room);
  const history = useHistory(room, { limit: 10 });
  const say = usePublish(room);
  useEffect(() => {
    window.app.say = (text) => say({ text }, { echo: true });
  }, [say]);
  return h('section', null,
    h('p', { id: 'members', 'data-loaded': String(presence.loaded) }, presence.members.map((m) => m.userId).join(',')),
    h('ul', { id: 'history', 'data-loading': String(history.loading) }, history.notifications.map((n) => h('li', { key: n.id }, (n.data as { text: string }).text))),
    h('ul', { id: 'chat' }, notifications.map((n) => h('li', { key: n.id }, `${n.from}: ${(n.data as { text: string }).text}`))));
}

/** The bell: the unread count and the inbox's notifications with their read state. */
function Inbox() {
  const inbox = useInbox({ limit: 10 });
  useEffect(() => {
    window.app.markRead = inbox.markRead;
    window.app.markAllRead = inbox.markAllRead;
  }, [inbox.markRead, inbox.markAllRead]);
  return h('section', null,
    h('p', { id: 'unread' }, inbox.unread === undefined ? '?' : String(inbox.unread)),
    h('ul', { id: 'inbox', 'data-loading': String(inbox.loading) },
      inbox.notifications.map((n) => h('li', { key: n.id }, `${n.id}${n.read ? ' (read)' : ''}`))));
}

function State() {
  return h('p', { id: 'state' }, useConnectionState());
}

const notMounted = () => Promise.reject(new Error('not mounted'));
window.app = { setTopic: () => undefined, showLate: () => undefined, say: notMounted, markRead: notMounted, markAllRead: notMounted, unmount: () => undefined };
const root = createRoot(document.getElementById('root')!);
window.app.unmount = () => root.unmount();
root.render(h(StrictMode, null,
  h(RealtimeProvider, {
    options: {
      url: wsUrl,
      token: async () => ((await (await fetch(`/dev/token?userId=${encodeURIComponent(userId)}`)).json()) as { token: string }).token,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    },
  }, h(State), h(TopicPanel), h(LateSlot), params.has('chat') ? h(Chat) : null, params.has('inbox') ? h(Inbox) : null)));
