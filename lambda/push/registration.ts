/**
 * What devices are registered with (the message function's routes, deliver's PushDevice events),
 * built once per instance from the push settings: nothing when push is not configured. Apart
 * from push-runtime.ts, so that the message function's bundle holds no Web Push sender.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeSettings } from '../../lib/private/handlers';
import type { PushRegistration } from '../routes/push';
import { PushDeviceStore } from './device-store';
import { createMobilePush, MobilePush } from './sns-push';

export type PushSettings = Pick<RuntimeSettings, 'countersTable' | 'push.vapidKeys' | 'push.allowedEndpoints' | 'push.maxDevicesPerUser' | 'push.deviceTtl' | 'push.apns' | 'push.fcm'>;

function devicesOf(s: PushSettings, doc: DynamoDBDocumentClient): PushDeviceStore {
  return new PushDeviceStore(doc, s.countersTable, { maxDevices: s['push.maxDevicesPerUser'], ttlSeconds: s['push.deviceTtl'] });
}

const mobileOf = (s: PushSettings) => createMobilePush({ apns: s['push.apns'], fcm: s['push.fcm'] });

export function pushRegistration(s: PushSettings, doc: DynamoDBDocumentClient): (PushRegistration & { readonly mobile?: MobilePush }) | undefined {
  const webPush = s['push.vapidKeys'] !== '';
  const mobile = mobileOf(s);
  if (!webPush && mobile === undefined) return undefined;
  return { devices: devicesOf(s, doc), allowedEndpoints: webPush ? s['push.allowedEndpoints'] : undefined, mobile, maxDevices: s['push.maxDevicesPerUser'] };
}

