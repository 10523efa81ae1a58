/**
 * A local Web Push service: it hands out subscriptions (an endpoint on this runtime and a key
 * pair it keeps, as a browser would), and takes Web Push requests to them as FCM or Mozilla's
 * service would: it checks the VAPID authorization against the runtime's VAPID public key,
 * decrypts the aes128gcm body with the subscription's private key (RFC 8291), and keeps what it
 * received for the demo page and tests. A request to an unknown subscription answers 410, as a
 * push service does for an expired one.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ece = require('http_ece') as { decrypt(body: Buffer, params: { version: string; privateKey: unknown; authSecret: string }): Buffer };
import { pathOf, sendJson } from '../http';
import { verifyVapid } from './vapid';

/** A Web Push message as delivered: at most 4096 bytes (RFC 8291). */
const MAX_PUSH_BODY_BYTES = 4096;
/** Received pushes kept for the demo; older ones are dropped. */
const MAX_KEPT = 200;

export interface LocalSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface ReceivedPush {
  readonly subscriptionId: string;
  readonly receivedAt: string;
  readonly ttl: number;
  readonly urgency: string;
  /** The decrypted message, parsed when it is JSON. */
  readonly payload: unknown;
}

export class LocalPushService {
  private readonly subscriptions = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: string }>();
  private readonly kept: ReceivedPush[] = [];

  /** `basePath` is where subscriptions' endpoints live on `baseUrl`, such as `/local/push`. */
  constructor(private readonly baseUrl: string, private readonly basePath: string, private readonly vapidPublicKey: string) {}

  /** A new subscription, as `pushManager.subscribe()` gives a browser one. */
  subscribe(): LocalSubscription {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    this.subscriptions.set(id, { ecdh, auth });
    return { endpoint: `${this.baseUrl}${this.basePath}/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } };
  }

  /** Ends a subscription: pushes to it are answered 410 from now on. */
  unsubscribe(endpoint: string): void {
    this.subscriptions.delete(endpoint.slice(endpoint.lastIndexOf('/') + 1));
  }

  received(): ReceivedPush[] {
    return [...this.kept];
  }

  /**
   * Serves `POST <basePath>/<id>` (a push), `POST <basePath>/subscriptions` (a new subscription,
   * for the demo page) and `GET <basePath>/received`; false for any other request.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = pathOf(req);
    if (!path.startsWith(`${this.basePath}/`)) return false;
    const rest = path.slice(this.basePath.length + 1);
    if (rest === 'received' && req.method === 'GET') return sendJson(res, 200, { pushes: this.received() }) > 0;
    if (rest === 'subscriptions' && req.method === 'POST') return sendJson(res, 201, this.subscribe()) > 0;
    if (req.method !== 'POST') return false;
    void this.receive(rest, req, res);
    return true;
  }

  private async receive(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const subscription = this.subscriptions.get(id);
    const body = await readRaw(req, MAX_PUSH_BODY_BYTES);
    if (subscription === undefined) return void sendJson(res, 410, { message: 'No such subscription (expired or unsubscribed).' });
    if (body === undefined) return void sendJson(res, 413, { message: `A push carries at most ${MAX_PUSH_BODY_BYTES} bytes.` });
    try {
      const vapid = verifyVapid(req.headers.authorization, new URL(this.baseUrl).origin);
      if (vapid.publicKey !== this.vapidPublicKey) throw new Error('k is not the application server key the subscription was made with');
    } catch (error) {
      return void sendJson(res, 403, { message: `VAPID: ${(error as Error).message}` });
    }
    if (req.headers['content-encoding'] !== 'aes128gcm') return void sendJson(res, 415, { message: 'Content-Encoding must be aes128gcm.' });
    let text: string;
    try {
      text = ece.decrypt(body, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth }).toString('utf8');
    } catch {
      return void sendJson(res, 400, { message: 'The body does not decrypt with the subscription\'s keys.' });
    }
    this.kept.push({
      subscriptionId: id,
      receivedAt: new Date().toISOString(),
      ttl: Number(req.headers.ttl ?? 0),
      urgency: String(req.headers.urgency ?? 'normal'),
      payload: parsed(text),
    });
    if (this.kept.length > MAX_KEPT) this.kept.shift();
    sendJson(res, 201, undefined, undefined, { location: `${this.baseUrl}${this.basePath}/messages/${randomUUID()}` });
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The body's bytes; undefined when longer than `limit`. */
function readRaw(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
