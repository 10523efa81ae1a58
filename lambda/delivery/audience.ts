/**
 * Who a notification goes to, read a page at a time: a Query of the topic's subscriptions, a
 * Query of the user's connections on the byUser index, or, for broadcast only, the one Scan of
 * the connections table. Never a Scan for a topic or a user.
 */
import { NotificationTarget } from '../core/protocol';
import { Stores } from '../stores';

export function audiencePages(target: NotificationTarget, stores: Stores): AsyncGenerator<string[]> {
  if ('topic' in target) return stores.subscriptions.queryConnectionIdsByTopic(target.topic);
  if ('userId' in target) return stores.connections.queryConnectionIdsByUser(target.userId);
  return stores.connections.scanAllConnectionIds();
}
