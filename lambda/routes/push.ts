/** The answers to `registerPush`, `unregisterPush` and `pushDevices`: the signed-in user's own devices only. */
import { pushEndpointProblem } from '../../lib/private/push-endpoints';
import type { Caller } from '../protocol/websocket-event';
import { errorFrame, ServerFrame } from '../protocol/frames';
import type * as Wire from '../protocol/wire';
import { deviceIdOf, PushDeviceStore, WebPushDevice } from '../push/device-store';

export interface PushRegistration {
  readonly devices: PushDeviceStore;
  /** `push.allowedEndpoints`. */
  readonly allowedEndpoints: readonly string[];
  readonly maxDevices: number;
  readonly now?: () => number;
}

type PushRequest = Wire.RegisterPushRequest | Wire.UnregisterPushRequest | Wire.PushDevicesRequest;

export async function answerPush(request: PushRequest, caller: Caller, push: PushRegistration | undefined): Promise<ServerFrame> {
  const { requestId } = request;
  const userId = caller.userId;
  if (userId === undefined) {
    return errorFrame('FORBIDDEN', 'Push devices belong to a user, and this connection is not signed in.', requestId);
  }
  if (push === undefined) {
    return errorFrame('FORBIDDEN', 'Push notifications are not configured here: the construct needs push.vapidKeys.', requestId);
  }
  const now = (push.now ?? Date.now)();
  let devices: WebPushDevice[];
  if (request.action === 'registerPush') {
    const { endpoint, keys } = request.subscription;
    const problem = pushEndpointProblem(endpoint, push.allowedEndpoints) ?? keyProblem(keys.p256dh);
    if (problem !== undefined) return errorFrame('BAD_REQUEST', problem, requestId);
    const result = await push.devices.register(userId, { endpoint, p256dh: keys.p256dh, auth: keys.auth }, now);
    if (!result.ok) {
      return errorFrame('LIMIT_EXCEEDED', `This user already has ${push.maxDevices} push devices; remove one ("unregisterPush") before registering another.`, requestId);
    }
    devices = result.devices;
  } else if (request.action === 'unregisterPush') {
    await push.devices.remove(userId, [{ id: deviceIdOf(request.endpoint), endpoint: request.endpoint }]);
    devices = await push.devices.list(userId, now);
  } else {
    devices = await push.devices.list(userId, now);
  }
  return {
    type: 'pushDevices',
    devices: devices.map((d) => ({ id: d.id, endpoint: d.endpoint, registeredAt: new Date(d.registeredAt).toISOString() })),
    max: push.maxDevices,
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

/** The browser's public key must be an uncompressed P-256 point (RFC 8291), or no push to it can be encrypted. */
function keyProblem(p256dh: string): string | undefined {
  const key = Buffer.from(p256dh, 'base64url');
  return key.length === 65 && key[0] === 0x04 ? undefined
    : '"subscription.keys.p256dh" is not an uncompressed P-256 public key (65 bytes starting with 0x04); pass the subscription the browser gave.';
}
