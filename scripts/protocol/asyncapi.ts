/**
 * The AsyncAPI 3.0 document of the WebSocket API, the publish contract, the client message events,
 * the inbox's events and the dead-letter queue (docs/asyncapi.json), built from the protocol's schemas: the construct
 * is the application it describes, so it receives client frames (and replies) and notification
 * events, and sends notifications, presence events, client message events and dead letters.
 */
import {
  ANSWERS, CLIENT_ACTIONS, CLIENT_FRAMES, CLIENT_MESSAGE_DETAIL, ClientAction, clientMessageEvent, DEAD_LETTER_ATTRIBUTES, DEAD_LETTER_HEADERS,
  JsonSchema, MARK_READ_DETAIL, MARK_READ_DETAIL_TYPE, MARK_READ_EVENT, NOTIFICATION_DETAIL, notificationEvent, NOTIFICATIONS_READ_DETAIL, NOTIFICATIONS_READ_DETAIL_TYPE, NOTIFICATIONS_READ_EVENT,
  PROTOCOL_VERSION, SERVER_FRAMES, ServerFrameName,
} from '../../lib/private/protocol';
import { API_SUBPROTOCOL, LIMITS, TOKEN_QUERY_PARAMETER, TOKEN_SUBPROTOCOL_PREFIX } from '../../lib/private/runtime-contract';
import { SETTINGS } from '../../lib/private/settings';
import { namedSchemas } from './client-types';

export const ASYNCAPI_FILE = 'docs/asyncapi.json';

const requestMessage = (action: ClientAction): string => `${action}Request`;
const ref = (path: string) => ({ $ref: `#/${path}` });

export function renderAsyncApi(): object {
  const event = notificationEvent(SETTINGS.detailType.default);
  const clientEvent = clientMessageEvent(SETTINGS['clientMessages.detailType'].default);
  const named = [
    ...namedSchemas(), NOTIFICATION_DETAIL, event, CLIENT_MESSAGE_DETAIL, clientEvent,
    MARK_READ_DETAIL, MARK_READ_EVENT, NOTIFICATIONS_READ_DETAIL, NOTIFICATIONS_READ_EVENT, deadLetterHeaders,
  ];
  const schemas = Object.fromEntries([...new Set(named)].map((schema) => [schema.title!, toAsyncApiSchema(schema, named, true)]));
  const message = (schema: JsonSchema, name: string, summary = schema.description) => ({
    name,
    title: schema.title,
    summary,
    payload: ref(`components/schemas/${schema.title}`),
    examples: (schema.examples ?? []).map((payload) => ({ payload })),
  });
  const messages = {
    ...Object.fromEntries(CLIENT_ACTIONS.map((action) => [requestMessage(action), message(CLIENT_FRAMES[action], requestMessage(action))])),
    ...Object.fromEntries(Object.entries(SERVER_FRAMES).map(([name, schema]) => [name, message(schema, name)])),
    notificationEvent: message(event, 'notificationEvent'),
    clientMessageEvent: message(clientEvent, 'clientMessageEvent'),
    markReadEvent: message(MARK_READ_EVENT, 'markReadEvent'),
    notificationsReadEvent: message(NOTIFICATIONS_READ_EVENT, 'notificationsReadEvent'),
    deadLetter: {
      name: 'deadLetter',
      title: 'DeadLetter',
      summary: 'A message deliver could not deliver, with attributes that say why.',
      headers: ref(`components/schemas/${deadLetterHeaders.title}`),
      payload: {
        description: 'The body: the queue message as deliver received it (usually a NotificationEvent that broke the contract, or whatever was '
          + 'sent instead), only its start when `truncated`; for `UNDELIVERED`, a shard message listing the connections that missed the '
          + 'notification, which a redrive to the delivery queue tries again (docs/protocol.md).',
      },
    },
  };
  const busChannels = ['notificationEvent', 'clientMessageEvent', 'markReadEvent', 'notificationsReadEvent', 'deadLetter'];
  const channelMessages = (names: string[]) => Object.fromEntries(names.map((name) => [name, ref(`components/messages/${name}`)]));
  const onConnection = (name: string) => ref(`channels/connection/messages/${name}`);

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'cdk-realtime-notifications',
      version: PROTOCOL_VERSION,
      description: 'Realtime notifications over API Gateway WebSockets. Clients connect, subscribe to topics and receive notifications; '
        + 'backends publish notifications as EventBridge events. Every frame is one JSON text message of at most '
        + `${LIMITS.maxFrameBytes} bytes. The contracts in words: docs/protocol.md.`,
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      websocket: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        description: "The construct's WebSocket API (its webSocketUrl), or a custom domain.",
        variables: {
          apiId: { description: 'The WebSocket API id.' },
          region: { description: 'The AWS region.', examples: ['us-east-1'] },
          stage: { description: 'The stage name.', default: SETTINGS.stageName.default },
        },
        security: [ref('components/securitySchemes/tokenSubprotocol'), ref('components/securitySchemes/tokenQuery')],
      },
      eventBus: {
        host: 'events.{region}.amazonaws.com',
        protocol: 'https',
        description: "EventBridge: backends put notification events on the construct's bus with PutEvents (notifications.grantPublish gives the permission), "
          + 'and receive client message events from it with their own rules.',
        variables: { region: { description: 'The AWS region.', examples: ['us-east-1'] } },
      },
      deadLetterQueue: {
        host: 'sqs.{region}.amazonaws.com',
        protocol: 'sqs',
        description: "SQS: the construct's dead-letter queue (its deadLetterQueue), which operators read, fix and redrive.",
        variables: { region: { description: 'The AWS region.', examples: ['us-east-1'] } },
      },
    },
    channels: {
      connection: {
        address: '/',
        title: 'A WebSocket connection',
        description: 'One connection per client. The route is chosen by the `action` of each client frame; answers carry its `requestId`. '
          + `Offer the subprotocol \`${API_SUBPROTOCOL}\`: the handshake answers with it.`,
        servers: [ref('servers/websocket')],
        messages: channelMessages(Object.keys(messages).filter((name) => !busChannels.includes(name))),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: { [TOKEN_QUERY_PARAMETER]: { type: 'string', description: 'The JWT, when it is not offered as a subprotocol.' } },
            },
            headers: {
              type: 'object',
              properties: {
                'Sec-WebSocket-Protocol': {
                  type: 'string',
                  description: `\`${API_SUBPROTOCOL}\`, and \`${TOKEN_SUBPROTOCOL_PREFIX}<JWT>\` to carry the token; the handshake answers \`${API_SUBPROTOCOL}\`.`,
                  examples: [`${API_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}eyJhbGciOi…`],
                },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
      notifications: {
        address: SETTINGS.detailType.default,
        title: 'Notification events',
        description: `Events of detail type "${SETTINGS.detailType.default}" (the construct's detailType prop) on the construct's bus. `
          + 'One that breaks the contract is dead-lettered with a reason (docs/protocol.md).',
        servers: [ref('servers/eventBus')],
        messages: channelMessages(['notificationEvent']),
      },
      clientMessages: {
        address: SETTINGS['clientMessages.detailType'].default,
        title: 'Client message events',
        description: `Events of detail type "${SETTINGS['clientMessages.detailType'].default}" (the construct's clientMessages.detailType prop) on the construct's bus: `
          + 'one per accepted client message, for backends to match with their own rules.',
        servers: [ref('servers/eventBus')],
        messages: channelMessages(['clientMessageEvent']),
      },
      markRead: {
        address: MARK_READ_DETAIL_TYPE,
        title: 'Mark-read events',
        description: `${MARK_READ_EVENT.description} Only while user streams are kept (history.userStreams).`,
        servers: [ref('servers/eventBus')],
        messages: channelMessages(['markReadEvent']),
      },
      notificationsRead: {
        address: NOTIFICATIONS_READ_DETAIL_TYPE,
        title: 'Notifications-read events',
        description: NOTIFICATIONS_READ_EVENT.description,
        servers: [ref('servers/eventBus')],
        messages: channelMessages(['notificationsReadEvent']),
      },
      deadLetters: {
        address: null,
        title: 'The dead-letter queue',
        description: 'Every notification event that broke the contract, and every notification some connections missed after the last attempt, '
          + 'with a `reason` (docs/protocol.md, "What happens to a detail that breaks the contract").',
        servers: [ref('servers/deadLetterQueue')],
        messages: channelMessages(['deadLetter']),
      },
    },
    operations: {
      ...Object.fromEntries(CLIENT_ACTIONS.map((action) => [action, {
        action: 'receive',
        title: action,
        summary: CLIENT_FRAMES[action].description,
        channel: ref('channels/connection'),
        messages: [onConnection(requestMessage(action))],
        reply: { channel: ref('channels/connection'), messages: [onConnection(ANSWERS[action] as ServerFrameName), onConnection('error')] },
      }])),
      sendNotification: {
        action: 'send',
        title: 'Push a notification',
        summary: SERVER_FRAMES.notification.description,
        channel: ref('channels/connection'),
        messages: [onConnection('notification')],
      },
      sendPresenceEvent: {
        action: 'send',
        title: 'Announce a join or leave',
        summary: SERVER_FRAMES.presenceEvent.description,
        channel: ref('channels/connection'),
        messages: [onConnection('presenceEvent')],
      },
      receiveNotificationEvent: {
        action: 'receive',
        title: 'Take a notification off the bus',
        summary: event.description,
        channel: ref('channels/notifications'),
        messages: [ref('channels/notifications/messages/notificationEvent')],
      },
      sendClientMessageEvent: {
        action: 'send',
        title: 'Put a client message on the bus',
        summary: `${clientEvent.description} Backends receive it with a rule on its detail type and source.`,
        channel: ref('channels/clientMessages'),
        messages: [ref('channels/clientMessages/messages/clientMessageEvent')],
      },
      receiveMarkReadEvent: {
        action: 'receive',
        title: 'Take a backend\'s mark-read off the bus',
        summary: MARK_READ_DETAIL.description,
        channel: ref('channels/markRead'),
        messages: [ref('channels/markRead/messages/markReadEvent')],
      },
      sendNotificationsReadEvent: {
        action: 'send',
        title: 'Put a mark-read on the bus',
        summary: NOTIFICATIONS_READ_DETAIL.description,
        channel: ref('channels/notificationsRead'),
        messages: [ref('channels/notificationsRead/messages/notificationsReadEvent')],
      },
      sendDeadLetter: {
        action: 'send',
        title: 'Dead-letter what cannot be delivered',
        summary: 'Puts a message that broke the publish contract, or the connections that missed a notification, on the dead-letter queue with its reason.',
        channel: ref('channels/deadLetters'),
        messages: [ref('channels/deadLetters/messages/deadLetter')],
      },
    },
    components: {
      schemas,
      messages,
      securitySchemes: {
        tokenSubprotocol: {
          type: 'httpApiKey',
          name: 'Sec-WebSocket-Protocol',
          in: 'header',
          description: `The JWT as the subprotocol entry \`${TOKEN_SUBPROTOCOL_PREFIX}<JWT>\`, offered beside \`${API_SUBPROTOCOL}\` (recommended: it stays out of URLs and logs).`,
        },
        tokenQuery: {
          type: 'httpApiKey',
          name: TOKEN_QUERY_PARAMETER,
          in: 'query',
          description: 'The JWT in the query string of the WebSocket URL.',
        },
      },
    },
  };
}

/** The dead letter's attributes, where "the table above" is the list of reason codes. */
const deadLetterHeaders: JsonSchema = {
  ...DEAD_LETTER_HEADERS,
  properties: {
    ...DEAD_LETTER_ATTRIBUTES,
    reason: { ...DEAD_LETTER_ATTRIBUTES.reason, description: 'Why the message is here: docs/protocol.md says what each code means.' },
  },
};

/** The schema as AsyncAPI reads it: other named schemas by reference, without the checker's words. */
function toAsyncApiSchema(schema: JsonSchema, named: JsonSchema[], top = false): object {
  if (!top && named.includes(schema)) return ref(`components/schemas/${schema.title}`);
  const { errorMessage: _words, properties, items, oneOf, ...rest } = schema;
  return {
    ...rest,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, toAsyncApiSchema(p, named)])) } : {}),
    ...(items ? { items: toAsyncApiSchema(items, named) } : {}),
    ...(oneOf ? { oneOf: oneOf.map((branch) => toAsyncApiSchema(branch, named)) } : {}),
  };
}
