/**
 * The AsyncAPI 3.0 document of the WebSocket API and of the publish contract (docs/asyncapi.json),
 * built from the protocol's schemas: the server is the application it describes, so it receives
 * client frames (and replies) and sends notifications and presence events.
 */
import {
  ANSWERS, CLIENT_ACTIONS, CLIENT_FRAMES, ClientAction, JsonSchema, NOTIFICATION_DETAIL, notificationEvent, PRESENCE_MEMBER,
  SERVER_FRAMES, ServerFrameName, STREAM_POSITION,
} from '../../lib/private/protocol';
import { API_SUBPROTOCOL, SETTINGS, LIMITS, TOKEN_QUERY_PARAMETER, TOKEN_SUBPROTOCOL_PREFIX } from '../../lib/private/runtime-contract';

export const ASYNCAPI_FILE = 'docs/asyncapi.json';

const requestMessage = (action: ClientAction): string => `${action}Request`;
const ref = (path: string) => ({ $ref: `#/${path}` });

export function renderAsyncApi(version: string): object {
  const event = notificationEvent(SETTINGS.detailType.default);
  const named = [STREAM_POSITION, PRESENCE_MEMBER, ...Object.values(CLIENT_FRAMES), ...Object.values(SERVER_FRAMES), NOTIFICATION_DETAIL, event];
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
  };
  const channelMessages = (names: string[]) => Object.fromEntries(names.map((name) => [name, ref(`components/messages/${name}`)]));
  const onConnection = (name: string) => ref(`channels/connection/messages/${name}`);

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'cdk-realtime-notifications',
      version,
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
        description: "EventBridge: backends put notification events on the construct's bus with PutEvents (notifications.grantPublish gives the permission).",
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
        messages: channelMessages(Object.keys(messages).filter((name) => name !== 'notificationEvent')),
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
