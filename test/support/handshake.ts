/** A WebSocket handshake as a client sees it: the subprotocol answered, or why the client failed it. */
import WebSocket from 'ws';

export interface HandshakeOutcome {
  /** Set when the connection opened. */
  readonly ws?: WebSocket;
  /** The handshake answer's Sec-WebSocket-Protocol header, if the upgrade was answered. */
  readonly answered?: string;
  /** The HTTP status of a refused handshake. */
  readonly status?: number;
  /** Why the client failed the handshake (ws checks the answered subprotocol as browsers do). */
  readonly error?: string;
}

export function handshake(url: string, protocols?: string | string[]): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    let answered: string | undefined;
    ws.once('upgrade', (res) => { answered = res.headers['sec-websocket-protocol'] as string | undefined; });
    ws.once('open', () => resolve({ ws, answered }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve({ status: res.statusCode });
    });
    ws.once('error', (error) => resolve({ answered, error: error.message }));
  });
}
