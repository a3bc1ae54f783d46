import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Lets shutdown close connections that carry no request. Node's `closeIdleConnections` skips
 * sockets that never sent a request (clients open spare connections, e.g. after an aborted
 * stream), and those would hold `server.close()` open until the headers timeout (a minute). Sockets
 * are counted by requests in flight; on shutdown the idle ones are destroyed at once and the others
 * as soon as their last response ends. Entries leave the map when their socket closes.
 */
export function trackConnections(server: Server): { closeIdle(): void } {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (inFlight.has(socket)) inFlight.set(socket, left);
      if (closing && left === 0) socket.destroy();
    });
  });
  return {
    closeIdle() {
      closing = true;
      for (const [socket, n] of inFlight) if (n === 0) socket.destroy();
    },
  };
}
