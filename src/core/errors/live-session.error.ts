import { EarshotError } from './earshot-error.js';

/**
 * A live session (the `/v1/realtime` WebSocket) ended before the client finished it: refused at the
 * handshake, closed by the server after a fatal `error` event, or the connection was lost. `code` is
 * the server's error code when it sent one (see src/live/live-errors.ts), else `connection_closed`
 * or `handshake_refused`. Raised by the live clients, never by the server.
 */
export class LiveSessionError extends EarshotError {
  constructor(code: string, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, { status: 502, retryable: code === 'connection_closed', ...opts });
  }
}
