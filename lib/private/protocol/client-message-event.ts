/**
 * The event the message function puts on the construct's bus for every accepted client message,
 * so backends can keep history, moderate or react with their own EventBridge rules. The message
 * function builds its detail with the type below (lambda/routes/client-message-event.ts).
 */
import { CLIENT_MESSAGE_SOURCE } from '../runtime-contract';
import { JsonSchema, JsonValueOf } from './json-schema';
import { prop } from './limits';

/** The fields of the detail, all present on every event. */
const CLIENT_MESSAGE_FIELDS = {
  id: { type: 'string', description: "The message's id, as the subscribers' notification frames and the sender's `published` answer carry it.", examples: ['n-7'] },
  topic: { type: 'string', description: 'The topic the client published to.', examples: ['rooms/lobby'] },
  from: { type: 'string', description: 'The sending user, as the `$connect` authorizer verified it (never taken from the frame).', examples: ['alice'] },
  data: { description: 'The message: the `data` of the client\'s `publish` frame, any JSON value, `null` included.', examples: [{ text: 'hi' }] },
  time: { type: 'string', description: 'When the server accepted it, ISO-8601: the notification frames carry the same `time`.', examples: ['2026-11-22T10:00:00.000Z'] },
  connectionId: { type: 'string', description: 'The API Gateway connection id that sent it.', examples: ['L0SM9cOFvHcCIhw='] },
} as const satisfies Record<string, JsonSchema>;

/** The `Detail` of a client message event. */
export type ClientMessageDetail = { readonly [Name in keyof typeof CLIENT_MESSAGE_FIELDS]: JsonValueOf<(typeof CLIENT_MESSAGE_FIELDS)[Name]> };

export const CLIENT_MESSAGE_DETAIL: JsonSchema = {
  title: 'ClientMessageDetail',
  description: 'A client message as its subscribers receive it, with the connection that sent it.',
  type: 'object',
  properties: CLIENT_MESSAGE_FIELDS,
  required: /* @__PURE__ */ Object.keys(CLIENT_MESSAGE_FIELDS),
  examples: [{ id: 'n-7', topic: 'rooms/lobby', from: 'alice', data: { text: 'hi' }, time: '2026-11-22T10:00:00.000Z', connectionId: 'L0SM9cOFvHcCIhw=' }],
};

/** The EventBridge event as a backend's rule receives it: the fields it can match and read. */
export function clientMessageEvent(detailType: string): JsonSchema {
  return {
    title: 'ClientMessageEvent',
    description: "An EventBridge event the message function puts on the construct's bus for every accepted client message, before delivering it. "
      + "The construct's notification rule does not match it, so it is delivered once.",
    type: 'object',
    properties: {
      'detail-type': { const: detailType, description: `"${detailType}" unless the construct's ${prop('clientMessages.detailType')} prop changes it.` },
      'source': { const: CLIENT_MESSAGE_SOURCE, description: 'Always this source, so rules can tell client messages from your own events.' },
      'id': { type: 'string', description: 'The EventBridge event id (not the message id: that is `detail.id`).' },
      'time': { type: 'string', description: "The message's `time`, ISO-8601 to the second." },
      'detail': CLIENT_MESSAGE_DETAIL,
    },
    required: ['detail-type', 'source', 'detail'],
  };
}
