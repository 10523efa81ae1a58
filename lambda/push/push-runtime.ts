/**
 * What the message function registers devices with and deliver pushes with, built once per
 * instance from the push settings: nothing when push is not configured.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeSettings } from '../../lib/private/handlers';
import type { DeliveryDeps } from '../fanout/deliver-record';
import type { PushRegistration } from '../routes/push';
import { PushDeviceStore } from './device-store';
import { deliverPush } from './push-delivery';
import { applyPushDeviceEvent } from './device-event';
import { createMobilePush } from './sns-push';
import { vapidKeysFromSecret } from './vapid-keys';
import { WebPushSender } from './web-push-sender';

type PushSettings = Pick<RuntimeSettings, 'countersTable' | 'push.vapidKeys' | 'push.allowedEndpoints' | 'push.maxDevicesPerUser' | 'push.deviceTtl' | 'push.apns' | 'push.fcm'>;

function devicesOf(s: PushSettings, doc: DynamoDBDocumentClient): PushDeviceStore {
  return new PushDeviceStore(doc, s.countersTable, { maxDevices: s['push.maxDevicesPerUser'], ttlSeconds: s['push.deviceTtl'] });
}

const mobileOf = (s: PushSettings) => createMobilePush({ apns: s['push.apns'], fcm: s['push.fcm'] });

export function pushRegistration(s: PushSettings, doc: DynamoDBDocumentClient): PushRegistration | undefined {
  const webPush = s['push.vapidKeys'] !== '';
  const mobile = mobileOf(s);
  if (!webPush && mobile === undefined) return undefined;
  return { devices: devicesOf(s, doc), allowedEndpoints: webPush ? s['push.allowedEndpoints'] : undefined, mobile, maxDevices: s['push.maxDevicesPerUser'] };
}

export function createPushRuntime(
  s: PushSettings & Pick<RuntimeSettings, 'queueUrl' | 'deadLetterQueueUrl' | 'delivery.maxAttempts'>,
  doc: DynamoDBDocumentClient, shared: Pick<DeliveryDeps, 'metrics' | 'logger'>,
): DeliveryDeps['push'] {
  const webPush = s['push.vapidKeys'] !== '';
  const mobile = mobileOf(s);
  if (!webPush && mobile === undefined) return undefined;
  const devices = devicesOf(s, doc);
  const sender = webPush ? new WebPushSender(vapidKeysFromSecret(s['push.vapidKeys']), s['push.allowedEndpoints']) : undefined;
  const registration: PushRegistration = { devices, allowedEndpoints: webPush ? s['push.allowedEndpoints'] : undefined, mobile, maxDevices: s['push.maxDevicesPerUser'] };
  return {
    deviceEvent: (body) => applyPushDeviceEvent(body, registration),
    deliver: (job, queue) => deliverPush(job, {
      devices, sender, mobile, queue, queueUrl: s.queueUrl, deadLetterQueueUrl: s.deadLetterQueueUrl, maxAttempts: s['delivery.maxAttempts'],
      metrics: shared.metrics, logger: shared.logger, now: Date.now,
    }),
  };
}
