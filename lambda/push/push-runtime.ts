/** What deliver pushes with, built once per instance when push is configured (`push.vapidKeys`). */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeSettings } from '../../lib/private/handlers';
import type { DeliveryDeps } from '../fanout/deliver-record';
import { PushDeviceStore } from './device-store';
import { deliverPush } from './push-delivery';
import { vapidKeysFromSecret } from './vapid-keys';
import { WebPushSender } from './web-push-sender';

type PushSettings = Pick<RuntimeSettings, 'countersTable' | 'queueUrl' | 'deadLetterQueueUrl' | 'delivery.maxAttempts'
| 'push.vapidKeys' | 'push.allowedEndpoints' | 'push.maxDevicesPerUser' | 'push.deviceTtl'>;

export function createPushRuntime(
  s: PushSettings, doc: DynamoDBDocumentClient, shared: Pick<DeliveryDeps, 'metrics' | 'logger'>,
): DeliveryDeps['push'] {
  if (s['push.vapidKeys'] === '') return undefined;
  const devices = new PushDeviceStore(doc, s.countersTable, { maxDevices: s['push.maxDevicesPerUser'], ttlSeconds: s['push.deviceTtl'] });
  const sender = new WebPushSender(vapidKeysFromSecret(s['push.vapidKeys']), s['push.allowedEndpoints']);
  return {
    deliver: (job, queue) => deliverPush(job, {
      devices, sender, queue, queueUrl: s.queueUrl, deadLetterQueueUrl: s.deadLetterQueueUrl, maxAttempts: s['delivery.maxAttempts'],
      metrics: shared.metrics, logger: shared.logger, now: Date.now,
    }),
  };
}
