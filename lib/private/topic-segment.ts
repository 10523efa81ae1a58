/**
 * What one segment of a topic may hold, and how any user id is written as one (pure; the
 * construct validates topic rules with it, the Lambda code topics and user ids).
 *
 * A segment holds the ASCII characters below as they are; every other character (including
 * `/`, `%`, `*`, spaces and all non-ASCII) is written as percent-escapes of its UTF-8 bytes with
 * uppercase hex digits, and nothing else is escaped, so every string has exactly one spelling as
 * a segment. The whole segments `.`, `..` and `+` are reserved, so a value spelled that way is
 * escaped completely (`%2E`, `%2E%2E`, `%2B`).
 *
 * The one definition of topic syntax: the construct checks topic rules with it, the Lambda code
 * (lambda/protocol/topics.ts) topics on the wire.
 */
import { hasControlCharacter } from './control-characters';
import { LIMITS } from './runtime-contract';

/** Between the segments of a topic, and of a topic rule. */
export const TOPIC_SEPARATOR = '/';
/** The first segment of the topics private to one user: `users/<id>/…`. */
export const USER_TOPIC_ROOT = 'users';
/** The characters a segment holds as they are (a regex class body): RFC 3986 path characters except `*`, and `|`. */
const PLAIN_CLASS = 'A-Za-z0-9._~!$&\'()+,;=:@|\\-';
const PLAIN_CHARACTER = new RegExp(`[${PLAIN_CLASS}]`);
export const PLAIN_CHARACTERS = 'ASCII letters, digits and . _ ~ ! $ & \' ( ) + , ; = : @ | -';
/** Whole segments that would read as path tricks or wildcards. */
const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['.', '..', '+']);
/** A character that is neither plain nor part of a percent-escape. */
const NEVER_IN_SEGMENT = new RegExp(`[^${PLAIN_CLASS}%]`);
const SEGMENT_SYNTAX = new RegExp(`^(?:[${PLAIN_CLASS}]|%[0-9A-F]{2})+$`);
/** Lone UTF-16 surrogates have no UTF-8 spelling, so two such ids could not be told apart. */
const LONE_SURROGATE = /\p{Cs}/u;

function escapeByte(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The one segment that spells `value` (well-formed Unicode); see userIdProblem for limits. */
export function encodeTopicSegment(value: string): string {
  const bytes = [...Buffer.from(value, 'utf8')];
  const plain = bytes.map((byte) => {
    const character = String.fromCharCode(byte);
    return byte < 0x80 && PLAIN_CHARACTER.test(character) ? character : escapeByte(byte);
  }).join('');
  return RESERVED_SEGMENTS.has(plain) ? bytes.map(escapeByte).join('') : plain;
}

export type SegmentProblem =
  | 'empty'
  /** `.`, `..`, `+` written as they are. */
  | 'reserved'
  /** A character that must be escaped is written as it is. */
  | 'character'
  /** An escape that is lowercase, unneeded or not UTF-8: the segment is not in its one spelling. */
  | 'escape';

/** What is wrong with a segment of a topic (or a literal segment of a topic rule), if anything. */
export function segmentProblem(segment: string): SegmentProblem | undefined {
  if (segment === '') return 'empty';
  if (RESERVED_SEGMENTS.has(segment)) return 'reserved';
  if (NEVER_IN_SEGMENT.test(segment)) return 'character';
  if (!SEGMENT_SYNTAX.test(segment)) return 'escape';
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    return 'escape';
  }
  return encodeTopicSegment(value) === segment ? undefined : 'escape';
}

/** The longest user id, counted as its topic segment, so `users/<id>/…` topics always fit. */
export const MAX_USER_ID_SEGMENT_LENGTH = 512;

/** Why a user id cannot be used (connections, user targeting, `users/<id>/…` topics), if it cannot. */
export function userIdProblem(userId: string): string | undefined {
  if (userId === '') return 'it is empty';
  if (LONE_SURROGATE.test(userId)) return 'it is not well-formed Unicode (it has a lone surrogate)';
  // Line breaks and other control characters in an id would garble every log line that names it.
  if (hasControlCharacter(userId)) return 'it contains control characters';
  const length = encodeTopicSegment(userId).length;
  if (length > MAX_USER_ID_SEGMENT_LENGTH) {
    return `it is ${length} characters long written as a topic segment; at most ${MAX_USER_ID_SEGMENT_LENGTH} fit in a topic `
      + `of ${LIMITS.maxTopicLength}`;
  }
  return undefined;
}
