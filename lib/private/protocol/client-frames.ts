/**
 * Client → server frames: one JSON object per WebSocket message, routed by its `action`.
 * Fields not listed are ignored; a listed field of the wrong type is BAD_REQUEST with the
 * field's `errorMessage`.
 */
import { CLIENT_ACTIONS, ClientAction } from './client-actions';
import { JsonSchema } from './json-schema';
import { IDLE_TIMEOUT, prop } from './limits';
import { DATA_NUMBERS, MAX_DATA_DEPTH } from './notification-event';
import { MAX_PUSH_ENDPOINT_LENGTH } from '../push-endpoints';

export { CLIENT_ACTIONS };
export type { ClientAction };

export const MAX_REQUEST_ID_LENGTH = 128;
/** An epoch is a short token the server made; anything longer is not one. */
export const MAX_EPOCH_LENGTH = 64;
/**
 * Notifications a `history` answer lists when the request gives no `limit` (and `history.maxReplay`
 * allows that many). Not the schema's `default`: the parser would fill it in, and the server takes
 * the smaller of the two.
 */
export const DEFAULT_HISTORY_LIMIT = 50;
/** Notification ids one `markRead` names at most: the ids are looked up in one DynamoDB BatchGetItem. */
export const MAX_MARK_READ_IDS = 100;
/** A token is at most this long: the authorizer refuses longer ones before parsing them. */
export const MAX_TOKEN_LENGTH = 8 * 1024;
/** A notification id is at most this long (the publish contract's bound). */
const MAX_NOTIFICATION_ID_LENGTH = 256;
/**
 * Number.MAX_SAFE_INTEGER, written out so that bundlers see a constant. As an integer's `maximum` it
 * never fires (json-schema.ts refuses unsafe integers in the type check already): it is there so
 * that docs/protocol.md and the AsyncAPI document state the bound.
 */
const MAX_SAFE_INTEGER = 9007199254740991;

// The calls below are marked pure: a handler that imports this module only for a constant (the
// frame builders beside parseClientFrame) then bundles none of the schemas. Texts built from the
// runtime's limits are not provably free of side effects to a bundler: the schemas holding them
// are built by pure-marked functions.

const requestId: JsonSchema = {
  type: 'string',
  maxLength: MAX_REQUEST_ID_LENGTH,
  description: 'Any string the client chooses, on any frame: echoed back in the answer (or the error) to it.',
  examples: ['r1'],
  errorMessage: `"requestId" must be a string of at most ${MAX_REQUEST_ID_LENGTH} characters.`,
};

const topic: JsonSchema = {
  type: 'string',
  description: 'A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing.',
  errorMessage: '"topic" must be a string, for example "orders/42".',
};

/** Where a client is in a stream with history. */
export const STREAM_POSITION: JsonSchema = {
  title: 'StreamPosition',
  description: 'Where a client is in a stream with history: the position up to which it has every notification (not the last one received: frames can arrive out of order).',
  type: 'object',
  properties: {
    epoch: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_EPOCH_LENGTH,
      description: "The stream's epoch, as the notifications and answers carry it.",
      errorMessage: '"since.epoch" must be the epoch string of the last notification received.',
    },
    seq: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_SAFE_INTEGER,
      description: 'The seq up to which every notification of the stream was received.',
      errorMessage: '"since.seq" must be the seq up to which every notification was received: a whole number, 0 or more.',
    },
  },
  required: ['epoch', 'seq'],
  examples: [{ epoch: 'k3j9', seq: 41 }],
};

const since: JsonSchema = {
  oneOf: [STREAM_POSITION, { type: 'null' }],
  description: 'Replay what the stream kept after this position before answering; absent or null for none.',
  errorMessage: '"since" must be an object such as {"epoch":"k3j9","seq":41}: the epoch and the seq up to which every notification was received.',
};

function action(name: string): JsonSchema {
  return { const: name, description: 'What to do: routes the frame.' };
}

/** A frame: its action, the requestId every frame may carry, and `more` fields; `required` with the words for their absence. */
function frame(name: string, title: string, description: string, more: Record<string, JsonSchema>, examples: unknown[], required: Record<string, string> = {}): JsonSchema {
  const schema: JsonSchema = { title, description, type: 'object', properties: { action: action(name), requestId, ...more }, required: ['action', ...Object.keys(required)], examples };
  return Object.keys(required).length === 0 ? schema : { ...schema, errorMessage: { required } };
}

/** A key of a push subscription: URL-safe base64 (padding allowed), as PushSubscription.toJSON() gives it. */
const pushKey = (name: string, bytes: number): JsonSchema => ({
  type: 'string',
  minLength: Math.floor((bytes * 4) / 3),
  maxLength: Math.ceil(bytes / 3) * 4,
  description: `${bytes} bytes, URL-safe base64.`,
  errorMessage: `"keys.${name}" of the subscription must be the subscription's ${name} key: ${bytes} bytes in URL-safe base64.`,
});

/** Longest device token accepted: APNs tokens are 64 hex digits, FCM's a few hundred characters. */
export const MAX_DEVICE_TOKEN_LENGTH = 4096;

/** A mobile app's device token, for SNS mobile push. */
export const MOBILE_DEVICE: JsonSchema = {
  title: 'MobileDevice',
  description: "A mobile app's device token and its platform: it becomes an endpoint of the construct's SNS platform application for that platform.",
  type: 'object',
  properties: {
    platform: { enum: ['apns', 'fcm'], description: 'APNs (iOS) or FCM (Android).', errorMessage: '"mobile.platform" must be "apns" or "fcm".' },
    token: { type: 'string', minLength: 1, maxLength: MAX_DEVICE_TOKEN_LENGTH, description: 'The device token (APNs) or registration token (FCM) the app was given.', errorMessage: `"mobile.token" must be the device token: a string of 1 to ${MAX_DEVICE_TOKEN_LENGTH} characters.` },
  },
  required: ['platform', 'token'],
  errorMessage: '"mobile" must be an object such as {"platform": "fcm", "token": "…"}.',
};

/** A browser's public key, as PushSubscription.toJSON() gives one. */
const EXAMPLE_P256DH = 'BJX_OSmckTCUthZzqdPYlhXVdDvgKHmcewP0mixKkytZVThdd33R_eSLzct3obR7BkgwIOQC0ZuUBCSl5-ayt6k';

/** A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys), as PushSubscription.toJSON() gives it. */
export const PUSH_SUBSCRIPTION: JsonSchema = {
  title: 'PushSubscription',
  description: 'A Web Push subscription, as the browser\'s PushSubscription.toJSON() gives it; other fields are ignored.',
  type: 'object',
  properties: {
    endpoint: { type: 'string', minLength: 1, maxLength: MAX_PUSH_ENDPOINT_LENGTH, description: "The push service's URL for this browser.", errorMessage: '"subscription.endpoint" must be the https URL the browser gave.' },
    keys: {
      type: 'object',
      properties: { p256dh: pushKey('p256dh', 65), auth: pushKey('auth', 16) },
      required: ['p256dh', 'auth'],
      description: "The browser's public key (P-256) and authentication secret.",
      errorMessage: '"subscription.keys" must be an object {"p256dh": …, "auth": …}: the keys of the subscription the browser gave.',
    },
  },
  required: ['endpoint', 'keys'],
  errorMessage: '"subscription" must be the PushSubscription the browser gave, as JSON: {"endpoint": …, "keys": {"p256dh": …, "auth": …}}.',
};

/**
 * A frame naming a topic; `example` is the topic its "needs a topic" message suggests, `required`
 * its other required fields with the words for their absence.
 */
function topicFrame(name: string, title: string, description: string, example: string, more: Record<string, JsonSchema>, examples: unknown[], required: Record<string, string> = {}): JsonSchema {
  return {
    ...frame(name, title, description, { topic: { ...topic, examples: [example] }, ...more }, examples),
    required: ['action', 'topic', ...Object.keys(required)],
    errorMessage: { required: { topic: `"${name}" needs a "topic", for example "${example}".`, ...required } },
  };
}

const wholeNumber = (name: string, description: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: MAX_SAFE_INTEGER,
  description,
  errorMessage: `"${name}" must be a whole number of at least 1.`,
});

/** Every client frame, by action. */
export const CLIENT_FRAMES = /* @__PURE__ */ (() => ({
  subscribe: /* @__PURE__ */ topicFrame('subscribe', 'SubscribeRequest',
    "Subscribes the connection to a topic, after catching up from `since` on a topic with history. Answered with `subscribed`.",
    'orders/42', { since },
    [
      { action: 'subscribe', topic: 'orders/42', requestId: 'r1' },
      { action: 'subscribe', topic: 'orders/42', since: { epoch: 'k3j9', seq: 41 }, requestId: 'r2' },
    ]),
  unsubscribe: /* @__PURE__ */ topicFrame('unsubscribe', 'UnsubscribeRequest', 'Ends the subscription to a topic. Answered with `unsubscribed`.',
    'orders/42', {}, [{ action: 'unsubscribe', topic: 'orders/42' }]),
  publish: /* @__PURE__ */ topicFrame('publish', 'PublishRequest',
    "Sends a message to a topic's subscribers, where the publish rules allow it. Answered with `published`. A `from`, `userId` or `id` in the frame is ignored: the server stamps the sender and the id.",
    'rooms/lobby', {
      data: {
        description: `The message: any JSON value, \`null\` included, at most ${/* @__PURE__ */ prop('clientMessages.maxSize')} bytes of JSON and ${MAX_DATA_DEPTH} levels deep. ${DATA_NUMBERS}`,
        examples: [{ text: 'hi' }],
      },
      echo: {
        type: 'boolean',
        default: false,
        description: 'Whether the publishing connection receives its own message too.',
        errorMessage: '"echo" must be true or false.',
      },
    },
    [{ action: 'publish', topic: 'rooms/lobby', data: { text: 'hi' }, requestId: 'p1' }],
    { data: '"publish" needs "data": the message, any JSON value such as {"text":"hi"}.' }),
  presence: /* @__PURE__ */ topicFrame('presence', 'PresenceRequest', 'Asks who is subscribed to a topic that tracks presence. Answered with `presence`.',
    'rooms/lobby', {}, [{ action: 'presence', topic: 'rooms/lobby', requestId: 'q1' }]),
  resume: /* @__PURE__ */ frame('resume', 'ResumeRequest',
    "Replays the signed-in user's own stream (user-targeted notifications) after `since`. Answered with `resumed`.",
    { since }, [{ action: 'resume', since: { epoch: 'p0x1', seq: 6 }, requestId: 'r3' }]),
  history: /* @__PURE__ */ topicFrame('history', 'HistoryRequest', "Pages back through a topic's kept notifications. Answered with `history`.",
    'rooms/lobby', {
      before: /* @__PURE__ */ wholeNumber('before', 'Only notifications before this seq; the latest when absent.'),
      limit: /* @__PURE__ */ wholeNumber('limit', `At most this many notifications (${DEFAULT_HISTORY_LIMIT} by default, at most ${/* @__PURE__ */ prop('history.maxReplay')}).`),
    },
    [{ action: 'history', topic: 'rooms/lobby', before: 72, limit: 1, requestId: 'h1' }]),
  markRead: /* @__PURE__ */ frame('markRead', 'MarkReadRequest',
    "Marks notifications of the signed-in user's own stream read: the ones `ids` names, or every one up to and including `upTo` (exactly one of the two). "
    + 'Marking read what is read already changes nothing, so a retry is safe. Answered with `unread` (the count after it); '
    + "every other connection of the user is pushed the new `unread` count. Counted against the user's client-message rate.",
    {
      ids: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_MARK_READ_IDS,
        items: { type: 'string', minLength: 1, maxLength: MAX_NOTIFICATION_ID_LENGTH, errorMessage: `"ids" must list notification ids: strings of 1 to ${MAX_NOTIFICATION_ID_LENGTH} characters.` },
        description: "Ids of notifications in the user's own stream, as their frames carry them.",
        errorMessage: `"ids" must be an array of 1 to ${MAX_MARK_READ_IDS} notification ids; mark more with "upTo".`,
      },
      upTo: {
        ...STREAM_POSITION,
        properties: {
          epoch: { ...STREAM_POSITION.properties!.epoch, errorMessage: '"upTo.epoch" must be the epoch string of your stream, as its notifications carry it.' },
          seq: { ...STREAM_POSITION.properties!.seq, description: 'The seq up to which (included) everything is read.', errorMessage: '"upTo.seq" must be the seq of a notification of your stream: a whole number, 0 or more.' },
        },
        description: "Everything in the user's own stream up to and including this position (the `epoch` and `seq` of a notification, or of a `resumed` or `inbox` answer).",
        errorMessage: '"upTo" must be an object such as {"epoch":"p0x1","seq":9}: a position of your own stream.',
      },
    },
    [{ action: 'markRead', ids: ['n-8'], requestId: 'm1' }, { action: 'markRead', upTo: { epoch: 'p0x1', seq: 9 }, requestId: 'm2' }]),
  inbox: /* @__PURE__ */ frame('inbox', 'InboxRequest',
    "Pages back through the signed-in user's own stream (user-targeted notifications), each with its read state. Answered with `inbox`.",
    {
      before: /* @__PURE__ */ wholeNumber('before', 'Only notifications before this seq; the latest when absent.'),
      limit: /* @__PURE__ */ wholeNumber('limit', `At most this many notifications (${DEFAULT_HISTORY_LIMIT} by default, at most ${/* @__PURE__ */ prop('history.maxReplay')}).`),
    },
    [{ action: 'inbox', limit: 20, requestId: 'i1' }]),
  registerPush: /* @__PURE__ */ frame('registerPush', 'RegisterPushRequest',
    "Registers a device for the signed-in user, a browser's Web Push `subscription` or a mobile app's device token (`mobile`; exactly one of the two): user-targeted notifications published with a `push` part are pushed to it "
    + `when no connection of the user receives them live. Registering the same endpoint again updates its keys. At most ${/* @__PURE__ */ prop('push.maxDevicesPerUser')} devices per user; `
    + `a subscription's endpoint must be an https URL of an accepted push service (${/* @__PURE__ */ prop('push.allowedEndpoints')}); a token, of a platform the construct has an SNS application for (${/* @__PURE__ */ prop('push.apns')}, ${/* @__PURE__ */ prop('push.fcm')}). Answered with \`pushDevices\`.`,
    { subscription: PUSH_SUBSCRIPTION, mobile: MOBILE_DEVICE },
    [
      { action: 'registerPush', subscription: { endpoint: 'https://fcm.googleapis.com/fcm/send/c1Kd…', keys: { p256dh: EXAMPLE_P256DH, auth: 'AqpIgDcnDBMdXhDoWWv5tQ' } }, requestId: 'w1' },
      { action: 'registerPush', mobile: { platform: 'fcm', token: 'dQw4w9WgXcQ:APA91bH…' }, requestId: 'w4' },
    ]),
  unregisterPush: /* @__PURE__ */ frame('unregisterPush', 'UnregisterPushRequest',
    "Removes one of the signed-in user's devices by its Web Push `endpoint` or its mobile `token` (exactly one); removing one that is not registered changes nothing. Answered with `pushDevices`.",
    {
      endpoint: { type: 'string', minLength: 1, maxLength: MAX_PUSH_ENDPOINT_LENGTH, description: 'The endpoint a browser was registered with.', errorMessage: '"endpoint" must be the endpoint URL of a registered subscription.' },
      token: { type: 'string', minLength: 1, maxLength: MAX_DEVICE_TOKEN_LENGTH, description: 'The device token a mobile app was registered with.', errorMessage: '"token" must be the device token a mobile app registered.' },
    },
    [{ action: 'unregisterPush', endpoint: 'https://fcm.googleapis.com/fcm/send/c1Kd…', requestId: 'w2' }, { action: 'unregisterPush', token: 'dQw4w9WgXcQ:APA91bH…' }]),
  pushDevices: /* @__PURE__ */ frame('pushDevices', 'PushDevicesRequest', "Lists the signed-in user's registered devices. Answered with `pushDevices`.",
    {}, [{ action: 'pushDevices', requestId: 'w3' }]),
  reauth: /* @__PURE__ */ {
    ...frame('reauth', 'ReauthRequest',
      'Hands the connection a fresh token before its current one expires (when asked with a `reauth` frame, or any time): verified as at `$connect`, '
      + "it must name the connection's own user and expire no earlier than the current one (the same token again completes a renewal that was cut off). Answered with `reauthed`; a token that names another user "
      + 'is answered with `error` UNAUTHORIZED and the connection is closed.',
      {
        token: {
          type: 'string',
          minLength: 1,
          maxLength: MAX_TOKEN_LENGTH,
          description: 'The new token (a JWT), as the client would send it on `$connect`.',
          examples: ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln'],
          errorMessage: `"token" must be the new token: a string of 1 to ${MAX_TOKEN_LENGTH} characters.`,
        },
      },
      [{ action: 'reauth', token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', requestId: 'a1' }]),
    required: ['action', 'token'],
    errorMessage: { required: { token: '"reauth" needs a "token": the fresh token from your token function.' } },
  },
  ping: /* @__PURE__ */ frame('ping', 'PingRequest',
    `Keeps the connection alive (API Gateway closes connections idle for ${IDLE_TIMEOUT}). Answered with \`pong\`.`,
    {}, [{ action: 'ping' }]),
}) satisfies Record<ClientAction, JsonSchema>)();

/** What every client frame is checked against first: a usable requestId, then an action. */
export const CLIENT_ENVELOPE: JsonSchema = {
  type: 'object',
  properties: {
    requestId,
    action: { type: 'string', errorMessage: `"action" must be a string, one of: ${/* @__PURE__ */ CLIENT_ACTIONS.join(', ')}.` },
  },
  required: ['action'],
  errorMessage: { required: { action: `Message has no "action". Use one of: ${/* @__PURE__ */ CLIENT_ACTIONS.join(', ')}.` } },
};
