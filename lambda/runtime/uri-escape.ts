/**
 * Percent-encoding as the AWS SDK does it for path labels and SigV4's canonical URIs (RFC 3986):
 * encodeURIComponent, and !'()* too.
 */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
