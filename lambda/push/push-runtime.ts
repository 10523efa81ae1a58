/**
 * What deliver pushes with (and carries backends' PushDevice events out with), built once per
 * instance from the push settings: nothing when push is not configured.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeSettings } from '../../lib/private/handlers';
import type { DeliveryDeps } from '../fanout/deliver-record';
import { pushRegistration, PushSettings } from './registration';
import { deliverPush } from './push-delivery';
import { applyPushDeviceEvent } from './device-event';
import { vapidKeysFromSecret } from './vapid-keys';
import { isRead as readAt, ReadStateStore } from '../inbox/read-store';
import { userStream } from '../stores/keys';
import { WebPushSender } from './web-push-sender';

export function createPushRuntime(
  s: PushSettings & Pick<RuntimeSettings, 'queueUrl' | 'deadLetterQueueUrl' | 'delivery.maxAttempts' | 'historyTable' | 'history.userStreams' | 'push.userTopics'>,
  doc: DynamoDBDocumentClient, shared: Pick<DeliveryDeps, 'metrics' | 'logger'>,
): DeliveryDeps['push'] {
  const registration = pushRegistration(s, doc);
  if (registration === undefined) return undefined;
  const { devices, mobile } = registration;
  const sender = s['push.vapidKeys'] !== '' ? new WebPushSender(vapidKeysFromSecret(s['push.vapidKeys']), s['push.allowedEndpoints']) : undefined;
  // The read state only, from the stream's head: retention plays no part in it.
  const reads = new ReadStateStore(doc, s.countersTable, s.historyTable, () => 0);
  const isRead = s['history.userStreams'] ? async (userId: string, at: { epoch: string; seq: number }) => {
    const current = await reads.get(userStream(userId));
    return current !== undefined && current.state.epoch === at.epoch && readAt(current.state, at.seq);
  } : undefined;
  return {
    userTopics: s['push.userTopics'],
    deviceEvent: (body) => applyPushDeviceEvent(body, registration),
    deliver: (job, queue) => deliverPush(job, {
      devices, sender, mobile, queue, queueUrl: s.queueUrl, deadLetterQueueUrl: s.deadLetterQueueUrl, maxAttempts: s['delivery.maxAttempts'],
      metrics: shared.metrics, logger: shared.logger, now: Date.now, isRead,
    }),
  };
}
