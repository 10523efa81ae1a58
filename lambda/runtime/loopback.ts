/**
 * Whether a URL is plain http to this machine. Plain http is accepted only there (the local
 * runtime's issuer and @connections API): anywhere else, what is sent could be read or swapped
 * in transit.
 */

/** localhost, [::1] and 127.0.0.0/8, as URL parses them (an IPv6 host keeps its brackets). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export function isLoopbackHttpUrl(url: string | URL): boolean {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return false;
  }
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}
