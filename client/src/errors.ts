import type { ErrorCode } from './protocol';

/** The server's error codes, and the client's own. */
export type RealtimeErrorCode = ErrorCode | 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'TOKEN_FAILED' | 'PAYLOAD_REFUSED' | 'KICKED';

/**
 * A refusal from the server (`code` as in the protocol: BAD_REQUEST, FORBIDDEN, RATE_LIMITED…)
 * or a failure of the client itself: TIMEOUT (no answer in time), DISCONNECTED (the connection
 * dropped before the answer came: the request may or may not have taken effect), CLOSED (the
 * client was closed), PAYLOAD_REFUSED (a payload sent by reference could not be fetched or failed
 * its size or SHA-256 check: that notification is not handed over),
 * KICKED (a backend ended this user's connections: the client is closed and does not reconnect on
 * its own).
 */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';

  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    /** With RATE_LIMITED: when the next message is accepted. */
    readonly retryAfterMs?: number,
    /** The topic the error is about, when it is about one. */
    readonly topic?: string,
  ) {
    super(message);
  }
}
