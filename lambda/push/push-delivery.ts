/**
 * Delivers one push job: the user's devices (those the job names, on a retry) are pushed to at
 * once; a device the push service says is gone (404/410) is removed; one that answered 429 or
 * 5xx, or could not be reached, is tried again in a later job after a backoff (the wait the
 * service asked for, when longer), up to `delivery.maxAttempts`, then dead-lettered with reason
 * PUSH_UNDELIVERED, like a push refused for good (another 4xx). A device reached is kept another
 * TTL (written at most once a day).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { LIMITS, MetricNames } from '../../lib/private/runtime-contract';
import { pushUndeliveredMessage } from '../fanout/dead-letters';
import type { DeliveryMetrics } from '../fanout/deliver-record';
import type { QueueWriter } from '../fanout/queue-writer';
import { requeueDelaySeconds } from '../runtime/retry';
import { isMobile, PushDevice, PushDeviceStore } from './device-store';
import type { MobilePush } from './sns-push';
import { DEFAULT_PUSH_TTL_SECONDS, PushJob, pushJobMessage } from './push-message';
import { collapseKeyOf, PushOutcome, WebPushOptions, WebPushSender } from './web-push-sender';

const TOUCH_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface PushDeliveryDeps {
  readonly devices: PushDeviceStore;
  /** Web Push; absent without `push.vapidKeys`. */
  readonly sender?: WebPushSender;
  /** SNS mobile push; absent without `push.apns` and `push.fcm`. */
  readonly mobile?: MobilePush;
  readonly queue: QueueWriter;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxAttempts: number;
  readonly metrics: DeliveryMetrics;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  readonly now: () => number;
  readonly random?: () => number;
  /** Whether a position of the user's own stream is marked read (the inbox); absent without user streams. */
  readonly isRead?: (userId: string, position: { epoch: string; seq: number }) => Promise<boolean>;
}

export async function deliverPush(job: PushJob, deps: PushDeliveryDeps): Promise<void> {
  if (job.ifUnread !== undefined && job.attempt === 1 && (deps.isRead === undefined || await deps.isRead(job.userId, job.ifUnread))) {
    deps.logger.debug('Read before the delayed push; not pushed', { notificationId: job.payload.id });
    return;
  }
  const all = await deps.devices.list(job.userId, deps.now());
  const devices = job.deviceIds === undefined ? all : all.filter((d) => job.deviceIds!.includes(d.id));
  if (devices.length === 0) {
    deps.logger.debug('No push device to push to', { notificationId: job.payload.id });
    return;
  }
  const payload = JSON.stringify(job.payload);
  const options = { ttlSeconds: job.ttl ?? DEFAULT_PUSH_TTL_SECONDS, urgency: job.urgency, collapseKey: collapseKeyOf(job.payload.id) };
  const outcomes = await Promise.all(devices.map(async (device) => ({ device, outcome: await pushTo(device, job, payload, options, deps) })));

  const sent = outcomes.filter((o) => o.outcome.kind === 'sent').map((o) => o.device);
  const gone = outcomes.filter((o) => o.outcome.kind === 'gone').map((o) => o.device);
  const retry = outcomes.filter((o): o is { device: PushDevice; outcome: Extract<PushOutcome, { kind: 'retry' }> } => o.outcome.kind === 'retry');
  const failed = outcomes.filter((o) => o.outcome.kind === 'failed');
  deps.metrics.count(MetricNames.pushSent, sent.length);
  // Kept another TTL: written at most once a day per device, however often it is pushed to.
  await Promise.all(sent.filter((d) => d.usedAt < deps.now() - TOUCH_INTERVAL_MS).map((d) => deps.devices.touch(job.userId, d.id, deps.now())));
  if (gone.length > 0) {
    await deps.devices.remove(job.userId, gone);
    // SNS keeps a disabled endpoint until it is deleted.
    await Promise.all(gone.filter(isMobile).map((d) => deps.mobile?.deleteEndpoint(d.endpointArn).catch((error: unknown) => {
      deps.logger.warn('Could not delete a disabled SNS endpoint', { error: String(error) });
    })));
    deps.metrics.count(MetricNames.pushDevicesRemoved, gone.length);
    deps.logger.info('Push devices gone (404/410); removed', { notificationId: job.payload.id, devices: gone.length });
  }

  const lastAttempt = job.attempt >= deps.maxAttempts;
  const givenUp = [...failed, ...(lastAttempt ? retry : [])];
  if (!lastAttempt && retry.length > 0) {
    const asked = Math.max(0, ...retry.map((r) => r.outcome.retryAfterSeconds ?? 0));
    const delay = Math.min(LIMITS.maxSqsDelaySeconds, Math.max(requeueDelaySeconds(job.attempt + 1, deps.random), asked));
    deps.logger.info('Push to be tried again', { notificationId: job.payload.id, devices: retry.length, attempt: job.attempt, reasons: retry.map((r) => r.outcome.reason) });
    await deps.queue.sendAll(deps.queueUrl, [pushJobMessage({ ...job, attempt: job.attempt + 1, deviceIds: retry.map((r) => r.device.id) }, delay)]);
  }
  if (givenUp.length > 0) {
    const reasons = givenUp.map((o) => `${o.device.id}: ${(o.outcome as { reason: string }).reason}`);
    deps.logger.warn('Push given up on; sending it to the dead-letter queue', { notificationId: job.payload.id, attempt: job.attempt, reasons });
    deps.metrics.count(MetricNames.pushFailed, givenUp.length);
    const body = JSON.stringify({ ...job, deviceIds: givenUp.map((o) => o.device.id) });
    await deps.queue.sendAll(deps.deadLetterQueueUrl, [pushUndeliveredMessage(body, job.payload.id, job.attempt, reasons)]);
  }
}

/** One push to one device, by Web Push or through SNS; a kind of device this function cannot push to fails for good. */
function pushTo(device: PushDevice, job: PushJob, payload: string, options: WebPushOptions, deps: PushDeliveryDeps): Promise<PushOutcome> {
  if (isMobile(device)) {
    return deps.mobile?.publish(device.endpointArn, job.payload, options)
      ?? Promise.resolve({ kind: 'failed', reason: `NOT_CONFIGURED: no SNS application for ${device.platform} (push.${device.platform})` });
  }
  return deps.sender?.send(device, payload, options) ?? Promise.resolve({ kind: 'failed', reason: 'NOT_CONFIGURED: no VAPID keys (push.vapidKeys)' });
}
