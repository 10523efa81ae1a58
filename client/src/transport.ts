/**
 * How the token travels: in the query string, since browsers cannot set headers on a WebSocket
 * (docs/protocol.md, Authentication). The one place that decides it: returns the URL and the
 * subprotocols to open the socket with.
 */
export function socketArgs(url: string, token: string | undefined): [string, string[]?] {
  if (token === undefined) return [url];
  return [`${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`];
}
