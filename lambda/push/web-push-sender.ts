/**
 * Sends one Web Push message: the `web-push` library encrypts the payload (RFC 8291, aes128gcm)
 * and signs the request (VAPID, RFC 8292); the request itself is made here with fetch, with a
 * timeout and no redirects followed, and only to an endpoint the allow-list admits, checked
 * again at send time.
 */
import { createHash } from 'node:crypto';
import type { generateRequestDetails } from 'web-push';
import { pushEndpointProblem } from '../../lib/private/push-endpoints';

export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
  /** A mailto: or https: URL the push service may contact. */
  readonly subject: string;
}

export interface WebPushTarget {
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

export interface WebPushOptions {
  readonly ttlSeconds: number;
  readonly urgency?: 'very-low' | 'low' | 'normal' | 'high';
  /**
   * The same for every push of one notification (32 base64url characters at most): a push service
   * replaces an undelivered push of the same key (Web Push `Topic`, APNs collapse id), so a
   * notification delivered again is not shown twice.
   */
  readonly collapseKey?: string;
}

/** A notification's collapse key: 32 base64url characters, as Web Push's `Topic` allows at most. */
export function collapseKeyOf(notificationId: string): string {
  return createHash('sha256').update(notificationId).digest('base64url').slice(0, 32);
}

/**
 * What became of one push: `sent`; `gone` (404/410: the subscription expired or was revoked);
 * `retry` (429, 5xx, a network failure or timeout), with the wait the service asked for; or
 * `failed` for good (another answer: the push would be refused again).
 */
export type PushOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterSeconds?: number }
  | { readonly kind: 'failed'; readonly reason: string };

export type Fetch = (url: string, init: RequestInit) => Promise<Pick<Response, 'status' | 'headers'> & { arrayBuffer(): Promise<ArrayBuffer> }>;

/** Long enough for a push service under load; short against a deliver timeout of a minute. */
const REQUEST_TIMEOUT_MS = 10_000;

export class WebPushSender {
  constructor(
    private readonly vapid: () => Promise<VapidKeys>,
    private readonly allowedEndpoints: readonly string[],
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async send(target: WebPushTarget, payload: string, options: WebPushOptions): Promise<PushOutcome> {
    const problem = pushEndpointProblem(target.endpoint, this.allowedEndpoints);
    if (problem !== undefined) return { kind: 'failed', reason: `ENDPOINT_NOT_ALLOWED: ${problem}` };
    const vapid = await this.vapid();
    // Loaded on the first push: most deliver instances never push, and init stays short.
    const webPush = await import('web-push');
    let request: ReturnType<typeof generateRequestDetails>;
    try {
      request = webPush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, payload, {
        vapidDetails: vapid,
        TTL: options.ttlSeconds,
        urgency: options.urgency ?? 'normal',
        contentEncoding: 'aes128gcm',
        ...(options.collapseKey !== undefined ? { topic: options.collapseKey } : {}),
      });
    } catch (error) {
      // A key that is no point of the curve, say: no push to this subscription can ever be encrypted.
      return { kind: 'failed', reason: `BAD_SUBSCRIPTION: ${(error as Error).message.slice(0, 200)}` };
    }
    let response: Awaited<ReturnType<Fetch>>;
    try {
      response = await this.fetchImpl(request.endpoint, {
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ? new Uint8Array(request.body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.arrayBuffer();
    } catch (error) {
      return { kind: 'retry', reason: `NETWORK: ${(error as Error).name}` };
    }
    return outcomeOf(response.status, response.headers.get('retry-after'));
  }
}

export function outcomeOf(status: number, retryAfter: string | null): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (status === 404 || status === 410) return { kind: 'gone', status };
  if (status === 429 || status >= 500) {
    const seconds = retryAfter !== null && /^\d{1,6}$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
    return { kind: 'retry', reason: status === 429 ? 'THROTTLED' : `SERVER_ERROR ${status}`, ...(seconds !== undefined && { retryAfterSeconds: seconds }) };
  }
  return { kind: 'failed', reason: `REFUSED ${status}` };
}
