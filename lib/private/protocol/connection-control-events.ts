/**
 * Backends act on a user's open connections through the construct's bus: a `ConnectionControl`
 * event (delivered to the deliver function by the notification rule). `disconnect` closes all of
 * a user's connections (or one), with a reason the client is told, and may refuse the user's new
 * connections until a given time (a ban).
 */
import { JsonSchema } from './json-schema';

/** The detail type of a backend's connection control event. */
export const CONNECTION_CONTROL_DETAIL_TYPE = 'ConnectionControl';
/** A ban lasts at most this long: a user removed for good is refused by your token issuer, not by a ban. */
export const MAX_BAN_SECONDS = 365 * 24 * 60 * 60;
/** A reason is shown to the user: a sentence, not a document. */
export const MAX_REASON_LENGTH = 500;

export const CONNECTION_CONTROL_DETAIL: JsonSchema = {
  title: 'ConnectionControlDetail',
  description: `The \`Detail\` of a \`${CONNECTION_CONTROL_DETAIL_TYPE}\` event a backend puts on the construct's bus. `
    + '`disconnect`: every open connection of `userId` (or only `connectionId`, when it is one of theirs) is removed at once, so nothing more is delivered to it, '
    + 'then told `{"type":"closing","code":"KICKED","message":<reason>}` and closed; the client library does not reconnect after it. '
    + 'With `banSeconds`, the user\'s new connections are refused (HTTP 403) for that long. '
    + '`unsubscribe`: `topic` is taken from every open connection of `userId` at once (presence leave announced), each is told '
    + '`{"type":"unsubscribed","topic","byServer":true}`, and the user\'s `subscribe` to it is refused (FORBIDDEN) from then on, reconnects included. '
    + '`subscribe`: `topic` is added to every open connection of `userId` whatever the topic rules say, each is told '
    + '`{"type":"subscribed","topic","byServer":true}`, and the user\'s own `subscribe` to it is accepted from then on (reconnects included) until an `unsubscribe`. '
    + 'One that does not match is dead-lettered with reason `BAD_CONNECTION_CONTROL`.',
  type: 'object',
  properties: {
    action: { enum: ['disconnect', 'subscribe', 'unsubscribe'], description: 'What to do.', errorMessage: '"action" must be "disconnect", "subscribe" or "unsubscribe".' },
    userId: { type: 'string', minLength: 1, description: 'The user whose connections it concerns.', errorMessage: '"userId" must be the user\'s id, a non-empty string.' },
    connectionId: { type: 'string', minLength: 1, maxLength: 128, description: 'Only this connection of the user; all of them when absent.', errorMessage: '"connectionId" must be a connection id of the user.' },
    topic: { type: 'string', minLength: 1, description: 'With `subscribe` or `unsubscribe` (required there): the topic the user gains or loses.', errorMessage: '"topic" must be a topic such as "teams/42".' },
    reason: { type: 'string', maxLength: MAX_REASON_LENGTH, description: 'Told to the client in the `closing` frame.', errorMessage: `"reason" must be a string of at most ${MAX_REASON_LENGTH} characters.` },
    banSeconds: {
      type: 'integer', minimum: 1, maximum: MAX_BAN_SECONDS,
      description: 'Refuse the user\'s new connections for this many seconds (from when the event is handled).',
      errorMessage: `"banSeconds" must be a whole number of seconds from 1 to ${MAX_BAN_SECONDS}.`,
    },
  },
  required: ['action', 'userId'],
  examples: [
    { action: 'disconnect', userId: 'alice', reason: 'Your account was suspended.', banSeconds: 3600 },
    { action: 'subscribe', userId: 'alice', topic: 'teams/42' },
    { action: 'unsubscribe', userId: 'alice', topic: 'teams/42' },
  ],
};
