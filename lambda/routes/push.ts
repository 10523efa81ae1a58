/** The answers to `registerPush`, `unregisterPush` and `pushDevices`: the signed-in user's own devices only. */
import { pushEndpointProblem } from '../../lib/private/push-endpoints';
import type { Caller } from '../protocol/websocket-event';
import { errorFrame, ServerFrame } from '../protocol/frames';
import type * as Wire from '../protocol/wire';
import { hasControlCharacter } from '../../lib/private/control-characters';
import { isMobile, PushDevice, PushDeviceStore } from '../push/device-store';
import type { MobilePush } from '../push/sns-push';

export interface PushRegistration {
  readonly devices: PushDeviceStore;
  /** `push.allowedEndpoints`; absent when Web Push is off (no `push.vapidKeys`). */
  readonly allowedEndpoints?: readonly string[];
  /** SNS mobile push; absent when no platform application is configured. */
  readonly mobile?: Pick<MobilePush, 'platforms' | 'createEndpoint'>;
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
    return errorFrame('FORBIDDEN', 'Push notifications are not configured here: the construct needs push.vapidKeys (browsers) or push.apns / push.fcm (mobile apps).', requestId);
  }
  const now = (push.now ?? Date.now)();
  let devices: PushDevice[];
  if (request.action === 'registerPush') {
    const registered = await register(request, userId, push, now);
    if ('type' in registered) return { ...registered, ...(requestId !== undefined ? { requestId } : {}) };
    devices = registered;
  } else if (request.action === 'unregisterPush') {
    if ((request.endpoint === undefined) === (request.token === undefined)) {
      return errorFrame('BAD_REQUEST', '"unregisterPush" needs exactly one of "endpoint" (a browser\'s) or "token" (a mobile app\'s).', requestId);
    }
    const gone = request.endpoint !== undefined
      ? [{ endpoint: request.endpoint }]
      : (push.mobile?.platforms ?? []).map((platform) => ({ platform, token: request.token! }));
    // The SNS endpoint stays: SNS gives one token one endpoint, which another user's device may be.
    await push.devices.remove(userId, gone);
    devices = await push.devices.list(userId, now);
  } else {
    devices = await push.devices.list(userId, now);
  }
  return {
    type: 'pushDevices',
    devices: devices.map((d) => ({
      id: d.id,
      registeredAt: new Date(d.registeredAt).toISOString(),
      ...(isMobile(d) ? { platform: d.platform, token: d.token } : { platform: 'web' as const, endpoint: d.endpoint }),
    })),
    max: push.maxDevices,
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

/** Registers the device the request names; the devices after it, or the error frame to answer with. */
async function register(request: Wire.RegisterPushRequest, userId: string, push: PushRegistration, now: number): Promise<PushDevice[] | ServerFrame> {
  if ((request.subscription === undefined) === (request.mobile === undefined)) {
    return errorFrame('BAD_REQUEST', '"registerPush" needs exactly one of "subscription" (a browser\'s PushSubscription) or "mobile" ({"platform", "token"} of a mobile app).');
  }
  const full = () => errorFrame('LIMIT_EXCEEDED', `This user already has ${push.maxDevices} push devices; remove one ("unregisterPush") before registering another.`);
  if (request.subscription !== undefined) {
    if (push.allowedEndpoints === undefined) {
      return errorFrame('FORBIDDEN', 'Web Push is not configured here: the construct needs push.vapidKeys.');
    }
    const { endpoint, keys } = request.subscription;
    const problem = pushEndpointProblem(endpoint, push.allowedEndpoints) ?? keyProblem(keys.p256dh);
    if (problem !== undefined) return errorFrame('BAD_REQUEST', problem);
    const result = await push.devices.register(userId, { platform: 'web', endpoint, p256dh: keys.p256dh, auth: keys.auth }, now);
    return result.ok ? result.devices : full();
  }
  const { platform, token } = request.mobile!;
  if (push.mobile === undefined || !push.mobile.platforms.includes(platform)) {
    return errorFrame('FORBIDDEN', `Mobile push to ${platform === 'apns' ? 'APNs' : 'FCM'} is not configured here: the construct needs push.${platform} (an SNS platform application).`);
  }
  if (hasControlCharacter(token)) return errorFrame('BAD_REQUEST', '"mobile.token" holds control characters; pass the token the platform gave the app.');
  const endpointArn = await push.mobile.createEndpoint(platform, token);
  const result = await push.devices.register(userId, { platform, token, endpointArn }, now);
  return result.ok ? result.devices : full();
}

/** The browser's public key must be an uncompressed P-256 point (RFC 8291), or no push to it can be encrypted. */
function keyProblem(p256dh: string): string | undefined {
  const key = Buffer.from(p256dh, 'base64url');
  return key.length === 65 && key[0] === 0x04 ? undefined
    : '"subscription.keys.p256dh" is not an uncompressed P-256 public key (65 bytes starting with 0x04); pass the subscription the browser gave.';
}
