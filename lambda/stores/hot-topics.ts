/**
 * Which topics are hot (the construct's `hotTopics`): their subscriptions, or their kept
 * notifications and claims, are spread over several partition keys (keys.ts), past DynamoDB's
 * 1,000 writes/s for one key.
 */
import type { RuntimeSettings } from '../../lib/private/handlers';
import { TopicRules } from '../protocol/topics';
import { HOT_TOPIC_PARTITIONS, topicOfStream } from './keys';

export class HotTopics {
  /** No topic is hot: every topic under one partition key. */
  static readonly NONE = new HotTopics(TopicRules.compile([]), TopicRules.compile([]));

  static of(s: Partial<Pick<RuntimeSettings, 'hotTopics.subscriptionRules' | 'hotTopics.historyRules'>>): HotTopics {
    const subscriptions = s['hotTopics.subscriptionRules'] ?? [];
    const history = s['hotTopics.historyRules'] ?? [];
    return subscriptions.length + history.length === 0 ? HotTopics.NONE : new HotTopics(TopicRules.compile(subscriptions), TopicRules.compile(history));
  }

  private constructor(private readonly subscriptions: TopicRules, private readonly history: TopicRules) {}

  /** Partition keys the topic's subscriptions are spread over. */
  subscriptionPartitionsOf(topic: string): number {
    return this.subscriptions.matches(topic) ? HOT_TOPIC_PARTITIONS : 1;
  }

  /** Partition keys the stream's kept notifications and claims are spread over (a user's stream is never hot). */
  historyPartitionsOf(stream: string): number {
    const topic = topicOfStream(stream);
    return topic !== undefined && this.history.matches(topic) ? HOT_TOPIC_PARTITIONS : 1;
  }
}
