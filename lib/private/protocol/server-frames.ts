/** Server → client frames: answers to client frames (echoing their `requestId`) and pushed frames. */
import { ClientAction, STREAM_POSITION } from './client-frames';
import { ERROR_CODE_NAMES } from './error-codes';
import { JsonSchema } from './json-schema';
import { prop } from './limits';

/** Why the server closes a connection, as its `closing` frame says. */
export const CLOSE_CODES = ['TOKEN_EXPIRED', 'KICKED', 'UNAUTHORIZED'] as const;
export type CloseCode = (typeof CLOSE_CODES)[number];

const requestId: JsonSchema = { type: 'string', description: 'The `requestId` of the frame this answers, when it had one.' };
const topic: JsonSchema = { type: 'string', description: 'The topic.' };
const epoch: JsonSchema = { type: 'string', description: "The stream's epoch; positions of another epoch say nothing about this one." };
const seq: JsonSchema = { type: 'integer', minimum: 0, description: "The stream's position: +1 per notification of the stream." };
const recovered: JsonSchema = { type: 'boolean', description: 'With `since`: whether every notification after it was replayed before this answer.' };

function frame(type: string, title: string, description: string, properties: Record<string, JsonSchema>, required: string[], examples: unknown[]): JsonSchema {
  return {
    title,
    description,
    type: 'object',
    properties: { type: { const: type, description: 'What kind of frame this is.' }, ...properties },
    required: ['type', ...required],
    examples,
  };
}

const NOTIFICATION_FRAME = frame('notification', 'NotificationFrame',
  'A notification, pushed to its audience. Exactly one of `topic`, `userId` or `broadcast` says how it was addressed.', {
    id: { type: 'string', description: 'Stable across retries, so clients can drop duplicates.' },
    seq: { ...seq, description: 'Its position in a stream with history: +1 per notification of the stream.' },
    epoch,
    topic: { type: 'string', description: 'The topic, for topic notifications.' },
    userId: { type: 'string', description: 'The user, for notifications sent to one user.' },
    broadcast: { const: true, description: 'Present on broadcasts.' },
    data: { description: 'The payload, any JSON value, as the backend or client published it; absent when `dataUrl` carries it.' },
    dataUrl: {
      type: 'string',
      description: `Present instead of \`data\` when the payload does not fit in the frame: a short-lived (${prop('payloads.urlExpiry')}) HTTPS URL of the payload's JSON, `
        + 'to GET without credentials. Check its `size` and `sha256`, then parse it: that is `data`. The client libraries do this before handing the notification over.',
    },
    size: { type: 'integer', minimum: 0, description: "With `dataUrl`: the payload's size in bytes." },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: "With `dataUrl`: the SHA-256 of the payload's bytes, lowercase hex." },
    from: { type: 'string', description: 'The sending user of a client message, stamped by the server; absent on backend notifications.' },
    time: { type: 'string', description: 'When it was published, ISO-8601.' },
  }, ['id', 'time'], [
    { type: 'notification', id: 'n-1', topic: 'orders/42', data: { status: 'shipped' }, time: '2026-11-22T10:00:00.000Z' },
    {
      type: 'notification', id: 'report-9', topic: 'reports/9', time: '2026-11-22T10:00:00.000Z',
      dataUrl: 'https://payloads.s3.eu-west-1.amazonaws.com/payloads/5f1c.json?X-Amz-Expires=300&X-Amz-Signature=…', size: 5242880,
      sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    },
    { type: 'notification', id: 'n-7', topic: 'rooms/lobby', data: { text: 'hi' }, from: 'alice', time: '2026-11-22T10:00:00.000Z' },
    { type: 'notification', id: 'n-2', seq: 42, epoch: 'k3j9', topic: 'orders/42', data: { status: 'delivered' }, time: '2026-11-22T10:05:00.000Z' },
  ]);

export const PRESENCE_MEMBER: JsonSchema = {
  title: 'PresenceMember',
  type: 'object',
  properties: {
    userId: { type: 'string', description: 'The user.' },
    connections: { type: 'integer', minimum: 1, description: "The user's connections subscribed to the topic." },
  },
  required: ['userId', 'connections'],
  examples: [{ userId: 'alice', connections: 2 }],
};

/** Every server frame, by name. */
export const SERVER_FRAMES = {
  subscribed: frame('subscribed', 'SubscribedFrame',
    'The answer to `subscribe`, after any replay; or, with `byServer`, pushed when a backend subscribed the user (a `ConnectionControl` `subscribe`): '
    + "the topic's notifications arrive from now on, and the user's own `subscribe` to it is accepted whatever the topic rules say (after a reconnect too).", {
    topic, requestId, recovered,
    byServer: { const: true, description: 'Present when a backend made the subscription.' },
    epoch: { ...epoch, description: "When the topic keeps history: its epoch as of this answer." },
    seq: { ...seq, description: "When the topic keeps history: its position as of this answer." },
  }, ['topic'], [
    { type: 'subscribed', topic: 'orders/42', requestId: 'r1' },
    { type: 'subscribed', topic: 'orders/42', requestId: 'r2', recovered: true, epoch: 'k3j9', seq: 45 },
  ]),
  unsubscribed: frame('unsubscribed', 'UnsubscribedFrame',
    'The answer to `unsubscribe`; or, with `byServer`, pushed when a backend took the topic from the user (a `ConnectionControl` `unsubscribe`): '
    + 'nothing more of it arrives, and subscribing to it again is refused.', {
      topic, requestId,
      byServer: { const: true, description: 'Present when a backend ended the subscription: do not subscribe again on your own.' },
    }, ['topic'],
    [{ type: 'unsubscribed', topic: 'orders/42' }, { type: 'unsubscribed', topic: 'teams/42', byServer: true }]),
  published: frame('published', 'PublishedFrame', 'The answer to `publish`: every subscriber was posted to, or put back on the delivery queue for a retry.', {
    topic,
    id: { type: 'string', description: "The id the subscribers' notification frames carry." },
    seq: {
      ...seq,
      description: 'Its position, when the topic keeps history and the sender may also read it (subscribe to it, or page its history): a sender who may only publish there is not told how many messages the stream holds.',
    },
    epoch: { ...epoch, description: "With `seq`: the stream's epoch; positions of another epoch say nothing about this one." },
    requestId,
  }, ['topic', 'id'], [{ type: 'published', topic: 'rooms/lobby', id: 'n-7', requestId: 'p1' }]),
  presence: frame('presence', 'PresenceFrame', 'The answer to `presence`: who is on the topic now.', {
    topic,
    members: { type: 'array', items: PRESENCE_MEMBER, description: `Up to ${prop('clientMessages.maxPresenceMembers')} users, in user id order.` },
    count: { type: 'integer', minimum: 0, description: 'Members in all, listed or not.' },
    truncated: { type: 'boolean', description: 'Whether `members` lists fewer than `count`.' },
    requestId,
  }, ['topic', 'members', 'count', 'truncated'],
  [{ type: 'presence', topic: 'rooms/lobby', members: [{ userId: 'alice', connections: 2 }], count: 1, truncated: false, requestId: 'q1' }]),
  presenceEvent: frame('presence', 'PresenceEventFrame',
    "Pushed to a presence topic's subscribers when a user's first connection joins it or the last one leaves.", {
      topic,
      event: { enum: ['join', 'leave'], description: 'Whether the user arrived or left.' },
      userId: { type: 'string', description: 'The user.' },
    }, ['topic', 'event', 'userId'], [{ type: 'presence', topic: 'rooms/lobby', event: 'join', userId: 'bob' }]),
  resumed: frame('resumed', 'ResumedFrame', "The answer to `resume`: the user's own stream was replayed up to this position.", {
    recovered: { ...recovered, description: 'Whether every notification after `since` was replayed; false without `since`.' },
    epoch, seq,
    unread: { type: 'integer', minimum: 0, description: 'When the user stream is kept: its notifications not read, as of this answer (see `unread`).' },
    readVersion: { type: 'integer', minimum: 0, description: 'With `unread`: as in the `unread` frame.' },
    requestId,
  }, ['recovered'], [{ type: 'resumed', recovered: true, epoch: 'p0x1', seq: 9, unread: 2, readVersion: 4, requestId: 'r3' }]),
  history: frame('history', 'HistoryFrame', "The answer to `history`: kept notifications of the topic, oldest first, as many as fit in one frame.", {
    topic, epoch,
    notifications: { type: 'array', items: NOTIFICATION_FRAME, description: 'Oldest first.' },
    hasMore: { type: 'boolean', description: 'Whether older notifications are kept than the first one listed.' },
    requestId,
  }, ['topic', 'epoch', 'notifications', 'hasMore'],
  [{
    type: 'history',
    topic: 'rooms/lobby',
    epoch: 'k3j9',
    notifications: [{ type: 'notification', id: 'n-71', seq: 71, epoch: 'k3j9', topic: 'rooms/lobby', data: { text: 'hi' }, from: 'alice', time: '2026-11-22T09:58:00.000Z' }],
    hasMore: true,
    requestId: 'h1',
  }]),
  unread: frame('unread', 'UnreadFrame',
    `How many notifications of the user's own stream (within ${prop('history.userStreamRetention')}) are not read: the answer to \`markRead\`, `
    + 'and pushed to every connection of the user whenever the count changes (a new notification for the user, a mark-read from another device or a backend). '
    + 'Frames can arrive out of order: keep the one with the highest `seq` and `readVersion` (a frame whose two are both lower than, or equal to, '
    + "those of the one you have is older); another `epoch` means the stream started over.", {
      count: { type: 'integer', minimum: 0, description: 'Notifications not read.' },
      epoch,
      seq: { ...seq, description: "The stream's position the count was taken at." },
      readVersion: { type: 'integer', minimum: 0, description: "+1 for every mark-read that changed the user's read state (in this epoch)." },
      requestId,
    }, ['count', 'epoch', 'seq', 'readVersion'], [{ type: 'unread', count: 3, epoch: 'p0x1', seq: 9, readVersion: 4 }]),
  inbox: frame('inbox', 'InboxFrame', "The answer to `inbox`: the user's own stream, oldest first, each notification with its read state, as many as fit in one frame.", {
    epoch,
    notifications: {
      type: 'array',
      items: { ...NOTIFICATION_FRAME, title: 'InboxItem', properties: { ...NOTIFICATION_FRAME.properties, read: { type: 'boolean', description: 'Whether it is marked read.' } },
        required: [...(NOTIFICATION_FRAME.required ?? []), 'read'], examples: [] },
      description: 'Oldest first: the notification frames as they were posted, each with `read`.',
    },
    hasMore: { type: 'boolean', description: 'Whether older notifications are kept than the first one listed.' },
    unread: { type: 'integer', minimum: 0, description: 'Notifications not read, in the whole stream.' },
    seq: { ...seq, description: "The stream's position as of this answer." },
    readVersion: { type: 'integer', minimum: 0, description: 'As in `unread`.' },
    requestId,
  }, ['epoch', 'notifications', 'hasMore', 'unread', 'seq', 'readVersion'],
  [{
    type: 'inbox',
    epoch: 'p0x1',
    notifications: [{ type: 'notification', id: 'n-8', seq: 9, epoch: 'p0x1', userId: 'alice', data: { text: 'Your order shipped' }, time: '2026-11-22T09:58:00.000Z', read: false }],
    hasMore: false,
    unread: 1,
    seq: 9,
    readVersion: 4,
    requestId: 'i1',
  }]),
  pushDevices: frame('pushDevices', 'PushDevicesFrame', "The answer to `registerPush`, `unregisterPush` and `pushDevices`: the signed-in user's devices after it.", {
    devices: {
      type: 'array',
      items: {
        title: 'PushDevice',
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Names the device (derived from its endpoint).' },
          endpoint: { type: 'string', description: 'A browser\'s: its Web Push endpoint.' },
          platform: { enum: ['web', 'apns', 'fcm'], description: 'A browser (Web Push), or a mobile app through SNS.' },
          token: { type: 'string', description: 'A mobile app\'s: its device token.' },
          registeredAt: { type: 'string', description: 'When it was last registered, ISO-8601.' },
        },
        required: ['id', 'platform', 'registeredAt'],
      },
      description: 'Oldest registration first.',
    },
    max: { type: 'integer', minimum: 1, description: `How many devices the user may register (${prop('push.maxDevicesPerUser')}).` },
    requestId,
  }, ['devices', 'max'], [{ type: 'pushDevices', devices: [{ id: 'Zk3…', platform: 'web', endpoint: 'https://fcm.googleapis.com/fcm/send/c1Kd…', registeredAt: '2026-11-22T10:00:00.000Z' }], max: 10, requestId: 'w1' }]),
  reauthed: frame('reauthed', 'ReauthedFrame', "The answer to `reauth`: the connection now lives until the new token's expiry.", {
    expiresAt: { type: 'integer', minimum: 0, description: "The new token's expiry, epoch seconds." },
    requestId,
  }, ['expiresAt'], [{ type: 'reauthed', expiresAt: 1795860000, requestId: 'a1' }]),
  reauthRequest: frame('reauth', 'ReauthRequestFrame',
    "Pushed before the connection's token expires: send a `reauth` with a fresh token before `expiresAt`, or the connection is closed "
    + `(\`closing\` TOKEN_EXPIRED) ${prop('connections.tokenExpiryGrace')} after it, and nothing is delivered to it from \`expiresAt\` on.`, {
      expiresAt: { type: 'integer', minimum: 0, description: "When the connection's token expires, epoch seconds." },
    }, ['expiresAt'], [{ type: 'reauth', expiresAt: 1795856400 }]),
  closing: frame('closing', 'ClosingFrame',
    'Pushed just before the server closes the connection, saying why. TOKEN_EXPIRED: reconnect with a fresh token. '
    + 'KICKED: a backend ended this user\'s connections (or this one); do not reconnect on your own. UNAUTHORIZED: a `reauth` named another user.', {
      code: { enum: [...CLOSE_CODES], description: 'Why the connection is closed.' },
      message: { type: 'string', description: 'In words; for KICKED, the reason the backend gave.' },
    }, ['code', 'message'], [{ type: 'closing', code: 'KICKED', message: 'Your account was suspended.' }]),
  pong: frame('pong', 'PongFrame', 'The answer to `ping`.', { requestId }, [], [{ type: 'pong' }]),
  error: frame('error', 'ErrorFrame', 'A refusal: the answer to a frame that could not be carried out, or a frame that could not be read.', {
    code: { enum: ERROR_CODE_NAMES, description: 'What kind of refusal (see the error codes).' },
    message: { type: 'string', description: 'What was wrong, in words, and what to change.' },
    retryAfterMs: { type: 'integer', minimum: 0, description: 'With RATE_LIMITED: when the next message will be accepted.' },
    requestId,
  }, ['code', 'message'], [{ type: 'error', code: 'FORBIDDEN', message: 'This connection may not subscribe to "orders/42".', requestId: 'r1' }]),
  notification: NOTIFICATION_FRAME,
} satisfies Record<string, JsonSchema>;

export type ServerFrameName = keyof typeof SERVER_FRAMES;

/** The frame each action is answered with when it succeeds (any action may be answered with `error`). */
export const ANSWERS = {
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  publish: 'published',
  presence: 'presence',
  resume: 'resumed',
  history: 'history',
  markRead: 'unread',
  inbox: 'inbox',
  registerPush: 'pushDevices',
  unregisterPush: 'pushDevices',
  pushDevices: 'pushDevices',
  reauth: 'reauthed',
  ping: 'pong',
} as const satisfies Record<ClientAction, ServerFrameName>;

export { STREAM_POSITION };
