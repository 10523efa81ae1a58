/** The subprotocol of the construct's API; its $connect answers with it. */
const API_SUBPROTOCOL = 'realtime.v1';
/** What a subprotocol may hold (an HTTP token): every JWT fits, "Bearer …" or quotes do not. */
const SUBPROTOCOL_CHARS = /^[\w!#$%&'*+.^`|~-]+$/;

/**
 * How the token travels: as a subprotocol beside `realtime.v1` (`token.<JWT>`), which browsers
 * and `ws` can both send, so that it stays out of URLs, access logs and history
 * (docs/protocol.md, Authentication). The one place that decides it: returns the URL and the
 * subprotocols to open the socket with; throws what is wrong with a token that cannot travel.
 */
export function socketArgs(url: string, token: unknown): [string, string[]] {
  if (typeof token !== 'string' || !SUBPROTOCOL_CHARS.test(token)) {
    throw new TypeError(typeof token === 'string'
      ? `it returned ${token ? 'a token with characters a WebSocket subprotocol cannot carry (a JWT has none); return the bare token, without "Bearer " or quotes' : 'an empty token'}`
      : `it returned ${String(token)} instead of the token string (is the user signed in?)`);
  }
  return [url, [API_SUBPROTOCOL, `token.${token}`]];
}
