/**
 * The inbox on the construct's bus: backends mark a user's notifications read with a `MarkRead`
 * event (delivered to the deliver function by the notification rule), and every mark-read that
 * changed a user's read state, from a client or a backend, is put on the bus as a
 * `NotificationsRead` event (for example, to cancel an email reminder). Only while user streams
 * are kept (`history.userStreams`).
 */
import { JsonSchema } from './json-schema';
import { MAX_MARK_READ_IDS, STREAM_POSITION } from './client-frames';

import { INBOX_EVENT_SOURCE, MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE } from './inbox-event-names';

export { INBOX_EVENT_SOURCE, MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE };

const userId: JsonSchema = { type: 'string', minLength: 1, description: 'The user whose own stream it is.', errorMessage: '"userId" must be the user\'s id, a non-empty string.' };
const ids: JsonSchema = {
  type: 'array', minItems: 1, maxItems: MAX_MARK_READ_IDS,
  items: { type: 'string', minLength: 1, errorMessage: '"ids" must list notification ids (non-empty strings).' },
  description: 'Ids of notifications in the user\'s stream (the ids you published them with).',
  errorMessage: `"ids" must be an array of 1 to ${MAX_MARK_READ_IDS} notification ids; mark more with "upTo".`,
};

export const MARK_READ_DETAIL: JsonSchema = {
  title: 'MarkReadDetail',
  description: `The \`Detail\` of a \`${MARK_READ_DETAIL_TYPE}\` event a backend puts on the construct's bus: exactly one of \`ids\` or \`upTo\`. `
    + 'Checked like a client\'s `markRead` (ids of the user\'s own stream still kept, a position of its epoch and not ahead of it); '
    + 'one that is not is dead-lettered with reason `BAD_MARK_READ`. The user\'s connections are pushed the new `unread` count.',
  type: 'object',
  properties: {
    userId,
    ids,
    upTo: { ...STREAM_POSITION, description: 'Everything in the user\'s stream up to and including this position.', errorMessage: '"upTo" must be an object such as {"epoch":"p0x1","seq":9}.' },
  },
  required: ['userId'],
  examples: [{ userId: 'alice', ids: ['order-42-shipped'] }],
};

export const NOTIFICATIONS_READ_DETAIL: JsonSchema = {
  title: 'NotificationsReadDetail',
  description: `The \`Detail\` of the \`${NOTIFICATIONS_READ_DETAIL_TYPE}\` event (source \`${INBOX_EVENT_SOURCE}\`) put on the construct's bus after every mark-read that changed a user's read state.`,
  type: 'object',
  properties: {
    userId,
    epoch: { type: 'string', description: "The user stream's epoch." },
    ids: { type: 'array', items: { type: 'string' }, description: 'The ids marked read, when the mark-read named ids.' },
    upTo: { type: 'integer', minimum: 0, description: 'The seq up to which everything was marked read, when the mark-read gave a position.' },
    unread: { type: 'integer', minimum: 0, description: 'The unread count after it.' },
    readVersion: { type: 'integer', minimum: 0, description: 'The read state\'s version after it.' },
    connectionId: { type: 'string', description: 'The connection that marked read; absent when a backend did.' },
    time: { type: 'string', description: 'When, ISO-8601.' },
  },
  required: ['userId', 'epoch', 'unread', 'readVersion', 'time'],
  examples: [{ userId: 'alice', epoch: 'p0x1', ids: ['order-42-shipped'], unread: 2, readVersion: 5, connectionId: 'L0SM9cOFvHcCIhw=', time: '2026-11-22T10:00:00.000Z' }],
};

/** A backend's `MarkRead` event as it arrives on the construct's bus. */
export const MARK_READ_EVENT: JsonSchema = {
  title: 'MarkReadEvent',
  description: `An EventBridge event a backend puts on the construct's bus to mark a user's notifications read (detail type \`${MARK_READ_DETAIL_TYPE}\`, any source). `
    + 'The construct\'s notification rule sends it to the deliver function, which applies it like a client\'s `markRead`.',
  type: 'object',
  properties: {
    'detail-type': { const: MARK_READ_DETAIL_TYPE, description: 'Always this detail type.' },
    'source': { type: 'string', description: 'Your own source.' },
    'detail': MARK_READ_DETAIL,
  },
  required: ['detail-type', 'source', 'detail'],
};

/** The `NotificationsRead` event the construct puts on its bus. */
export const NOTIFICATIONS_READ_EVENT: JsonSchema = {
  title: 'NotificationsReadEvent',
  description: `An EventBridge event the construct puts on its bus after every mark-read that changed a user's read state, from a client or a backend. `
    + 'Backends receive it with a rule on its detail type and source (for example, to cancel an email reminder).',
  type: 'object',
  properties: {
    'detail-type': { const: NOTIFICATIONS_READ_DETAIL_TYPE, description: 'Always this detail type.' },
    'source': { const: INBOX_EVENT_SOURCE, description: 'Always this source.' },
    'id': { type: 'string', description: 'The EventBridge event id.' },
    'time': { type: 'string', description: 'When, ISO-8601 to the second.' },
    'detail': NOTIFICATIONS_READ_DETAIL,
  },
  required: ['detail-type', 'source', 'detail'],
};
