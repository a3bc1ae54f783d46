import type { FastifyReply } from 'fastify';

/** Aborts when the client goes away before the response is sent (stops an upload, a fetch or a wait). */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
