/**
 * React bindings for cdk-realtime-notifications-client: one client per <RealtimeProvider>, and
 * hooks that subscribe while a component is mounted. Safe under StrictMode (subscriptions are
 * counted per topic, and a double mount sends one subscribe) and on the server (nothing
 * connects during a server render: the client is opened in an effect).
 */
import {
  createContext, createElement, ReactNode, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore,
} from 'react';
import {
  connect, ConnectionState, ConnectOptions, HistoryPage, InboxPage, Notification, Position, PresenceEvent, Published, RealtimeClient, RealtimeError,
} from 'cdk-realtime-notifications-client';
import { Hub } from './hub';

export { Hub } from './hub';
export type { TopicListener } from './hub';

const RealtimeContext = createContext<Hub | undefined>(undefined);

export interface RealtimeProviderProps {
  /**
   * Opens one client with these options when the provider mounts (never on the server) and
   * closes it when it unmounts. A new `url` opens a new client; other changes (a new `token`
   * function on each render, say) do not reconnect: the latest `token` is called on each connect.
   */
  readonly options?: ConnectOptions;
  /** Or a client your app opened itself; the provider never closes it. */
  readonly client?: RealtimeClient;
  readonly children?: ReactNode;
}

/** Holds the app's one realtime client for the hooks below it. */
export function RealtimeProvider({ options, client, children }: RealtimeProviderProps) {
  const [hub, setHub] = useState<Hub>();
  const latest = useRef(options);
  latest.current = options;
  const url = options?.url;
  useEffect(() => {
    const current = latest.current;
    if (!client && !current) throw new TypeError('RealtimeProvider needs `options` (to open a client) or a `client`.');
    const token = current?.token;
    const own = client ? undefined : connect({ ...current!, ...(token ? { token: () => (latest.current?.token ?? token)() } : {}) });
    const created = new Hub(client ?? own!);
    setHub(created);
    return () => {
      created.dispose();
      own?.close();
    };
  }, [client, url]);
  return createElement(RealtimeContext.Provider, { value: hub }, children);
}

/** The provider's client: undefined during a server render and before the provider's first effect. */
export function useRealtimeClient(): RealtimeClient | undefined {
  return useContext(RealtimeContext)?.client;
}

const noop = () => undefined;

/** The client's connection state; `connecting` on the server and until the client exists. */
export function useConnectionState(): ConnectionState {
  const client = useRealtimeClient();
  const subscribe = useCallback((onChange: () => void) => (client ? client.on('state', onChange) : noop), [client]);
  return useSyncExternalStore(subscribe, () => client?.state ?? 'connecting', () => 'connecting');
}

export interface UseSubscriptionOptions {
  /** Called with each notification as it arrives (besides the returned list). */
  readonly onNotification?: (n: Notification) => void;
  /** How many of the latest notifications the returned list keeps. @default 100 */
  readonly keep?: number;
}

export interface SubscriptionState {
  /** The notifications handed over since the subscription started, oldest first, at most `keep`. */
  readonly notifications: readonly Notification[];
  /** The latest one. */
  readonly last?: Notification;
  /** The server accepted the subscription. */
  readonly ready: boolean;
  /** The server refused it (FORBIDDEN, say). */
  readonly error?: RealtimeError;
}

interface Keyed<T> {
  readonly topic: string | undefined;
  readonly value: T;
}

/** State of one topic: starts again from `initial` when the topic changes. */
function useTopicState<T>(topic: string | undefined, initial: () => T): [T, (update: (value: T) => T, forTopic: string) => void] {
  const [state, setState] = useState<Keyed<T>>(() => ({ topic, value: initial() }));
  const value = state.topic === topic ? state.value : initial();
  const wanted = useRef(topic);
  wanted.current = topic;
  const update = useCallback((change: (value: T) => T, forTopic: string) => {
    if (forTopic !== wanted.current) return; // a late answer about the topic before
    setState((s) => ({ topic: forTopic, value: change(s.topic === forTopic ? s.value : initial()) }));
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return [value, update];
}

const EMPTY: SubscriptionState = { notifications: [], ready: false };

/**
 * Subscribes to `topic` while the component is mounted (nothing for `undefined`), with every
 * guarantee of the client: resubscribed from its position after reconnects, each notification
 * once. Components subscribing to the same topic share one subscription.
 */
export function useSubscription(topic: string | undefined, options: UseSubscriptionOptions = {}): SubscriptionState {
  const hub = useContext(RealtimeContext);
  const [state, update] = useTopicState<SubscriptionState>(topic, () => EMPTY);
  const onNotification = useRef(options.onNotification);
  onNotification.current = options.onNotification;
  const keep = options.keep ?? 100;
  useEffect(() => {
    if (!hub || topic === undefined) return;
    return hub.acquire(topic, {
      notification: (n) => {
        onNotification.current?.(n);
        update((s) => ({ ...s, notifications: [...s.notifications, n].slice(-keep), last: n }), topic);
      },
      ready: () => update((s) => ({ ...s, ready: true, error: undefined }), topic),
      error: (error) => update((s) => ({ ...s, ready: false, error }), topic),
    });
  }, [hub, topic, keep, update]);
  return state;
}

export interface PresenceState {
  /** Who is on the topic, in user id order (up to the server's `maxPresenceMembers`). */
  readonly members: ReadonlyArray<{ readonly userId: string; readonly connections: number }>;
  /** Members in all, listed or not. */
  readonly count: number;
  /** The first answer came. */
  readonly loaded: boolean;
  readonly error?: RealtimeError;
}

const NOBODY: PresenceState = { members: [], count: 0, loaded: false };

/**
 * Who is on `topic` (a topic the presence rules cover): asks once subscribed, again after each
 * reconnect, and applies joins and leaves as they come. Subscribes to the topic while mounted.
 */
export function usePresence(topic: string | undefined): PresenceState {
  const hub = useContext(RealtimeContext);
  const [state, update] = useTopicState<PresenceState>(topic, () => NOBODY);
  useEffect(() => {
    if (!hub || topic === undefined) return;
    let live = true;
    const ask = () => hub.client.presence(topic).then(
      ({ members, count }) => live && update(() => ({ members, count, loaded: true }), topic),
      (error: RealtimeError) => live && update((s) => ({ ...s, error }), topic),
    );
    const apply = (e: PresenceEvent) => update((s) => {
      const others = s.members.filter((m) => m.userId !== e.userId);
      const here = others.length < s.members.length;
      if (e.event === 'leave') return here ? { ...s, members: others, count: Math.max(0, s.count - 1) } : s;
      if (here) return s;
      const members = [...others, { userId: e.userId, connections: 1 }].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
      return { ...s, members, count: s.count + 1 };
    }, topic);
    let wasAway = false;
    const stopState = hub.client.on('state', (s) => {
      if (s === 'reconnecting') wasAway = true;
      else if (s === 'open' && wasAway) {
        wasAway = false;
        void ask();
      }
    });
    const release = hub.acquire(topic, { ready: () => void ask(), presence: apply, error: (error) => update((s) => ({ ...s, error }), topic) });
    return () => {
      live = false;
      stopState();
      release();
    };
  }, [hub, topic, update]);
  return state;
}

/** What the hooks' functions answer before the provider's client exists. */
function noClientYet(what: string): Promise<never> {
  return Promise.reject(new RealtimeError('CLOSED', `No client yet: ${what} from an event handler or an effect inside a mounted <RealtimeProvider>.`));
}

/**
 * A function that publishes to `topic` (where the publish rules allow it): resolves with the
 * server's answer, rejects with a RealtimeError (RATE_LIMITED, FORBIDDEN…). Stable while the
 * topic and the client stay the same.
 */
export function usePublish(topic: string): (data: unknown, options?: { echo?: boolean }) => Promise<Published> {
  const client = useRealtimeClient();
  return useCallback((data: unknown, options?: { echo?: boolean }) => (client ? client.publish(topic, data, options) : noClientYet('publish')), [client, topic]);
}

export interface HistoryState {
  /** The pages loaded so far, oldest first. */
  readonly notifications: readonly Notification[];
  /** Whether older notifications are kept than the first one loaded. */
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly error?: RealtimeError;
  /** Loads the page before the first one loaded. */
  readonly loadMore: () => void;
}

type HistoryData = Omit<HistoryState, 'loadMore'>;
const NO_HISTORY: HistoryData = { notifications: [], hasMore: false, loading: true };

/** The latest `limit` kept notifications of `topic` (a topic the history rules cover), and older pages on demand. */
export function useHistory(topic: string | undefined, options: { limit?: number } = {}): HistoryState {
  const client = useRealtimeClient();
  const [state, update] = useTopicState<HistoryData>(topic, () => NO_HISTORY);
  const limit = options.limit ?? 50;
  const current = useRef(state);
  current.current = state;
  const load = useCallback((page: () => Promise<HistoryPage>, forTopic: string, older: boolean) => {
    update((s) => ({ ...s, loading: true }), forTopic);
    page().then(
      ({ notifications, hasMore }) => update((s) => ({
        notifications: older ? [...notifications, ...s.notifications] : notifications, hasMore, loading: false,
      }), forTopic),
      (error: RealtimeError) => update((s) => ({ ...s, loading: false, error }), forTopic),
    );
  }, [update]);
  useEffect(() => {
    if (!client || topic === undefined) return;
    load(() => client.history(topic, { limit }), topic, false);
  }, [client, topic, limit, load]);
  const loadMore = useCallback(() => {
    const first = current.current.notifications[0];
    if (!client || topic === undefined || current.current.loading || !current.current.hasMore || first?.seq === undefined) return;
    load(() => client.history(topic, { before: first.seq, limit }), topic, true);
  }, [client, topic, limit, load]);
  return { ...state, loadMore };
}

/** A notification of the user's inbox, with its read state. */
export type InboxItem = InboxPage['notifications'][number];

export interface InboxState {
  /** Notifications not read, kept current on every device; undefined until the server said. */
  readonly unread?: number;
  /** The latest page and the older ones loaded, oldest first; new ones are added as they arrive. */
  readonly notifications: readonly InboxItem[];
  /** Whether older notifications are kept than the first one loaded. */
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly error?: RealtimeError;
  /** Loads the page before the first one loaded. */
  readonly loadMore: () => void;
  /** Marks read these ids, or everything up to a position; resolves with the unread count. */
  readonly markRead: (what: readonly string[] | Position) => Promise<number>;
  /** Marks everything read. */
  readonly markAllRead: () => Promise<number>;
}

type InboxData = Omit<InboxState, 'unread' | 'loadMore' | 'markRead' | 'markAllRead'>;
const NO_INBOX: InboxData = { notifications: [], hasMore: false, loading: true };

/** `page` merged into `items` by id (a reload's read state wins), in stream order. */
function merged(items: readonly InboxItem[], page: readonly InboxItem[]): readonly InboxItem[] {
  const byId = new Map(items.map((n) => [n.id, n]));
  for (const n of page) byId.set(n.id, n);
  return [...byId.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

/**
 * The user's inbox (their own stream, kept 30 days by default): the unread count, live on every
 * device; the latest `limit` notifications with their read state, new ones added as they arrive
 * and older pages on `loadMore()`; `markRead` and `markAllRead`. When the count drops (a
 * mark-read here or on another device), the latest page is read again for its read state.
 */
export function useInbox(options: { limit?: number } = {}): InboxState {
  const client = useRealtimeClient();
  const limit = options.limit ?? 20;
  const [data, setData] = useState<InboxData>(NO_INBOX);
  const [unread, setUnread] = useState<number>();
  const current = useRef(data);
  current.current = data;
  const loader = useRef<(before?: number) => void>(noop);
  useEffect(() => {
    if (!client) return;
    let live = true;
    let shown: number | undefined;
    const update = (change: (s: InboxData) => InboxData) => live && setData(change);
    const load = loader.current = (before?: number) => {
      update((s) => ({ ...s, loading: true }));
      client.inbox.page({ before, limit }).then(
        // A reload of the latest page leaves what is known of older pages as it is.
        (page) => update((s) => ({ notifications: merged(s.notifications, page.notifications), hasMore: before === undefined && s.notifications.length > 0 ? s.hasMore : page.hasMore, loading: false })),
        (error: RealtimeError) => update((s) => ({ ...s, loading: false, error })),
      );
    };
    const stops = [
      client.inbox.on('unread', (count) => {
        if (shown !== undefined && count < shown) load();
        shown = count;
        setUnread(count);
      }),
      // Only notifications to the user are kept in the inbox: broadcasts are not.
      client.onUserNotification((n) => n.userId !== undefined && update((s) => ({ ...s, notifications: merged(s.notifications, [{ ...n, type: 'notification', read: false }]) }))),
      client.on('state', (state) => state === 'open' && shown !== undefined && load()), // back after a reconnect
    ];
    load();
    return () => {
      live = false;
      loader.current = noop;
      stops.forEach((stop) => stop());
      setData(NO_INBOX);
    };
  }, [client, limit]);
  const loadMore = useCallback(() => {
    const { notifications, loading, hasMore } = current.current;
    if (!loading && hasMore && notifications[0]?.seq !== undefined) loader.current(notifications[0].seq);
  }, []);
  const markRead = useCallback((what: readonly string[] | Position) => (client ? client.inbox.markRead(what) : noClientYet('mark read')), [client]);
  const markAllRead = useCallback(() => (client ? client.inbox.markAllRead() : noClientYet('mark read')), [client]);
  return { ...data, unread, loadMore, markRead, markAllRead };
}

export type { ConnectionState, ConnectOptions, InboxPage, Notification, Position, PresenceEvent, Published, RealtimeClient, RealtimeError };
