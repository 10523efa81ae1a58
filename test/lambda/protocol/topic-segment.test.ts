/** How user ids are spelled as topic segments: one spelling per id, and no two ids share one. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from '../../../lib/private/runtime-contract';
import { checkTopic } from '../../../lambda/protocol/topics';
import { encodeTopicSegment, MAX_USER_ID_SEGMENT_LENGTH, segmentProblem, userIdProblem } from '../../../lib/private/topic-segment';

const USER_IDS = ['alice', 'auth0|abc123', 'José', '用户', 'https://login.example.com/users/7', 'a b*c{d}', '😀', 'a%2Fb'];

describe('encodeTopicSegment', () => {
  test.each([
    ['alice', 'alice'],
    ['auth0|abc123', 'auth0|abc123'],
    ['google-oauth2|1234', 'google-oauth2|1234'],
    ['samlp|corp|a.b+c@example.com', 'samlp|corp|a.b+c@example.com'],
    ['José', 'Jos%C3%A9'],
    ['用户', '%E7%94%A8%E6%88%B7'],
    ['https://login.example.com/users/7', 'https:%2F%2Flogin.example.com%2Fusers%2F7'],
    ['50%', '50%25'],
    ['a%2Fb', 'a%252Fb'],
    ['a b*c{d}', 'a%20b%2Ac%7Bd%7D'],
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['+', '%2B'],
    ['...', '...'],
    ['😀', '%F0%9F%98%80'],
  ])('%j is written %s', (userId, segment) => {
    expect(encodeTopicSegment(userId)).toBe(segment);
    expect(segmentProblem(segment)).toBeUndefined();
    expect(decodeURIComponent(segment)).toBe(userId);
  });

  test('different ids never share a segment, lookalikes and escapes included', () => {
    const ids = ['alice', 'Alice', 'alice/', 'alice%2F', 'alice%2f', 'alic%65', 'José', 'Jose\u0301', 'ｊosé', 'a/b', 'a%2Fb',
      'a%252Fb', '.', '%2E', '..', '+', '%2B', 'auth0|abc123', 'auth0%7Cabc123', 'users', ''];
    const segments = ids.map(encodeTopicSegment);
    expect(new Set(segments).size).toBe(ids.length);
  });
});

describe('segmentProblem', () => {
  test.each([
    ['', 'empty'],
    ['.', 'reserved'],
    ['..', 'reserved'],
    ['+', 'reserved'],
    ['a b', 'character'],
    ['José', 'character'],
    ['a*b', 'character'],
    ['a/b', 'character'],
    ['%2f', 'escape'],
    ['a%2', 'escape'],
    ['%', 'escape'],
    ['%61lice', 'escape'],
    ['a%2E', 'escape'],
    ['%7C', 'escape'],
    ['%FF', 'escape'],
    ['%C3', 'escape'],
  ])('%j: %s', (segment, problem) => {
    expect(segmentProblem(segment)).toBe(problem);
  });
});

describe('userIdProblem', () => {
  test('any id an issuer may give is usable, up to what a topic holds', () => {
    expect(userIdProblem('u'.repeat(MAX_USER_ID_SEGMENT_LENGTH))).toBeUndefined();
    expect(userIdProblem('\u202e\u200b')).toBeUndefined();
    expect(userIdProblem('u\n1')).toBe('it contains control characters');
    expect(userIdProblem('u'.repeat(MAX_USER_ID_SEGMENT_LENGTH + 1))).toMatch(/513 characters long written as a topic segment; at most 512/);
    // 3 UTF-8 bytes each, each written %XX: 9 characters apiece.
    expect(userIdProblem('用'.repeat(57))).toMatch(/513 characters long/);
    expect(userIdProblem('')).toBe('it is empty');
    expect(userIdProblem('a\ud800')).toMatch(/lone surrogate/);
    // A pair is fine.
    expect(userIdProblem('a\ud83d\ude00')).toBeUndefined();
  });

  test('the longest user id still leaves room for its topics', () => {
    const prefix = `users/${'u'.repeat(MAX_USER_ID_SEGMENT_LENGTH)}/`;
    expect(checkTopic(prefix + 'x'.repeat(LIMITS.maxTopicLength - prefix.length))).toEqual({ ok: true });
    expect(LIMITS.maxTopicLength - prefix.length).toBeGreaterThanOrEqual(500);
  });
});

describe('the helpers docs/protocol.md shows', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
  const block = (language: string, marker: string): string => {
    const found = [...doc.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]).find((code) => code.includes(marker));
    if (!found) throw new Error(`docs/protocol.md has no ${language} block with ${marker}`);
    return found;
  };
  // Every ASCII character, and letters, marks, emoji and invisible characters beyond it.
  const ids = [...USER_IDS, ...Array.from({ length: 128 }, (_, i) => `a${String.fromCharCode(i)}b`), 'é', 'e\u0301', '\u200b', '🔥', '.', '..', '+', '...', '%', '%2F'];

  test('the JavaScript helper writes every id as the server does', () => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const helper = new Function(`${block('js', 'function userTopicSegment')}\nreturn userTopicSegment;`)() as (id: string) => string;
    for (const id of ids) expect(`${JSON.stringify(id)} ${helper(id)}`).toBe(`${JSON.stringify(id)} ${encodeTopicSegment(id)}`);
  });

  test('the Python helper writes every id as the server does', () => {
    const script = `${block('python', 'def user_topic_segment')}\nimport json, sys\nprint(json.dumps([user_topic_segment(i) for i in json.load(sys.stdin)]))`;
    const output = execFileSync('python3', ['-c', script], { input: JSON.stringify(ids) }).toString();
    expect(JSON.parse(output)).toEqual(ids.map(encodeTopicSegment));
  });
});
