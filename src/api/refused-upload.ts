import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * How much of a refused upload is still read (and dropped) before the error is answered. A client
 * that is still sending its body when the server answers 4xx and closes the connection sees EPIPE or
 * ECONNRESET instead of the answer; reading on lets it finish sending, read the error and keep its
 * connection. Past this bound the connection is
 * closed anyway: the upload was refused, and reading gigabytes only to drop them costs more than a
 * client's clear error is worth.
 */
export const REFUSED_UPLOAD_DRAIN_BYTES = 1024 * 1024;

/**
 * Reads and drops the rest of a refused upload's file and request, resolving when the request is
 * complete (or, past `limit` bytes, once the file stream is destroyed). Awaited before the error is answered: answered earlier, the request would be
 * unfinished, so the server would close the connection under a client that is still sending.
 */
export async function drainRefusedUpload(
  file: Readable,
  request: IncomingMessage,
  limit = REFUSED_UPLOAD_DRAIN_BYTES,
): Promise<void> {
  if (!file.readableEnded && !file.destroyed) {
    const ended = await new Promise<boolean>((resolve) => {
      let seen = 0;
      file.on('error', () => resolve(false));
      file.once('end', () => resolve(true));
      file.once('close', () => resolve(file.readableEnded));
      file.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > limit) file.destroy();
      });
      file.resume();
    });
    if (!ended) return;
  }
  // The multipart parser reads the closing boundary after the file's end; the request is complete
  // (and its connection reusable) a moment later.
  if (request.complete || request.destroyed) return;
  await new Promise<void>((resolve) => {
    request.once('end', resolve);
    request.once('close', resolve);
  });
}
