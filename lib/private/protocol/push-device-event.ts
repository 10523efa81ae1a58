/**
 * Mobile devices registered by an app's backend: a `PushDevice` event on the construct's bus
 * (delivered to the deliver function by the notification rule while `push.apns` or `push.fcm` is
 * set) registers a device token for a user, or removes it, as the user's own `registerPush` and
 * `unregisterPush` would.
 */
import { JsonSchema } from './json-schema';
import { MOBILE_DEVICE } from './client-frames';
import { PUSH_DEVICE_DETAIL_TYPE } from './inbox-event-names';

export { PUSH_DEVICE_DETAIL_TYPE };

export const PUSH_DEVICE_DETAIL: JsonSchema = {
  title: 'PushDeviceDetail',
  description: `The \`Detail\` of a \`${PUSH_DEVICE_DETAIL_TYPE}\` event a backend puts on the construct's bus: registers the mobile device for the user `
    + '(or removes it, with `remove: true`). One that cannot be carried out is dead-lettered with reason `BAD_PUSH_DEVICE`.',
  type: 'object',
  properties: {
    userId: { type: 'string', minLength: 1, description: 'The user, exactly as the authorizer gives the id.', errorMessage: '"userId" must be the user\'s id, a non-empty string.' },
    mobile: MOBILE_DEVICE,
    remove: { type: 'boolean', description: 'Remove the device instead of registering it.', errorMessage: '"remove" must be true or false.' },
  },
  required: ['userId', 'mobile'],
  errorMessage: { required: { userId: 'A PushDevice detail needs "userId".', mobile: 'A PushDevice detail needs "mobile": {"platform": "apns" | "fcm", "token": "…"}.' } },
  examples: [{ userId: 'alice', mobile: { platform: 'apns', token: '740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad' } }],
};
