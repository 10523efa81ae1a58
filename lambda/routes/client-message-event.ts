/**
 * Every accepted client message is also an event on the construct's bus (detail type
 * `ClientMessage` unless configured), so backends can keep chat history, moderate or react with
 * ordinary EventBridge rules. The notification rule does not match it, so it is delivered once:
 * by the message function itself. Its schema, and the type of its detail, are in
 * lib/private/protocol/client-message-event.ts.
 */
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ClientMessageDetail } from '../../lib/private/protocol/client-message-event';
import { CLIENT_MESSAGE_SOURCE } from '../../lib/private/runtime-contract';
import { Notification } from '../protocol/notification';

export function clientMessageEntry(notification: Notification, connectionId: string, eventBusName: string, detailType: string): PutEventsRequestEntry {
  if (!('topic' in notification.target) || notification.from === undefined) {
    throw new Error('A client message has a topic and a sender.');
  }
  const detail: ClientMessageDetail = {
    id: notification.id,
    topic: notification.target.topic,
    from: notification.from,
    data: notification.data,
    time: notification.time,
    connectionId,
  };
  return {
    EventBusName: eventBusName,
    Source: CLIENT_MESSAGE_SOURCE,
    DetailType: detailType,
    Time: new Date(notification.time),
    Detail: JSON.stringify(detail),
  };
}

/** Puts client messages on the bus; throws when EventBridge did not take the entry. */
export function createClientMessagePublisher(eventBusName: string, detailType: string, client = new EventBridgeClient({})) {
  return async (notification: Notification, connectionId: string): Promise<void> => {
    const result = await client.send(new PutEventsCommand({
      Entries: [clientMessageEntry(notification, connectionId, eventBusName, detailType)],
    }));
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new Error(`EventBridge refused the client message event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  };
}
