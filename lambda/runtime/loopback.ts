/**
 * Whether a URL is plain http to this machine. Plain http is accepted only there (the local
 * runtime's issuer and @connections API): anywhere else, what is sent could be read or swapped
 * in transit.
 */
import { isLoopbackHost } from '../../lib/private/loopback';

export function isLoopbackHttpUrl(url: string | URL): boolean {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return false;
  }
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}
