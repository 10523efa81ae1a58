/**
 * The dead-letter queue's contract, which operators read and alarm on: why a message is there
 * (the `reason` attribute) and the message attributes that say so. The deliver function may only
 * use the codes and attribute names listed here (lambda/fanout/dead-letters.ts takes its types
 * from them); docs/protocol.md and docs/asyncapi.json are generated from them.
 */
import { JsonSchema, JsonValueOf } from './json-schema';
import { FRAME_SIZE, prop } from './limits';
import { MAX_DATA_DEPTH, MAX_NOTIFICATION_ID_LENGTH, MAX_PUSH_BYTES } from './notification-event';

/** Why the publish contract refuses an event, by code. */
export const PUBLISH_REJECT_REASONS = {
  NOT_JSON: 'the queue message is not a JSON EventBridge event, or its `detail` is not an object',
  WRONG_DETAIL_TYPE: "the event's detail type is not the configured one (on the construct's own bus only, see above)",
  NO_TARGET: 'none of `topic`, `userId`, `broadcast: true`',
  MULTIPLE_TARGETS: 'more than one of them',
  BAD_TOPIC: 'the topic breaks the topic syntax below',
  BAD_USER_ID: '`userId` is not a string that can be a user id (see [User ids](#user-ids))',
  BROADCAST_DISABLED: `\`broadcast\` while ${prop('allowBroadcast')} is off`,
  MISSING_DATA: 'neither `data` nor `payload`, or both',
  BAD_PAYLOAD: `\`payload\` is not \`{"key", "size", "sha256"}\` with its key under "payloads/" and its size at most ${prop('payloads.maxObjectSize')}`,
  DATA_TOO_DEEP: `\`data\` nests objects and arrays more than ${MAX_DATA_DEPTH} levels deep`,
  BAD_ID: `\`id\` is neither null nor a non-empty string of at most ${MAX_NOTIFICATION_ID_LENGTH} characters, or there is no id at all (neither the detail's nor the event's)`,
  PAYLOAD_TOO_LARGE: `\`data\` is larger than ${prop('payloads.maxObjectSize')} (a frame over ${FRAME_SIZE} is sent by reference)`,
  BAD_PUSH: `\`push\` is not an object with a \`title\` (see PushContent), or the push message would exceed ${MAX_PUSH_BYTES / 1024} KB`,
} as const;

/** Every reason a message is in the dead-letter queue, by code: the publish contract's, then delivery's own. */
export const DEAD_LETTER_REASONS = {
  ...PUBLISH_REJECT_REASONS,
  BAD_CONNECTION_CONTROL: 'a `ConnectionControl` event whose detail is not `{"action":"disconnect","userId"…}` (see [Connection control](#connection-control))',
  BAD_MARK_READ: 'a `MarkRead` event whose detail is not `{"userId", "ids" | "upTo"}`, or names what is not in the user\'s own stream (see [Inbox events](#inbox-events))',
  BAD_PUSH_DEVICE: `a \`PushDevice\` event whose detail is not \`{"userId", "mobile": {"platform", "token"}}\`, or names a platform without an SNS application (${prop('push.apns')}, ${prop('push.fcm')}), or a user who already has ${prop('push.maxDevicesPerUser')} devices`,
  BAD_SHARD: "a message that claims to be one of deliver's own shard messages or push jobs but is not valid (or a push job reached a deployment without push)",
  UNDELIVERED: 'connections still unreachable after the last delivery attempt (see below)',
  PUSH_UNDELIVERED: `push devices the push service still refused (429, 5xx, network) after ${prop('delivery.maxAttempts')} attempts; the body is the push message, listing those devices`,
  RETRIES_EXHAUSTED: `the queue message could not be processed (DynamoDB or SQS failing) on any of its ${prop('delivery.maxReceiveCount')} receives; the body is the message as received`,
} as const;

export type RejectReason = keyof typeof PUBLISH_REJECT_REASONS;
export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;
export const DEAD_LETTER_REASON_CODES = Object.keys(DEAD_LETTER_REASONS) as DeadLetterReason[];

/** The message attributes of a dead letter (SQS String attributes), by name, with what each holds. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: { type: 'string', enum: DEAD_LETTER_REASON_CODES, description: 'a code from the table above' },
  reasonMessage: { type: 'string', description: 'what was wrong, in words, and what to change' },
  eventId: { type: 'string', description: 'the EventBridge event id, when known' },
  notificationId: { type: 'string', description: 'the notification id, when known' },
  attempts: { type: 'string', description: 'delivery attempts made (`UNDELIVERED` and `PUSH_UNDELIVERED` only)', examples: ['3'] },
  missedConnections: { type: 'string', description: 'how many connections the message lists (`UNDELIVERED` only)', examples: ['1'] },
  truncated: { const: 'true', description: '`true` when the body is only the start of the message, which did not fit in SQS beside its attributes' },
  originalBytes: { type: 'string', description: 'the size in bytes (UTF-8) of the whole message body (`truncated` only)' },
  originalSha256: { type: 'string', description: 'the SHA-256 of the whole message body, hex (`truncated` only)' },
} as const satisfies Record<string, JsonSchema>;

export type DeadLetterAttributeName = keyof typeof DEAD_LETTER_ATTRIBUTES;

/** A dead letter's attributes as deliver writes them: only the listed names, and a listed reason code. */
export type DeadLetterAttributes = { readonly [Name in DeadLetterAttributeName]?: JsonValueOf<(typeof DEAD_LETTER_ATTRIBUTES)[Name]> };

/** A dead letter's message attributes, as one schema (AsyncAPI message headers). */
export const DEAD_LETTER_HEADERS: JsonSchema = {
  title: 'DeadLetterAttributes',
  description: 'The SQS message attributes of a dead letter: why it is there, and ids to find the event. Every dead letter deliver writes has '
    + '`reason` and `reasonMessage`; a message SQS moved there itself (its invocation crashed or timed out on its last receive) has none.',
  type: 'object',
  properties: DEAD_LETTER_ATTRIBUTES,
};
