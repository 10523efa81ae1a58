import { checkTopic, isValidTopic, topicOwner, TopicRules } from '../../../lambda/core/topics';

describe('topic syntax', () => {
  test.each(['orders/42', 'a', 'users/alice/inbox', 'x/y/z', 'a-b_c.d:e@f=g+h', 'v1.2/..a', 'a/...', 'a'.repeat(256)])(
    '%s is valid', (topic) => {
      expect(checkTopic(topic)).toEqual({ ok: true });
    });

  test.each([
    ['', /empty/],
    ['a'.repeat(257), /longer than 256/],
    ['/a', /empty segment/],
    ['a/', /empty segment/],
    ['a//b', /empty segment/],
    ['*', /wildcards/],
    ['a/**', /wildcards/],
    ['a/#', /wildcards/],
    ['a/+', /wildcards/],
    ['a/.', /"\." and "\.\."/],
    ['../a', /"\." and "\.\."/],
    ['a b', /character that is not allowed/],
    ['a/\u0000', /character that is not allowed/],
    ['a/\u202eb', /character that is not allowed/],
    ['ａ', /character that is not allowed/],
    ['a*b', /character that is not allowed/],
  ])('%j is refused: %s', (topic, reason) => {
    const result = checkTopic(topic);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
    expect(isValidTopic(topic)).toBe(false);
  });
});

test('topicOwner names the user of users/<x>/… topics', () => {
  expect(topicOwner('users/alice/inbox')).toBe('alice');
  expect(topicOwner('users/alice')).toBe('alice');
  expect(topicOwner('users')).toBeUndefined();
  expect(topicOwner('orders/users/alice')).toBeUndefined();
});

describe('topic rules', () => {
  test('the default "**" allows every topic except other users\' ones', () => {
    const rules = TopicRules.compile(['**']);
    expect(rules.allows('orders/42', 'alice')).toBe(true);
    expect(rules.allows('users', 'alice')).toBe(true);
    expect(rules.allows('users/alice/inbox', 'alice')).toBe(true);
    expect(rules.allows('users/bob/inbox', 'alice')).toBe(false);
    expect(rules.allows('users/bob', 'alice')).toBe(false);
    expect(rules.allows('orders/42', undefined)).toBe(true);
    expect(rules.allows('users/alice/inbox', undefined)).toBe(false);
  });

  test('"*" is exactly one segment and "**" one or more', () => {
    const rules = TopicRules.compile(['orders/*', 'news/**']);
    expect(rules.allows('orders/1', 'a')).toBe(true);
    expect(rules.allows('orders', 'a')).toBe(false);
    expect(rules.allows('orders/1/2', 'a')).toBe(false);
    expect(rules.allows('news', 'a')).toBe(false);
    expect(rules.allows('news/1', 'a')).toBe(true);
    expect(rules.allows('news/1/2/3', 'a')).toBe(true);
    expect(rules.allows('other', 'a')).toBe(false);
  });

  test('"{userId}" is the caller\'s own id, and the users/ safety net holds whatever the rules say', () => {
    const rules = TopicRules.compile(['users/{userId}/*', 'rooms/{userId}', 'users/**']);
    expect(rules.allows('users/alice/inbox', 'alice')).toBe(true);
    expect(rules.allows('rooms/alice', 'alice')).toBe(true);
    expect(rules.allows('rooms/bob', 'alice')).toBe(false);
    expect(rules.allows('users/bob/inbox', 'alice')).toBe(false);
    expect(rules.allows('rooms/alice', undefined)).toBe(false);
  });

  test('no rules allow nothing', () => {
    expect(TopicRules.compile([]).allows('orders/1', 'alice')).toBe(false);
  });

  test('invalid patterns are refused, each named', () => {
    expect(() => TopicRules.compile(['ok/*', 'a/**/b', 'a/x*'])).toThrow(/Topic rule "a\/\*\*\/b".*Topic rule "a\/x\*"/);
    expect(() => TopicRules.compile(['a//b'])).toThrow(/empty segment/);
  });
});
