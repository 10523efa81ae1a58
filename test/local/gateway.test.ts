/**
 * The gateway's API Gateway behaviours that need no Lambda bundles: handshake refusals, route
 * responses and failures, limits and timeouts, and losing a connection without $disconnect.
 */
import WebSocket from 'ws';
import { AUTHORIZER_IDENTITY_SOURCES } from '../../lib/private/runtime-contract';
import { HandlerError } from '../../local/lambda/invoker';
import { handshake } from '../support/handshake';
import { GatewayHarness, startGateway } from './support/gateway-harness';

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
}

function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); ws.terminate(); });
    ws.once('open', () => { ws.terminate(); reject(new Error('accepted')); });
    ws.once('error', () => undefined);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function nextFrame(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!check()) throw new Error(`never happened: ${what}`);
}

describe('WebSocket gateway', () => {
  const harnesses: GatewayHarness[] = [];
  const start = async (...args: Parameters<typeof startGateway>) => {
    const harness = await startGateway(...args);
    harnesses.push(harness);
    return harness;
  };
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.stop()));
  });

  describe('handshake', () => {
    it('calls the authorizer for a handshake without a token (no identity sources, as deployed), and answers its 401', async () => {
      const h = await start();
      expect(await handshakeStatus(h.wsUrl)).toBe(401);
      expect(await handshakeStatus(`${h.wsUrl}?token=`)).toBe(401);
      expect(h.events.map((e) => e.integration)).toEqual(['authorizer', 'authorizer']);
      // The gateway emulates no identity sources because the construct lists none.
      expect(AUTHORIZER_IDENTITY_SOURCES).toEqual([]);
    });

    it('answers 401 when the authorizer throws Unauthorized, and never runs $connect', async () => {
      const h = await start();
      expect(await handshakeStatus(`${h.wsUrl}?token=deny`)).toBe(401);
      expect(h.events.map((e) => e.integration)).toEqual(['authorizer']);
      expect(h.registry.size).toBe(0);
    });

    it('answers 403 for a policy that denies or does not cover $connect', async () => {
      const deny = await start({
        authorizer: async (event: any) => ({
          principalId: 'x',
          policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] },
        }),
      });
      expect(await handshakeStatus(`${deny.wsUrl}?token=a`)).toBe(403);
      const elsewhere = await start({
        authorizer: async () => ({
          principalId: 'x',
          policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:*:*:other/*' }] },
        }),
      });
      expect(await handshakeStatus(`${elsewhere.wsUrl}?token=a`)).toBe(403);
    });

    it('answers 500 when the authorizer crashes or returns a context API Gateway rejects', async () => {
      const crash = await start({ authorizer: async () => { throw new HandlerError('authorizer', 'TypeError', 'boom'); } });
      expect(await handshakeStatus(`${crash.wsUrl}?token=a`)).toBe(500);
      const nested = await start({
        authorizer: async (event: any) => ({
          principalId: 'x',
          policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
          context: { roles: ['admin'] },
        }),
      });
      expect(await handshakeStatus(`${nested.wsUrl}?token=a`)).toBe(500);
    });

    it('lets every handshake reach $connect when there is no authorizer, with no authorizer context', async () => {
      const h = await start({ authorizer: null });
      const ws = await open(h.wsUrl);
      ws.send('{"action":"ping"}');
      await nextFrame(ws);
      ws.close();
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
      expect(h.events.map((e) => e.integration)).toEqual(['connect', 'ping', 'disconnect']);
      for (const { event } of h.events) expect(event.requestContext).not.toHaveProperty('authorizer');
    });

    it('refuses the connection with the status $connect answers when it is not 2xx', async () => {
      const h = await start({ connect: async () => ({ statusCode: 429 }) });
      expect(await handshakeStatus(`${h.wsUrl}?token=a`)).toBe(429);
      const crash = await start({ connect: async () => { throw new HandlerError('connect', 'Error', 'down'); } });
      expect(await handshakeStatus(`${crash.wsUrl}?token=a`)).toBe(500);
      expect(crash.registry.size).toBe(0);
    });
  });

  describe('subprotocols', () => {
    const answering = (headers: Record<string, string>) => async () => ({ statusCode: 200, headers });

    it('answers with the subprotocol $connect returns (any header case) and never chooses one itself', async () => {
      const h = await start({ connect: answering({ 'sec-websocket-protocol': 'realtime.v1' }) });
      const { ws, answered } = await handshake(`${h.wsUrl}?token=alice`, ['token.abc', 'realtime.v1']);
      expect(answered).toBe('realtime.v1');
      expect(ws!.protocol).toBe('realtime.v1');
      // $connect saw the header as the client sent it.
      expect(h.events[1].event.headers['Sec-WebSocket-Protocol']).toBe('token.abc,realtime.v1');
      ws!.close();
    });

    it('fails the handshake in the client, as a browser does, when $connect returns no subprotocol for a client that offered some', async () => {
      const h = await start();
      const { answered, error } = await handshake(`${h.wsUrl}?token=alice`, ['realtime.v1']);
      expect(answered).toBeUndefined();
      expect(error).toBe('Server sent no subprotocol');
      expect(h.logs.join('\n')).toMatch(/returned no Sec-WebSocket-Protocol header/);
      // API Gateway completed its side of the handshake, so the drop is a connection that ends.
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
    });

    it('passes on a subprotocol the client did not offer, which the client refuses', async () => {
      const h = await start({ connect: answering({ 'Sec-WebSocket-Protocol': 'chat' }) });
      expect((await handshake(`${h.wsUrl}?token=alice`, ['realtime.v1'])).error).toBe('Server sent an invalid subprotocol');
      expect((await handshake(`${h.wsUrl}?token=alice`)).error).toBe('Server sent a subprotocol but none was requested');
    });

    it('answers with no subprotocol when none was offered and $connect returns none', async () => {
      const h = await start();
      const { ws, answered } = await handshake(`${h.wsUrl}?token=alice`);
      expect(answered).toBeUndefined();
      expect(ws!.protocol).toBe('');
      ws!.close();
    });
  });

  describe('routes', () => {
    it('selects the route from the action, falls back to $default, and sends the route response', async () => {
      const h = await start({
        routes: {
          ping: async () => ({ statusCode: 200, body: '{"type":"pong"}' }),
          $default: async (event: any) => ({ statusCode: 200, body: JSON.stringify({ route: event.requestContext.routeKey }) }),
        },
      });
      const ws = await open(`${h.wsUrl}?token=a`);
      ws.send('{"action":"ping"}');
      expect(await nextFrame(ws)).toEqual({ type: 'pong' });
      for (const frame of ['{"action":"PING"}', '{"action":5}', '[1]', 'null', '{"action":{"x":1}}', '{']) {
        ws.send(frame);
        expect(await nextFrame(ws)).toEqual({ route: '$default' });
      }
      ws.close();
    });

    it('answers a failed integration with API Gateway\'s Internal server error frame', async () => {
      const h = await start({ routes: { $default: async () => { throw new HandlerError('message', 'Error', 'secret detail'); } } });
      const ws = await open(`${h.wsUrl}?token=a`);
      ws.send('hello');
      const frame = await nextFrame(ws);
      expect(frame).toEqual({ message: 'Internal server error', connectionId: expect.any(String), requestId: expect.any(String) });
      expect(JSON.stringify(frame)).not.toContain('secret');
      ws.close();
    });

    it('handles one client\'s frames in order', async () => {
      let calls = 0;
      const h = await start({
        routes: {
          $default: async (event: any) => {
            const n = ++calls;
            // The first frame is the slowest; its answer must still come first.
            await new Promise((resolve) => setTimeout(resolve, n === 1 ? 100 : 0));
            return { statusCode: 200, body: JSON.stringify({ body: event.body }) };
          },
        },
      });
      const ws = await open(`${h.wsUrl}?token=a`);
      const frames: string[] = [];
      ws.on('message', (data) => frames.push(JSON.parse(data.toString()).body));
      ['1', '2', '3'].forEach((n) => ws.send(n));
      await until(() => frames.length === 3, 'three answers');
      expect(frames).toEqual(['1', '2', '3']);
      ws.close();
    });
  });

  describe('limits and closes', () => {
    it('closes with 1009 for a message over the limit and runs $disconnect', async () => {
      const h = await start({}, { maxMessageBytes: 1024 });
      const ws = await open(`${h.wsUrl}?token=a`);
      ws.send('x'.repeat(1024));
      ws.send('x'.repeat(1025));
      expect((await closed(ws)).code).toBe(1009);
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
      expect(h.events.filter((e) => e.integration === '$default')).toHaveLength(1);
    });

    it('closes idle connections with 1001 Going away, and a ping frame keeps them open', async () => {
      // Wide margins: the keep-alive pings come ten times per idle period, so a busy CI machine cannot starve them.
      const h = await start({}, { idleTimeoutMs: 1500 });
      const idle = await open(`${h.wsUrl}?token=idle`);
      const busy = await open(`${h.wsUrl}?token=busy`);
      const keepAlive = setInterval(() => busy.send('{"action":"ping"}'), 150);
      try {
        expect(await closed(idle)).toEqual({ code: 1001, reason: 'Going away' });
        expect(busy.readyState).toBe(WebSocket.OPEN);
      } finally {
        clearInterval(keepAlive);
      }
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
      const disconnect = h.events.find((e) => e.integration === 'disconnect')!.event;
      expect(disconnect.requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Connection Idle Timeout', authorizer: { userId: 'idle' } });
      busy.close();
    });

    it('closes connections at the maximum duration, busy or not', async () => {
      const h = await start({}, { maxConnectionMs: 300 });
      const ws = await open(`${h.wsUrl}?token=a`);
      const keepAlive = setInterval(() => ws.send('{"action":"ping"}'), 50);
      try {
        expect((await closed(ws)).code).toBe(1001);
      } finally {
        clearInterval(keepAlive);
      }
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
      expect(h.events.find((e) => e.integration === 'disconnect')!.event.requestContext.disconnectReason).toBe('Connection Duration Exceeded');
    });

    it('runs $disconnect with 1006 when the client drops its socket', async () => {
      const h = await start();
      const ws = await open(`${h.wsUrl}?token=a`);
      (ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
      await until(() => h.events.some((e) => e.integration === 'disconnect'), '$disconnect');
      expect(h.events.find((e) => e.integration === 'disconnect')!.event.requestContext.disconnectStatusCode).toBe(1006);
      expect(h.registry.size).toBe(0);
    });

    it('can lose a connection without $disconnect, as when API Gateway\'s best-effort $disconnect never comes', async () => {
      const h = await start();
      const ws = await open(`${h.wsUrl}?token=a`);
      const [connectionId] = h.registry.ids();
      expect(h.gateway.loseConnection(connectionId)).toBe(true);
      expect((await closed(ws)).code).toBe(1006);
      expect(h.registry.get(connectionId)).toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.events.filter((e) => e.integration === 'disconnect')).toEqual([]);
    });

    it('closes every connection on shutdown and waits for their $disconnect', async () => {
      const h = await start({ disconnect: async () => { await new Promise((resolve) => setTimeout(resolve, 50)); return { statusCode: 200 }; } });
      const sockets = await Promise.all(['a', 'b', 'c'].map((u) => open(`${h.wsUrl}?token=${u}`)));
      const codes = Promise.all(sockets.map(closed));
      await h.gateway.closeAll();
      expect(h.events.filter((e) => e.integration === 'disconnect')).toHaveLength(3);
      expect((await codes).map((c) => c.code)).toEqual([1001, 1001, 1001]);
    });
  });
});
