/** The gateway on its own HTTP server with in-process integrations, for tests that need no Lambda bundles. */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { ConnectionRegistry } from '../../../local/connections-api';
import { HandlerError } from '../../../local/lambda/invoker';
import { GatewayIntegrations, GatewayOptions, Invoke, WebSocketGateway } from '../../../local/gateway/gateway';

export const TEST_API = { apiId: 'testapi123', stage: 'local', region: 'us-east-1', accountId: '000000000000' };

export interface RecordedEvent {
  readonly integration: string;
  readonly event: Record<string, any>;
}

/** An authorizer that allows `?token=<userId>` and, as the bundled one does, refuses a missing token (and `?token=deny`) with "Unauthorized". */
export const allowAuthorizer: Invoke = async (event) => {
  const e = event as { methodArn: string; queryStringParameters: Record<string, string> | null };
  const token = e.queryStringParameters?.token;
  // As the invoker reports a handler that threw Error('Unauthorized').
  if (!token || token === 'deny') throw new HandlerError('authorizer', 'Error', 'Unauthorized');
  return {
    principalId: token,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: e.methodArn }] },
    context: { userId: token },
  };
};

export interface GatewayHarness {
  readonly wsUrl: string;
  readonly gateway: WebSocketGateway;
  readonly registry: ConnectionRegistry;
  readonly events: RecordedEvent[];
  readonly logs: string[];
  stop(): Promise<void>;
}

export async function startGateway(
  integrations: Partial<Omit<GatewayIntegrations, 'routes' | 'authorizer'>> & { routes?: Record<string, Invoke>; authorizer?: Invoke | null } = {},
  options: Partial<GatewayOptions> = {},
): Promise<GatewayHarness> {
  const events: RecordedEvent[] = [];
  const logs: string[] = [];
  const record = (integration: string, invoke: Invoke): Invoke => async (event) => {
    events.push({ integration, event: event as Record<string, any> });
    return invoke(event);
  };
  const ok: Invoke = async () => ({ statusCode: 200 });
  const echo: Invoke = async (event) => ({ statusCode: 200, body: JSON.stringify({ echo: (event as { body: string }).body }) });
  const registry = new ConnectionRegistry();
  const gateway = new WebSocketGateway({
    api: TEST_API,
    registry,
    integrations: {
      // null: no authorizer on $connect, as ConnectionAuth.none() deploys it.
      authorizer: integrations.authorizer === null ? undefined : record('authorizer', integrations.authorizer ?? allowAuthorizer),
      connect: record('connect', integrations.connect ?? ok),
      disconnect: record('disconnect', integrations.disconnect ?? ok),
      routes: Object.fromEntries(Object.entries(integrations.routes ?? { ping: echo, $default: echo })
        .map(([key, invoke]) => [key, record(key, invoke)])),
    },
    log: (line) => logs.push(line),
    ...options,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/local`,
    gateway,
    registry,
    events,
    logs,
    stop: async () => {
      await gateway.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
