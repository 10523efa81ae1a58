/**
 * Subprotocols end to end: real `ws` clients offer them through the local gateway to the real
 * authorizer and $connect bundles, which answer as API Gateway requires (the chosen subprotocol in
 * the $connect answer, never the token-bearing entry) and read the token from either place.
 */
import { handshake } from '../support/handshake';
import { connect, eventBridgeClient, publish, useLocalRuntime } from './support/clients';

describe('subprotocols through the local runtime', () => {
  const runtime = useLocalRuntime();

  const withQueryToken = async (userId: string) => `${runtime().wsUrl}?token=${encodeURIComponent(await runtime().token(userId))}`;

  it('answers with realtime.v1 when the client asks for it', async () => {
    const { ws, answered } = await handshake(await withQueryToken('alice'), 'realtime.v1');
    expect(answered).toBe('realtime.v1');
    expect(ws?.protocol).toBe('realtime.v1');
    ws?.close();
  });

  it('answers with the subprotocol a tool asks for by habit ("websocket", as Postman tutorials do)', async () => {
    const { ws, answered } = await handshake(await withQueryToken('alice'), 'websocket');
    expect(answered).toBe('websocket');
    ws?.close();
  });

  it('still connects without any subprotocol, and answers with none', async () => {
    const { ws, answered } = await handshake(await withQueryToken('alice'));
    expect(answered).toBeUndefined();
    expect(ws?.protocol).toBe('');
    ws?.close();
  });

  it('takes the token from a token.<JWT> subprotocol, keeps it out of the URL, and never answers with it', async () => {
    const token = await runtime().token('auth0|abc123');
    const { ws, answered } = await handshake(runtime().wsUrl, ['realtime.v1', `token.${token}`]);
    expect(answered).toBe('realtime.v1');
    ws?.close();

    // The connection works like any other: subscribe, and receive what is published.
    const client = await connect(runtime(), 'auth0|abc123', { tokenIn: 'subprotocol', token });
    expect(client.ws.protocol).toBe('realtime.v1');
    await client.subscribe('users/auth0|abc123/inbox');
    const events = eventBridgeClient(runtime());
    await publish(events, runtime(), { userId: 'auth0|abc123', data: { via: 'subprotocol' } });
    events.destroy();
    const [notification] = await client.waitForNotifications(1);
    expect(notification).toMatchObject({ userId: 'auth0|abc123', data: { via: 'subprotocol' } });
    await client.close();
  });

  it('refuses a token offered alone (400: nothing could be answered with), and a missing or doubled token (401)', async () => {
    const alice = await runtime().token('alice');
    const bob = await runtime().token('bob');
    expect((await handshake(runtime().wsUrl, [`token.${alice}`])).status).toBe(400);
    expect((await handshake(runtime().wsUrl, ['realtime.v1'])).status).toBe(401);
    expect((await handshake(runtime().wsUrl)).status).toBe(401);
    expect((await handshake(`${runtime().wsUrl}?token=${encodeURIComponent(alice)}`, ['realtime.v1', `token.${bob}`])).status).toBe(401);
    expect((await handshake(runtime().wsUrl, ['realtime.v1', `token.${alice}`, `token.${bob}`])).status).toBe(401);
    expect((await handshake(runtime().wsUrl, ['realtime.v1', 'token.not-a-jwt'])).status).toBe(401);
  });
});
