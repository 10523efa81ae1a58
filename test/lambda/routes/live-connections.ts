/**
 * Connections as $connect leaves them (a row, with its user), each with a live socket at the
 * local @connections API that records the frames posted to it.
 */
import type { Stores } from '../../../lambda/stores';
import { newConnectionId } from '../../support/websocket-events';
import type { Services } from '../fanout/harness';

/** Opens a connection of `userId`; what is posted to it is appended to `frames` under its id. */
export async function openLiveConnection(services: Services, stores: Stores, frames: Map<string, string[]>, userId: string): Promise<string> {
  const connectionId = newConnectionId();
  const now = Date.now();
  await stores.connections.putConnection({ connectionId, userId, connectedAt: now, expiresAt: Math.floor(now / 1000) + 3600 });
  frames.set(connectionId, []);
  services.connectionsApi.registry.add({
    connectionId, connectedAt: new Date(now), lastActiveAt: new Date(now), sourceIp: '127.0.0.1',
    send: (data) => frames.get(connectionId)!.push(data),
    close: () => services.connectionsApi.registry.remove(connectionId),
  });
  return connectionId;
}
