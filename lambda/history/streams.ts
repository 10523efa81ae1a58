/**
 * Streams with history: a topic the history rules name (`t#<topic>`), or a user's own stream of
 * user-targeted notifications (`u#<userId>`, the offline inbox). Broadcasts are never kept. Pure.
 */
import { topicStream, userStream } from '../stores/keys';
import { NotificationTarget } from '../protocol/frames';
import { TopicRules } from '../protocol/topics';

export interface HistoryPolicy {
  /** Topics whose notifications are kept. */
  readonly topics: TopicRules;
  /** Whether each user's own stream is kept. */
  readonly users: boolean;
}

/** The stream a target's notifications are kept in; undefined when they are not kept. */
export function streamOf(target: NotificationTarget, policy: HistoryPolicy): string | undefined {
  if ('topic' in target) return policy.topics.matches(target.topic) ? topicStream(target.topic) : undefined;
  if ('userId' in target) return policy.users ? userStream(target.userId) : undefined;
  return undefined;
}
