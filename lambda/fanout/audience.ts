/**
 * Who a notification goes to, read a page at a time: a Query of the topic's subscriptions, a
 * Query of the user's connections on the byUser index, or, for broadcast only, the one Scan of
 * the connections table. Never a Scan for a topic or a user. Connections whose token has expired
 * are left out.
 *
 * The first page is small so posting can start within milliseconds; the later pages are as large
 * as DynamoDB returns (1 MB), and are read while the first ones are posted to.
 *
 * A topic's subscribers are read strongly consistently when the notification has a position: a
 * client that subscribed with `since` just before it was given is then sure to be in the
 * audience, as it may have missed it in its replay.
 */
import { NotificationTarget } from '../protocol/frames';
import { PageOptions, Stores } from '../stores';

/** Ids in the first page of an audience. */
export const AUDIENCE_FIRST_PAGE_SIZE = 100;

export function audiencePages(
  target: NotificationTarget,
  stores: Stores,
  pageOptions: PageOptions = { firstPageSize: AUDIENCE_FIRST_PAGE_SIZE },
  nowMs: number = Date.now(),
  /** `connections.tokenExpiry` is `close`: expired connections are left out. */
  tokenExpiry = true,
): AsyncGenerator<string[]> {
  // A connection whose token has expired is never posted to, even before it is closed.
  const options = tokenExpiry ? { ...pageOptions, tokenValidAt: Math.floor(nowMs / 1000) } : pageOptions;
  if ('topic' in target) return stores.subscriptions.queryConnectionIdsByTopic(target.topic, options);
  // The byUser index cannot be read consistently: a resume right after $connect may miss a
  // notification positioned in that moment, which the client sees as a gap in seq and resumes again.
  if ('userId' in target) return stores.connections.queryConnectionIdsByUser(target.userId, options);
  return stores.connections.scanAllConnectionIds(options);
}
