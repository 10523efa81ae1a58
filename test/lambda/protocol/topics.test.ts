import { checkTopic, isValidTopic, topicOwner, TopicRules, userTopicSegment } from '../../../lambda/protocol/topics';

describe('topic syntax', () => {
  test.each(['orders/42', 'a', 'users/alice/inbox', 'x/y/z', 'a-b_c.d:e@f=g+h', 'v1.2/..a', 'a/...', 'a'.repeat(1024),
    'users/auth0|abc123/inbox', "a~b!c$d&e'f(g)h,i;j", 'users/Jos%C3%A9/inbox', 'users/a%2Fb/inbox', 'users/%2E%2E/x', 'c++/%2B'])(
    '%s is valid', (topic) => {
      expect(checkTopic(topic)).toEqual({ ok: true });
    });

  test.each([
    ['', /empty/],
    ['a'.repeat(1025), /longer than 1024/],
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
    ['users/José/inbox', /character that is not allowed/],
    ['users/a%2fb/inbox', /percent-escape/],
    ['users/%61lice/inbox', /percent-escape/],
    ['users/alice%/inbox', /percent-escape/],
    ['%75sers/alice/inbox', /percent-escape/],
  ])('%j is refused: %s', (topic, reason) => {
    const result = checkTopic(topic);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
    expect(isValidTopic(topic)).toBe(false);
  });
});

test('topicOwner names the segment of the user of users/<x>/… topics', () => {
  expect(topicOwner('users/Jos%C3%A9/inbox')).toBe(userTopicSegment('José'));
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

  test('any user id owns exactly the topics its segment spells, and no lookalike', () => {
    const rules = TopicRules.compile(['**']);
    const ids = ['auth0|abc123', 'José', '用户', 'a/b', 'https://login.example.com/u/7', '.', '..', '+', '50%', 'u'.repeat(300)];
    for (const id of ids) {
      expect(rules.allows(`users/${userTopicSegment(id)}/inbox`, id)).toBe(true);
      for (const other of ids.filter((o) => o !== id)) expect(rules.allows(`users/${userTopicSegment(other)}/inbox`, id)).toBe(false);
    }
    // The id "a%2Fb" is not the id "a/b", and neither owns the other's topics.
    expect(rules.allows('users/a%2Fb/inbox', 'a%2Fb')).toBe(false);
    expect(rules.allows('users/a%252Fb/inbox', 'a/b')).toBe(false);
    // An id is never matched in its raw form when that differs from its segment.
    expect(rules.allows('users/a/b/inbox', 'a/b')).toBe(false);
    expect(rules.allows('users/a/b/inbox', 'a')).toBe(true);
    const placeholder = TopicRules.compile(['rooms/{userId}']);
    expect(placeholder.allows('rooms/a%2Fb', 'a/b')).toBe(true);
    expect(placeholder.allows('rooms/a%2Fb', 'a%2Fb')).toBe(false);
  });

  test('literal rule segments are topic segments, percent-escapes included', () => {
    expect(TopicRules.compile(['tenants/Jos%C3%A9/**']).allows('tenants/Jos%C3%A9/x', 'a')).toBe(true);
    expect(() => TopicRules.compile(['tenants/José/**'])).toThrow(/percent-escapes of its UTF-8 bytes/);
    expect(() => TopicRules.compile(['tenants/%2f/**'])).toThrow(/percent-escape that no topic contains/);
  });

  test('no rules allow nothing', () => {
    expect(TopicRules.compile([]).allows('orders/1', 'alice')).toBe(false);
  });

  test('invalid patterns are refused, each named', () => {
    expect(() => TopicRules.compile(['ok/*', 'a/**/b', 'a/x*'])).toThrow(/Topic rule "a\/\*\*\/b".*Topic rule "a\/x\*"/);
    expect(() => TopicRules.compile(['a//b'])).toThrow(/empty segment/);
  });
});
