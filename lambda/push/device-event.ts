/**
 * A backend's `PushDevice` event: registers (or removes) a user's mobile device exactly as the
 * user's own `registerPush` (or `unregisterPush`) would, the same checks and limit included.
 */
import { isJsonObject } from '../../lib/private/json-object';
import { firstViolation } from '../../lib/private/protocol/json-schema';
import { PUSH_DEVICE_DETAIL, PUSH_DEVICE_DETAIL_TYPE } from '../../lib/private/protocol/push-device-event';
import { userIdProblem } from '../../lib/private/topic-segment';
import { answerPush, PushRegistration } from '../routes/push';

/** Whether a queue message is a backend's PushDevice event. */
export function isPushDeviceEvent(body: unknown): body is Record<string, unknown> {
  return isJsonObject(body) && body['detail-type'] === PUSH_DEVICE_DETAIL_TYPE;
}

/** Carries the event out; resolves with why it cannot, in words for the backend, when it cannot. */
export async function applyPushDeviceEvent(body: Record<string, unknown>, push: PushRegistration): Promise<string | undefined> {
  const detail = body.detail;
  if (!isJsonObject(detail)) return 'The PushDevice event has no JSON object "detail", such as {"userId":"alice","mobile":{"platform":"fcm","token":"…"}}.';
  const violation = firstViolation(detail, PUSH_DEVICE_DETAIL);
  if (violation) return violation.message;
  const userId = detail.userId as string;
  const problem = userIdProblem(userId);
  if (problem !== undefined) return `"userId" cannot name a user: ${problem}.`;
  const mobile = detail.mobile as { platform: 'apns' | 'fcm'; token: string };
  const answer = await answerPush(
    detail.remove === true ? { action: 'unregisterPush', token: mobile.token } : { action: 'registerPush', mobile: { platform: mobile.platform, token: mobile.token } },
    { connectionId: 'backend', userId },
    push,
  );
  return answer.type === 'error' ? answer.message : undefined;
}
