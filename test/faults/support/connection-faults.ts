/**
 * A scripted FaultInjector for the @connections API: per connection, the answers its next
 * posts get (a 429, a 500, a reset socket, a delay), then normal service; or a fault that never
 * ends. Counts every post per connection, so tests can tell retries from re-sends.
 */
import type { FaultAction, FaultInjector } from '../../../local/connections-api';

export class ConnectionFaultPlan {
  private readonly scripts = new Map<string, FaultAction[]>();
  private readonly forever = new Map<string, FaultAction>();
  private readonly posts = new Map<string, number>();
  private readonly listeners: Array<(connectionId: string, total: number) => void> = [];
  private total = 0;

  /** The next posts to `connectionId` get these answers, one each, in order. */
  script(connectionId: string, actions: FaultAction[]): this {
    this.scripts.set(connectionId, [...actions]);
    return this;
  }

  /** Every post to `connectionId` gets this answer. */
  always(connectionId: string, action: FaultAction): this {
    this.forever.set(connectionId, action);
    return this;
  }

  /** Called on every post, after counting it. */
  onPost(listener: (connectionId: string, total: number) => void): this {
    this.listeners.push(listener);
    return this;
  }

  postsTo(connectionId: string): number {
    return this.posts.get(connectionId) ?? 0;
  }

  reset(): void {
    this.scripts.clear();
    this.forever.clear();
    this.posts.clear();
    this.listeners.length = 0;
    this.total = 0;
  }

  readonly injector: FaultInjector = (method, connectionId) => {
    if (method !== 'POST') return undefined;
    this.posts.set(connectionId, this.postsTo(connectionId) + 1);
    this.total++;
    for (const listener of this.listeners) listener(connectionId, this.total);
    const always = this.forever.get(connectionId);
    if (always) return always;
    return this.scripts.get(connectionId)?.shift();
  };
}
