import { PROTOCOL_TOKEN_PREFIX } from './auth.js';

/**
 * Chooses the subprotocol to answer a WebSocket handshake with. A browser fails the connection
 * unless the server picks one of those it offered, and OpenAI's browser clients offer `realtime`
 * next to the key-carrying `openai-insecure-api-key.<token>`: `realtime` is echoed rather than the
 * key; the key only when it is all the client offered (the answer goes to that client alone).
 */
export function selectProtocol(offered: Set<string>): string | false {
  if (offered.has('realtime')) return 'realtime';
  for (const p of offered) if (!p.startsWith(PROTOCOL_TOKEN_PREFIX)) return p;
  const [first] = offered;
  return first ?? false;
}
