/**
 * Any user id an OIDC issuer may give, end to end through the local runtime: a token from the
 * development issuer's /dev/token, a connection, the user's own private topic, user-targeted and
 * topic-targeted notifications published with the EventBridge SDK, and FORBIDDEN on every other
 * user's topic, lookalike and differently-escaped ids included.
 */
import { encodeTopicSegment as userTopicSegment } from '../../lib/private/topic-segment';
import { connect, eventBridgeClient, publish, refusedStatus, TestClient, useLocalRuntime } from './support/clients';

/** Ids real issuers give, and ids an attacker could pick to look like them. */
const USERS = [
  'auth0|abc123',
  'google-oauth2|1234',
  'José',
  '用户',
  'https://login.example.com/users/7',
  `${'long-subject-'.repeat(24)}end`,
];
const LOOKALIKES = [
  'auth0%7Cabc123',
  'Jose\u0301',
  'Jos%C3%A9',
  'https:',
  'https:%2F%2Flogin.example.com%2Fusers%2F7',
  'google-oauth2',
];

describe('any OIDC user id through the local runtime', () => {
  const clients = new Map<string, TestClient>();
  // Declared before useLocalRuntime, so the clients close before the runtime stops.
  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.close()));
  });
  const runtime = useLocalRuntime({ settings: { topicRules: ['orders/*', 'users/{userId}/**'] } });

  /** A token from the development issuer's HTTP endpoint, as a frontend would get one. */
  async function devToken(userId: string): Promise<string> {
    const response = await fetch(`${runtime().url}/dev/token?userId=${encodeURIComponent(userId)}`);
    const answer = await response.json() as { token?: string; message?: string };
    if (!answer.token) throw new Error(`/dev/token refused ${userId}: ${answer.message}`);
    return answer.token;
  }

  beforeAll(async () => {
    for (const [i, userId] of [...USERS, ...LOOKALIKES].entries()) {
      // Half through the query string, half through the subprotocol.
      clients.set(userId, await connect(runtime(), userId, { token: await devToken(userId), tokenIn: i % 2 ? 'subprotocol' : 'query' }));
    }
  });

  it('each user subscribes to its own private topic, spelled with the documented escapes', async () => {
    expect(userTopicSegment('https://login.example.com/users/7')).toBe('https:%2F%2Flogin.example.com%2Fusers%2F7');
    for (const userId of [...USERS, ...LOOKALIKES]) {
      const client = clients.get(userId)!;
      expect(await client.request({ action: 'subscribe', topic: `users/${userTopicSegment(userId)}/inbox` }))
        .toMatchObject({ type: 'subscribed' });
    }
  });

  it('no user can subscribe to another user\'s topic, whatever the id looks like', async () => {
    const everyone = [...USERS, ...LOOKALIKES];
    for (const attacker of everyone) {
      const client = clients.get(attacker)!;
      for (const victim of everyone.filter((id) => id !== attacker)) {
        const answer = await client.request({ action: 'subscribe', topic: `users/${userTopicSegment(victim)}/inbox` });
        expect(`${attacker} → ${victim}: ${answer.type} ${answer.code}`).toBe(`${attacker} → ${victim}: error FORBIDDEN`);
      }
    }
  });

  it('other spellings of a user\'s topic are refused: unescaped, lowercase or needless escapes', async () => {
    const attacker = clients.get('google-oauth2')!;
    const variants: Array<[string, string]> = [
      ['users/https:/login.example.com/users/7/inbox', 'FORBIDDEN'],
      ['users/https://login.example.com/users/7/inbox', 'BAD_REQUEST'],
      ['users/https:%2f%2flogin.example.com%2fusers%2f7/inbox', 'BAD_REQUEST'],
      ['users/José/inbox', 'BAD_REQUEST'],
      ['users/Jos%c3%a9/inbox', 'BAD_REQUEST'],
      ['users/auth0%7Cabc123/inbox', 'BAD_REQUEST'],
      ['users/%61uth0|abc123/inbox', 'BAD_REQUEST'],
      ['%75sers/auth0|abc123/inbox', 'BAD_REQUEST'],
      ['users/google-oauth2%7C1234/inbox', 'BAD_REQUEST'],
    ];
    for (const [topic, code] of variants) {
      const answer = await attacker.request({ action: 'subscribe', topic });
      expect(`${topic}: ${answer.type} ${answer.code}`).toBe(`${topic}: error ${code}`);
    }
  });

  it('user-targeted and private-topic notifications reach exactly their user', async () => {
    const events = eventBridgeClient(runtime());
    for (const userId of USERS) {
      await publish(events, runtime(), { userId, data: { to: userId, by: 'userId' } });
      await publish(events, runtime(), { topic: `users/${userTopicSegment(userId)}/inbox`, data: { to: userId, by: 'topic' } });
    }
    events.destroy();
    for (const userId of USERS) {
      const received = await clients.get(userId)!.waitForNotifications(2);
      expect(received.map((n) => n.data)).toEqual(expect.arrayContaining([{ to: userId, by: 'userId' }, { to: userId, by: 'topic' }]));
      expect(received.find((n) => (n.data as { by: string }).by === 'userId')).toMatchObject({ userId });
    }
    await runtime().drained();
    for (const [userId, client] of clients) {
      await client.sync();
      const expected = USERS.includes(userId) ? 2 : 0;
      expect(`${userId}: ${client.notifications.length}`).toBe(`${userId}: ${expected}`);
      for (const n of client.notifications) expect((n.data as { to: string }).to).toBe(userId);
    }
    expect(runtime().deadLetters()).toEqual([]);
  });

  it('an id too long for any topic is refused at connect, and by /dev/token', async () => {
    const tooLong = 'u'.repeat(513);
    expect(await refusedStatus(`${runtime().wsUrl}?token=${await runtime().token(tooLong)}`)).toBe(401);
    await expect(devToken(tooLong)).rejects.toThrow(/513 characters long written as a topic segment/);
  });
});
