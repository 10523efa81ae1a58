/** The closes a server makes on its own, which the client's keep-alive is timed by. */
export interface ServerTimeouts {
  /** Connections with no message from the client for this long are closed. */
  readonly idleTimeoutMs: number;
  /** Every connection is closed after this long. */
  readonly maxConnectionMs: number;
}

/** The `pingIntervalMs` and `maxConnectionMs` options for a server. */
export interface KeepAliveTiming {
  readonly pingIntervalMs: number;
  readonly maxConnectionMs: number;
}

/** API Gateway's: 10 minutes idle, 2 hours in all. */
const API_GATEWAY: ServerTimeouts = { idleTimeoutMs: 600_000, maxConnectionMs: 7_200_000 };

/**
 * The client's timing for a server: a ping every half idle timeout, and each connection replaced
 * 5 minutes (at most a fifth of its life) before the server closes it. Without an argument,
 * API Gateway's, which are the client's defaults: 300000 and 6900000 (1 h 55 min).
 */
export function keepAliveTiming(server: ServerTimeouts = API_GATEWAY): KeepAliveTiming {
  const { idleTimeoutMs, maxConnectionMs } = server;
  for (const [name, value] of [['idleTimeoutMs', idleTimeoutMs], ['maxConnectionMs', maxConnectionMs]] as const) {
    if (!(value > 0)) throw new TypeError(`${name} must be a positive number of milliseconds; got ${value}.`);
  }
  return { pingIntervalMs: idleTimeoutMs / 2, maxConnectionMs: maxConnectionMs - Math.min(300_000, maxConnectionMs / 5) };
}
