/**
 * Syntax of topic rule patterns (pure; no aws-cdk-lib, so the Lambda code may share it).
 *
 * A pattern is '/'-separated segments. A segment is a literal, `*` (exactly one segment),
 * `**` (one or more segments; only as the last segment) or `{userId}` (the connection's own
 * user id, as a whole segment).
 */
import { hasControlCharacter } from './control-characters';
import { LIMITS } from './runtime-contract';
import { PLAIN_CHARACTERS, segmentProblem, TOPIC_SEPARATOR } from './topic-segment';

export const SINGLE_SEGMENT_WILDCARD = '*';
export const MULTI_SEGMENT_WILDCARD = '**';
export const USER_ID_PLACEHOLDER = '{userId}';

/** What is wrong with a pattern, in words; undefined when the pattern is valid. */
export function topicPatternProblem(pattern: string): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'is empty';
  if (pattern.length > LIMITS.maxTopicLength) return `is longer than ${LIMITS.maxTopicLength} characters`;
  // Whitespace (including Unicode separators) and control characters never belong in a topic.
  if (hasControlCharacter(pattern) || /[\s\p{Cf}]/u.test(pattern)) return 'contains whitespace or control characters';
  const segments = pattern.split(TOPIC_SEPARATOR);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '') return 'has an empty segment (a leading, trailing or doubled "/")';
    if (segment === MULTI_SEGMENT_WILDCARD) {
      if (i !== segments.length - 1) return '"**" is allowed only as the last segment';
      continue;
    }
    if (segment === SINGLE_SEGMENT_WILDCARD || segment === USER_ID_PLACEHOLDER) continue;
    if (/[*{}]/.test(segment)) {
      return `segment "${segment}" mixes "*", "{" or "}" with other characters; `
        + 'wildcards and {userId} must fill a whole segment';
    }
    switch (segmentProblem(segment)) {
      case 'reserved':
        return `segment "${segment}" is a path trick or wildcard, not a topic name`;
      case 'character':
        return `segment "${segment}" has characters no topic can contain as they are, so the rule could never match; `
          + `use ${PLAIN_CHARACTERS}, and write any other character as percent-escapes of its UTF-8 bytes (%2F for "/")`;
      case 'escape':
        return `segment "${segment}" has a percent-escape that no topic contains, so the rule could never match; `
          + 'escape only characters a topic cannot hold, as % and two uppercase hex digits per UTF-8 byte';
    }
  }
  return undefined;
}
