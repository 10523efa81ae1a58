/**
 * Which Web Push endpoints may be posted to: a subscription's endpoint is a URL a client gave,
 * so only https URLs of the listed push service hosts are accepted (`push.allowedEndpoints`).
 * Plain data and pure functions, for the construct's validation and the handlers alike.
 */
import { isLoopbackHost } from './loopback';

/**
 * The entry that also admits plain http to this machine. Only the local runtime lists it (its
 * own push service, and tests' servers): the construct refuses it as an allowed endpoint.
 */
export const LOOPBACK_HTTP_ENDPOINTS = 'http://loopback';

/** Longest endpoint accepted: real ones are a few hundred characters. */
export const MAX_PUSH_ENDPOINT_LENGTH = 1024;

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${HOST_LABEL}(?:\\.${HOST_LABEL})+$`);

/** Why an entry of `push.allowedEndpoints` is not a host pattern, or undefined when it is one. */
export function allowedEndpointProblem(entry: string): string | undefined {
  return HOST_PATTERN.test(entry) ? undefined : 'is not a lower-case host name with at least one dot, optionally starting with "*."';
}

/** Whether `hostname` is `pattern`, or for `*.example.com` any subdomain of example.com. */
function hostMatches(hostname: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1 : hostname === pattern;
}

/** Why an endpoint may not be posted to (in words for the client), or undefined when it may. */
export function pushEndpointProblem(endpoint: string, allowed: readonly string[]): string | undefined {
  if (endpoint.length > MAX_PUSH_ENDPOINT_LENGTH) return `The endpoint is longer than ${MAX_PUSH_ENDPOINT_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'The endpoint is not a URL; pass the PushSubscription the browser gave (its "endpoint" is an https URL).';
  }
  if (url.username !== '' || url.password !== '') return 'The endpoint may not carry a user name or password.';
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname) && allowed.includes(LOOPBACK_HTTP_ENDPOINTS)) return undefined;
  const hosts = allowed.filter((entry) => entry !== LOOPBACK_HTTP_ENDPOINTS);
  if (url.protocol !== 'https:' || url.port !== '' || !hosts.some((pattern) => hostMatches(url.hostname, pattern))) {
    return `The endpoint must be an https URL of a push service this server accepts (${hosts.join(', ')}); ${JSON.stringify(url.origin)} is not one.`;
  }
  return undefined;
}
