/**
 * The per-user connection limit, checked on $connect. Each user's open connections are a set
 * (lambda/stores/user-connections-store.ts) that a connection joins with one conditional write,
 * so racing connects of one user can never pass the limit together. Only when the set is full are
 * its connections asked for (GET @connections): those API Gateway no longer has (closed without
 * $disconnect) are forgotten and their places freed, then the connect tries once more. So a
 * connection that dropped without $disconnect never counts against its user for long.
 */
import { forEachConcurrently } from '../runtime/concurrent';
import type { PostResult } from '../fanout/fanout';

export interface ConnectionLimitDeps {
  /** Adds the connection to the user's set unless the set holds `max` already; false when full. */
  readonly admit: (userId: string, connectionId: string, max: number) => Promise<boolean>;
  /** The ids in the user's set. */
  readonly connectionsOf: (userId: string) => Promise<string[]>;
  /** Whether API Gateway still has the connection (`delivered`), has not (`gone`), or could not say. */
  readonly probe: (connectionId: string) => Promise<PostResult>;
  /**
   * Forgets a connection API Gateway answered 410 for, with its place in the user's set; false
   * when its $connect may still be running (a 410 then proves nothing), and nothing is forgotten.
   */
  readonly forgetGone: (userId: string, connectionId: string) => Promise<boolean>;
}

export type ConnectionLimitVerdict =
  | { readonly allowed: true; readonly forgotten: number }
  | { readonly allowed: false; readonly open: number };

/** Probes at once, at most. */
const PROBE_CONCURRENCY = 8;

export async function admitConnection(userId: string, connectionId: string, max: number, deps: ConnectionLimitDeps): Promise<ConnectionLimitVerdict> {
  if (await deps.admit(userId, connectionId, max)) return { allowed: true, forgotten: 0 };
  const recorded = (await deps.connectionsOf(userId)).filter((id) => id !== connectionId);
  let open = 0;
  let forgotten = 0;
  await forEachConcurrently(recorded, PROBE_CONCURRENCY, async (id) => {
    const answer = await deps.probe(id);
    // Open, opening, or unknown: counted, so a failing probe never lets the limit be passed.
    if (answer.status === 'gone' && await deps.forgetGone(userId, id)) forgotten++;
    else open++;
  });
  if (forgotten === 0) return { allowed: false, open };
  // Places were freed, but a racing connect may have taken them first: the set decides again.
  return await deps.admit(userId, connectionId, max) ? { allowed: true, forgotten } : { allowed: false, open };
}
