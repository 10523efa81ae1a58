/**
 * Topic names and the rules that decide who may subscribe to what. Pure.
 *
 * A topic is 1–1024 characters of segments separated by '/': each segment is made of
 * `A–Z a–z 0–9 . _ ~ ! $ & ' ( ) + , ; = : @ | -` and percent-escapes (`%2F`) of any other
 * character, in its one spelling (see lib/private/topic-segment); none is empty, '.', '..' or a
 * wildcard. Topics are names, never patterns: there are no wildcards on the wire.
 *
 * Rules are an allow-list of patterns: `*` matches exactly one segment, `**` (last segment only)
 * one or more, `{userId}` (a whole segment) the caller's own user id. Whatever the rules say, a
 * topic under `users/<x>/` is only ever allowed to the user whose id is spelled x as a segment.
 */
import { LIMITS } from '../../lib/private/runtime-contract';
// The construct validates the same patterns at synth with this same function.
import {
  MULTI_SEGMENT_WILDCARD,
  SINGLE_SEGMENT_WILDCARD,
  topicPatternProblem,
  USER_ID_PLACEHOLDER,
} from '../../lib/private/topic-patterns';
import { encodeTopicSegment, PLAIN_CHARACTERS, segmentProblem as spellingProblem, TOPIC_SEPARATOR, USER_TOPIC_ROOT } from '../../lib/private/topic-segment';

export { topicPatternProblem, USER_ID_PLACEHOLDER };

/** Wildcards of topic rules and of other brokers (MQTT's `#` and `+`): never part of a topic. */
const WILDCARD_SEGMENTS: ReadonlySet<string> = new Set([SINGLE_SEGMENT_WILDCARD, MULTI_SEGMENT_WILDCARD, '#', '+']);

/** The segment that stands for a user in topics: `users/${userTopicSegment(id)}/inbox`. */
export const userTopicSegment = encodeTopicSegment;

export type TopicCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks a topic name. The reason is safe to send to the client: it never quotes the input. */
export function checkTopic(topic: string): TopicCheck {
  if (topic.length === 0) return no('Topic is empty. Use a name such as "orders/42".');
  if (topic.length > LIMITS.maxTopicLength) {
    return no(`Topic is longer than ${LIMITS.maxTopicLength} characters.`);
  }
  for (const segment of topic.split(TOPIC_SEPARATOR)) {
    const problem = segmentProblem(segment);
    if (problem) return no(problem);
  }
  return { ok: true };
}

export function isValidTopic(topic: string): boolean {
  return checkTopic(topic).ok;
}

function segmentProblem(segment: string): string | undefined {
  if (WILDCARD_SEGMENTS.has(segment)) {
    return 'Topics are exact names; wildcards such as "*", "#" or "+" are not allowed. Subscribe to each topic by name.';
  }
  switch (spellingProblem(segment)) {
    case 'empty':
      return 'Topic has an empty segment: it must not start or end with "/" or contain "//".';
    case 'reserved':
      // "+" is answered as a wildcard above.
      return 'Topic segments "." and ".." are not allowed.';
    case 'character':
      return `Topic contains a character that is not allowed as it is. Use ${PLAIN_CHARACTERS}, with "/" between segments, `
        + 'and write any other character as percent-escapes of its UTF-8 bytes, such as "%2F" for "/".';
    case 'escape':
      return 'Topic contains a percent-escape that is malformed, lowercase or not needed. Escape only characters a topic '
        + 'cannot hold, each UTF-8 byte as "%" and two uppercase hex digits; write every other character as it is.';
  }
  return undefined;
}

/** The segment naming the user a topic belongs to, if it is under `users/<x>/`. */
export function topicOwner(topic: string): string | undefined {
  const segments = topic.split(TOPIC_SEPARATOR);
  return segments.length >= 2 && segments[0] === USER_TOPIC_ROOT ? segments[1] : undefined;
}

export class TopicRules {
  /** Compiles the patterns; throws with every invalid one named. */
  static compile(patterns: readonly string[]): TopicRules {
    const problems = patterns.flatMap((pattern) => {
      const problem = topicPatternProblem(pattern);
      return problem === undefined ? [] : [`Topic rule "${pattern}" ${problem}.`];
    });
    if (problems.length > 0) throw new Error(problems.join(' '));
    return new TopicRules(patterns.map((p) => p.split(TOPIC_SEPARATOR)));
  }

  private constructor(private readonly patterns: readonly (readonly string[])[]) {}

  /**
   * Whether a caller may subscribe to a (syntactically valid) topic. `userId` is undefined for
   * connections made without authentication: they match no `{userId}` rule and no user topic.
   */
  allows(topic: string, userId: string | undefined): boolean {
    const segments = topic.split(TOPIC_SEPARATOR);
    const owner = topicOwner(topic);
    const ownSegment = userId === undefined ? undefined : userTopicSegment(userId);
    if (owner !== undefined && owner !== ownSegment) return false;
    return this.patterns.some((pattern) => matches(pattern, segments, ownSegment));
  }

  /** Whether a topic matches any pattern, whoever asks (patterns with `{userId}` never match here). */
  matches(topic: string): boolean {
    const segments = topic.split(TOPIC_SEPARATOR);
    return this.patterns.some((pattern) => matches(pattern, segments, undefined));
  }

  /** Whether some user may be allowed the topic: `{userId}` matches any segment here. */
  mayAllowSomeone(topic: string): boolean {
    const segments = topic.split(TOPIC_SEPARATOR);
    return this.patterns.some((pattern) => matches(pattern, segments, ANY_USER));
  }
}

/** Stands for every user at once: `{userId}` matches whatever segment is there. */
const ANY_USER = Symbol('any user');

function matches(pattern: readonly string[], topic: readonly string[], ownSegment: string | undefined | typeof ANY_USER): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === MULTI_SEGMENT_WILDCARD) return topic.length > i;
    if (i >= topic.length) return false;
    if (p === SINGLE_SEGMENT_WILDCARD) continue;
    if (p === USER_ID_PLACEHOLDER) {
      if (ownSegment === ANY_USER) continue;
      if (ownSegment === undefined || topic[i] !== ownSegment) return false;
      continue;
    }
    if (p !== topic[i]) return false;
  }
  return topic.length === pattern.length;
}

function no(reason: string): TopicCheck {
  return { ok: false, reason };
}
