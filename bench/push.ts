/**
 * Benchmark: the CPU a Web Push costs deliver, measured: encrypting a notification-sized payload
 * (RFC 8291 aes128gcm, a fresh ECDH key each time) and signing the VAPID JWT, with `web-push`, as
 * lambda/push/web-push-sender.ts does before each request.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { generateRequestDetails, generateVAPIDKeys } from 'web-push';

export function measurePushCpuMs(samples = 300): number {
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:bench@example.com' };
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const subscription = { endpoint: 'https://fcm.googleapis.com/fcm/send/bench', keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
  const payload = JSON.stringify({ id: 'order-42-shipped', userId: 'u-123', time: new Date().toISOString(), title: 'Your order shipped', body: 'Order 42 is on its way.', url: '/orders/42' });
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    generateRequestDetails(subscription, payload, { vapidDetails: vapid, TTL: 3600, contentEncoding: 'aes128gcm' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
