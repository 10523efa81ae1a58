/**
 * The WebSocket subprotocols a client offers on $connect (`Sec-WebSocket-Protocol`), the one the
 * $connect integration answers with, and the token an entry may carry. Pure.
 *
 * A browser drops a connection whose handshake answer names no subprotocol when it offered some
 * (or names one it did not offer), and API Gateway answers with exactly the header the $connect
 * integration returns, so $connect must choose one.
 */
import { API_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../lib/private/runtime-contract';

export const SUBPROTOCOL_HEADER = 'Sec-WebSocket-Protocol';

type Headers = Record<string, string | undefined> | null | undefined;
type MultiValueHeaders = Record<string, string[] | undefined> | null | undefined;

/** The handshake headers as API Gateway passes them (names in the client's case). */
export interface HandshakeHeaders {
  readonly headers?: Headers;
  readonly multiValueHeaders?: MultiValueHeaders;
}

/** Every subprotocol offered, in the client's order (the header may repeat or list several). */
export function offeredSubprotocols(event: HandshakeHeaders): string[] {
  const name = SUBPROTOCOL_HEADER.toLowerCase();
  const multi = Object.entries(event.multiValueHeaders ?? {}).filter(([key]) => key.toLowerCase() === name)
    .flatMap(([, values]) => values ?? []);
  const single = Object.entries(event.headers ?? {}).filter(([key]) => key.toLowerCase() === name)
    .map(([, value]) => value ?? '');
  return (multi.length > 0 ? multi : single).flatMap((value) => value.split(','))
    .map((protocol) => protocol.trim()).filter((protocol) => protocol !== '');
}

function isTokenSubprotocol(protocol: string): boolean {
  return protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX);
}

/** The tokens carried by `token.<JWT>` entries. */
export function subprotocolTokens(offered: readonly string[]): string[] {
  return offered.filter(isTokenSubprotocol).map((protocol) => protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length));
}

/**
 * The subprotocol to answer with: this API's own when offered, otherwise the first one offered
 * (clients and tools that ask for one by habit, such as "websocket"), never a token-bearing entry.
 * Undefined when nothing but tokens, or nothing at all, was offered.
 */
export function chooseSubprotocol(offered: readonly string[]): string | undefined {
  if (offered.includes(API_SUBPROTOCOL)) return API_SUBPROTOCOL;
  return offered.find((protocol) => !isTokenSubprotocol(protocol));
}
