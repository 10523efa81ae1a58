/** A small HTTP server on 127.0.0.1 for one local API, for tests that need nothing else. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface LoopbackServer {
  readonly server: Server;
  /** e.g. `http://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `handle` (which returns false for requests it does not own: those get 404). */
export async function serveOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => boolean,
  port = 0,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    if (!handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
