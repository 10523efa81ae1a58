/**
 * The per-user connection limit, checked on $connect. The byUser index lists the user's
 * connections; only when they reach the limit are they asked for (GET @connections), and those
 * API Gateway no longer knows are forgotten first. So a connection that dropped without
 * $disconnect never counts against its user.
 *
 * The index is eventually consistent: connects of one user racing within a fraction of a second
 * may each see the others missing, so the limit holds to within that race.
 */
import { forEachConcurrently } from './concurrent';
import type { PostResult } from './fanout';

export interface ConnectionLimitDeps {
  /** Every open connection of the user, as recorded. */
  readonly connectionsOf: (userId: string) => Promise<string[]>;
  /** Whether API Gateway still has the connection (`delivered`), has not (`gone`), or could not say. */
  readonly probe: (connectionId: string) => Promise<PostResult>;
  /** Forgets a connection API Gateway no longer has (its rows and presence). */
  readonly forget: (connectionId: string) => Promise<void>;
}

export type ConnectionLimitVerdict =
  | { readonly allowed: true; readonly forgotten: number }
  | { readonly allowed: false; readonly open: number };

/** Probes at once, at most. */
const PROBE_CONCURRENCY = 8;

export async function checkConnectionLimit(userId: string, max: number, deps: ConnectionLimitDeps): Promise<ConnectionLimitVerdict> {
  const recorded = await deps.connectionsOf(userId);
  if (recorded.length < max) return { allowed: true, forgotten: 0 };
  let open = 0;
  let forgotten = 0;
  await forEachConcurrently(recorded, PROBE_CONCURRENCY, async (connectionId) => {
    const answer = await deps.probe(connectionId);
    if (answer.status === 'gone') {
      await deps.forget(connectionId);
      forgotten++;
    } else {
      // Open, or unknown: counted, so a failing probe never lets the limit be passed.
      open++;
    }
  });
  return open < max ? { allowed: true, forgotten } : { allowed: false, open };
}
