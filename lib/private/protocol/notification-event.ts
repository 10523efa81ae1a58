/**
 * The publish contract: the EventBridge event a backend puts on the bus for the construct to
 * deliver. The deliver function checks each one (lambda/protocol/publish-contract.ts) and
 * dead-letters the ones that break it, with a reason. Calls are marked pure so that bundles that
 * check nothing with the schema leave it out (its texts, built from the runtime's limits, are not
 * provably free of side effects to a bundler).
 */
import { firstViolation, JsonSchema, JsonType } from './json-schema';
import { FRAME_SIZE, prop } from './limits';
import { PAYLOAD_PREFIX } from '../runtime-contract';

export const MAX_NOTIFICATION_ID_LENGTH = 128;
/**
 * Levels of objects and arrays `data` may nest. Serialising is recursive: far deeper data (a few
 * thousand levels) would exhaust the stack on every receive, here and in clients' parsers.
 */
export const MAX_DATA_DEPTH = 100;

/**
 * What `data` may not carry exactly: JSON.parse reads every number as a double, here and in
 * clients, so integers beyond 2^53 change on the way.
 */
export const DATA_NUMBERS =
  'Numbers are IEEE 754 doubles, as in JavaScript: integers beyond 2^53 lose digits on the way (12345678901234567891 arrives as 12345678901234567000), '
  + 'so send large integers (ids, money in minor units) as strings.';

/** A target that may also be null, which names no target. */
function nullable(target: { type: JsonType }, description: string, examples: unknown[]): { field: JsonSchema; target: JsonSchema } {
  return { field: { type: [target.type, 'null'], description, examples }, target };
}

/**
 * The ways to address a notification, exactly one per detail, and who receives it. `field` is what
 * the detail's field may hold: a value it allows that is not `target` (null, or `broadcast: false`)
 * is no target at all, so it may stand beside the one target.
 */
export const NOTIFICATION_TARGETS = {
  topic: /* @__PURE__ */ nullable({ type: 'string' }, 'Deliver to every connection subscribed to this topic; null is no target.', ['orders/42']),
  userId: /* @__PURE__ */ nullable({ type: 'string' },
    'Deliver to every open connection of this user, no subscription needed: the id exactly as the authorizer gives it; null is no target.',
    ['auth0|abc123']),
  broadcast: {
    field: {
      type: ['boolean', 'null'],
      description: '`true`: deliver to every open connection (refused unless the construct has `allowBroadcast: true`). `false` or null is no target.',
    },
    target: { const: true },
  },
} satisfies Record<string, { field: JsonSchema; target: JsonSchema }>;

export type NotificationTargetField = keyof typeof NOTIFICATION_TARGETS;
export const NOTIFICATION_TARGET_FIELDS = /* @__PURE__ */ Object.keys(NOTIFICATION_TARGETS) as NotificationTargetField[];

/** The notification's `id`, when the publisher gives one. */
export const NOTIFICATION_ID: JsonSchema = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: MAX_NOTIFICATION_ID_LENGTH,
  description: 'Travels to the client unchanged and stays the same across retries, so clients can drop duplicates; the EventBridge event id when absent or null.',
  examples: ['order-42-shipped'],
};

/**
 * The largest push message (the JSON of the `push` part with the notification's id and time),
 * in UTF-8 bytes: Web Push carries at most 4 KB once encrypted (RFC 8291), room kept for the
 * encryption's own bytes.
 */
export const MAX_PUSH_BYTES = 3 * 1024;
/** Longest time a push service is asked to keep an undelivered push: the 4 weeks of FCM's limit. */
export const MAX_PUSH_TTL_SECONDS = 28 * 24 * 60 * 60;
export const PUSH_URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
/** The longest `unreadAfter`: SQS delays a message 15 minutes at most. */
export const MAX_UNREAD_AFTER_SECONDS = 900;

/** The `push` part of a notification: what a user who is not connected is shown. */
export const PUSH_CONTENT: JsonSchema = {
  title: 'PushContent',
  description: 'Push it to the user\'s registered devices when no connection of the user receives it live (user-targeted notifications, and '
    + `with ${/* @__PURE__ */ prop('push.userTopics')} those to a user's own topics; `
    + `ignored where push is not configured: ${/* @__PURE__ */ prop('push.vapidKeys')}, ${/* @__PURE__ */ prop('push.apns')}, ${/* @__PURE__ */ prop('push.fcm')}). At most ${MAX_PUSH_BYTES / 1024} KB of JSON with the notification's id and time.`,
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1, description: 'The title the device shows.', errorMessage: '"push.title" must be a non-empty string: what the device shows.' },
    body: { type: 'string', description: 'The text under the title.', errorMessage: '"push.body" must be a string.' },
    url: { type: 'string', description: 'Where a click takes the user; the service worker decides.', errorMessage: '"push.url" must be a string: a URL or path.' },
    data: { description: 'Anything else the service worker or app reads.' },
    urgency: { enum: PUSH_URGENCIES, description: 'How soon the push service should wake the device (RFC 8030 `Urgency`); `normal` when absent.', errorMessage: `"push.urgency" must be one of: ${PUSH_URGENCIES.join(', ')}.` },
    unreadAfter: {
      type: 'integer', minimum: 1, maximum: MAX_UNREAD_AFTER_SECONDS,
      description: `Also push it this many seconds later to a user who took it live but has not marked it read by then (the inbox: ${/* @__PURE__ */ prop('history.userStreams')}).`,
      errorMessage: `"push.unreadAfter" must be a whole number of seconds from 1 to ${MAX_UNREAD_AFTER_SECONDS}.`,
    },
    ttl: { type: 'integer', minimum: 0, maximum: MAX_PUSH_TTL_SECONDS, description: 'Seconds the push service keeps it for a device that is offline (RFC 8030 `TTL`); one day when absent.', errorMessage: `"push.ttl" must be a whole number of seconds from 0 to ${MAX_PUSH_TTL_SECONDS}.` },
  },
  required: ['title'],
  errorMessage: '"push" must be an object such as {"title": "Your order shipped", "body": "…", "url": "/orders/42"}.',
  examples: [{ title: 'Your order shipped', body: 'Order 42 is on its way.', url: '/orders/42', urgency: 'normal', ttl: 3600 }],
};

/**
 * A payload a backend put in the payload bucket itself (one too large for an event), published by
 * reference: clients are sent a presigned URL of it with its size and SHA-256, which they check.
 */
export const PAYLOAD_REFERENCE: JsonSchema = /* @__PURE__ */ (() => ({
  title: 'PayloadReference',
  description: `Instead of \`data\`: a payload already in the construct's payload bucket (\`payloadBucket\`, put with \`grantPutPayload\`), `
    + `its JSON at most ${prop('payloads.maxObjectSize')}.`,
  type: 'object',
  properties: {
    key: {
      type: 'string', minLength: PAYLOAD_PREFIX.length + 1, maxLength: 1024,
      description: `The object key, under "${PAYLOAD_PREFIX}": nothing else in the bucket is ever handed to clients.`,
      examples: [`${PAYLOAD_PREFIX}reports/2026-11-22.json`],
    },
    size: { type: 'integer', minimum: 0, description: "The object's size in bytes, as clients will check it." },
    sha256: {
      type: 'string', pattern: '^[0-9a-f]{64}$', description: "The SHA-256 of the object's bytes, lowercase hex, as clients will check it.",
      errorMessage: '"payload.sha256" must be the SHA-256 of the object\'s bytes: 64 lowercase hex characters.',
    },
  },
  required: ['key', 'size', 'sha256'],
}))();

/** The `Detail` of a notification event. Fields not listed are ignored, so publishers can carry their own metadata. */
export const NOTIFICATION_DETAIL: JsonSchema = /* @__PURE__ */ (() => ({
  title: 'NotificationDetail',
  description: 'What to deliver and to whom: exactly one target (`topic`, `userId` or `broadcast: true`) and `data` (or `payload`, a reference to it).',
  type: 'object',
  properties: {
    ...(/* @__PURE__ */ Object.fromEntries(NOTIFICATION_TARGET_FIELDS.map((field) => [field, NOTIFICATION_TARGETS[field].field]))),
    data: {
      description: `The payload: any JSON value nesting objects and arrays at most ${MAX_DATA_DEPTH} levels deep. `
        + `A notification whose frame would exceed ${FRAME_SIZE} is kept in the payload bucket and sent as a presigned \`dataUrl\`. ${DATA_NUMBERS}`,
      examples: [{ status: 'shipped' }],
    },
    payload: PAYLOAD_REFERENCE,
    id: NOTIFICATION_ID,
    push: PUSH_CONTENT,
  },
  anyOf: (['data', 'payload'] as const).map((field): JsonSchema => ({ properties: { [field]: {} }, required: [field] })),
  oneOf: /* @__PURE__ */ NOTIFICATION_TARGET_FIELDS.map((field) => ({ required: [field], properties: { [field]: NOTIFICATION_TARGETS[field].target } })),
  examples: [
    { topic: 'orders/42', data: { status: 'shipped' } },
    { userId: 'u-123', data: { text: 'Your order shipped' }, id: 'order-42-shipped' },
    { userId: 'u-123', data: { orderId: 42 }, push: { title: 'Your order shipped', url: '/orders/42' } },
    { broadcast: true, data: 'maintenance at 22:00' },
    { topic: 'reports/9', payload: { key: `${PAYLOAD_PREFIX}reports/9.json`, size: 5242880, sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' } },
  ],
}))();

/**
 * Whether the detail's `field` names a target: present and not one of the values the field allows
 * that name none (null, `broadcast: false`). A value the field does not allow counts, so that it is
 * refused rather than ignored.
 */
export function namesTarget(field: NotificationTargetField, value: unknown): boolean {
  const { field: allowed, target } = NOTIFICATION_TARGETS[field];
  return value !== undefined && (firstViolation(value, target) === undefined || firstViolation(value, allowed) !== undefined);
}

/** The EventBridge event as the delivery queue receives it: the fields deliver reads. */
export function notificationEvent(detailType: string): JsonSchema {
  return {
    title: 'NotificationEvent',
    description: 'An EventBridge event of the configured detail type on the construct\'s bus (PutEvents `DetailType`, `Source` and `Detail`).',
    type: 'object',
    properties: {
      'detail-type': { const: detailType, description: `PutEvents \`DetailType\`: "${detailType}" unless the construct's ${prop('detailType')} prop changes it.` },
      'source': { type: 'string', description: "PutEvents `Source`: the publisher's to choose.", examples: ['orders-service'] },
      'id': { type: 'string', description: 'The EventBridge event id: the notification id when the detail has none.' },
      'time': { type: 'string', description: 'When the event was put, ISO-8601: the notification\'s `time`.' },
      'detail': NOTIFICATION_DETAIL,
    },
    required: ['detail-type', 'detail'],
  };
}
