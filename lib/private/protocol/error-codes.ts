import { FRAME_SIZE, prop } from './limits';

/** The `code` of an error frame, and when the server answers with it. */
export const ERROR_CODES = {
  BAD_REQUEST: `not JSON, no \`action\`, a field of the wrong type, a malformed topic, a \`since\` that is not a position of the stream, a \`limit\` over ${prop('history.maxReplay')}`,
  UNKNOWN_ACTION: 'an `action` this server does not know',
  FORBIDDEN: `the topic rules do not let this user subscribe to that topic (or ask who is on it, or read its history); the publish rules do not let clients publish there; the topic does not track presence or keep history; \`resume\`, \`markRead\` or \`inbox\` without a signed-in user or when user streams are not kept; \`registerPush\`, \`unregisterPush\` or \`pushDevices\` without a signed-in user, or when push is not configured (${prop('push.vapidKeys')})`,
  LIMIT_EXCEEDED: `the connection already has ${prop('connections.maxSubscriptions')} subscriptions; the user already has ${prop('push.maxDevicesPerUser')} push devices`,
  PAYLOAD_TOO_LARGE: `the frame is larger than ${FRAME_SIZE}, or a published \`data\` is larger than ${prop('clientMessages.maxSize')}`,
  RATE_LIMITED: `the user published more than ${prop('clientMessages.maxPerSecond')} messages this second; \`retryAfterMs\` says when the next one is accepted`,
  UNAUTHORIZED: 'a `reauth` whose token does not verify, expires earlier than the current one, or names another user (then the connection is closed too); `reauth` where the server does not verify tokens; '
    + 'any other request (but `ping`) once the connection\'s token has expired and no `reauth` renewed it',
  INTERNAL: 'something failed on the server; try again: a subscribe or unsubscribe that failed left nothing half done, so sending it again is safe',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];
