import type { Notification, PresenceEvent, RealtimeClient, RealtimeError, Subscription } from 'cdk-realtime-notifications-client';

/** What one hook wants to hear about a topic. */
export interface TopicListener {
  notification?(n: Notification): void;
  presence?(e: PresenceEvent): void;
  /** The server accepted the subscription (at once, when it already had). */
  ready?(): void;
  /** The server refused it (FORBIDDEN, say). */
  error?(error: RealtimeError): void;
}

interface Entry {
  readonly listeners: Set<TopicListener>;
  readonly subscription: Subscription;
  readonly stopPresence: () => void;
  ready: boolean;
  error?: RealtimeError;
  /** An unsubscribe waiting to see whether the topic is wanted again right away. */
  releasing?: ReturnType<typeof setTimeout>;
}

/**
 * The provider's one client and its subscriptions, counted per topic: the first hook that wants
 * a topic subscribes, the last one that lets go unsubscribes. Letting go is deferred one task,
 * so a StrictMode double mount (mount, unmount, mount) or a component that re-renders with the
 * same topic never sends unsubscribe-subscribe, and fast topic changes leave exactly the last
 * topic subscribed.
 */
export class Hub {
  private readonly topics = new Map<string, Entry>();
  private disposed = false;

  constructor(readonly client: RealtimeClient) {}

  /** Starts listening to `topic`; returns the function that stops. */
  acquire(topic: string, listener: TopicListener): () => void {
    if (this.disposed) return () => undefined;
    const entry = this.topics.get(topic) ?? this.open(topic);
    clearTimeout(entry.releasing);
    entry.releasing = undefined;
    entry.listeners.add(listener);
    if (entry.ready) queueMicrotask(() => entry.listeners.has(listener) && listener.ready?.());
    else if (entry.error) queueMicrotask(() => entry.listeners.has(listener) && listener.error?.(entry.error!));
    return () => {
      if (!entry.listeners.delete(listener) || entry.listeners.size > 0 || this.topics.get(topic) !== entry) return;
      entry.releasing = setTimeout(() => this.close(topic, entry));
    };
  }

  /** The provider unmounted: every subscription ends (the client is closed, or the app's own). */
  dispose(): void {
    this.disposed = true;
    this.topics.forEach((entry, topic) => this.close(topic, entry));
  }

  /** How many topics are subscribed (for tests and devtools). */
  get size(): number {
    return this.topics.size;
  }

  private open(topic: string): Entry {
    const listeners = new Set<TopicListener>();
    const subscription = this.client.subscribe(topic, (n) => listeners.forEach((l) => l.notification?.(n)));
    const stopPresence = this.client.onPresence(topic, (e) => listeners.forEach((l) => l.presence?.(e)));
    const entry: Entry = { listeners, subscription, stopPresence, ready: false };
    subscription.ready.then(
      () => {
        entry.ready = true;
        listeners.forEach((l) => l.ready?.());
      },
      (error: RealtimeError) => {
        entry.error = error;
        listeners.forEach((l) => l.error?.(error));
      },
    );
    this.topics.set(topic, entry);
    return entry;
  }

  private close(topic: string, entry: Entry): void {
    clearTimeout(entry.releasing);
    if (this.topics.get(topic) !== entry) return;
    this.topics.delete(topic);
    entry.stopPresence();
    entry.subscription.unsubscribe();
  }
}
