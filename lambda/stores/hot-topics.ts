/**
 * Which topics are hot (`hotTopicRules`): their subscriptions, kept notifications and claims are
 * spread over several partition keys (keys.ts), past DynamoDB's 1,000 writes/s for one key.
 */
import { TopicRules } from '../protocol/topics';
import { HOT_TOPIC_PARTITIONS, topicOfStream } from './keys';

export class HotTopics {
  /** No topic is hot: every topic under one partition key. */
  static readonly NONE = new HotTopics(TopicRules.compile([]));

  static of(rules: readonly string[]): HotTopics {
    return rules.length === 0 ? HotTopics.NONE : new HotTopics(TopicRules.compile(rules));
  }

  private constructor(private readonly rules: TopicRules) {}

  /** Partition keys the topic's subscriptions are spread over. */
  partitionsOf(topic: string): number {
    return this.rules.matches(topic) ? HOT_TOPIC_PARTITIONS : 1;
  }

  /** Partition keys the stream's kept notifications and claims are spread over (a user's stream is never hot). */
  partitionsOfStream(stream: string): number {
    const topic = topicOfStream(stream);
    return topic === undefined ? 1 : this.partitionsOf(topic);
  }
}
