import type { Readable } from 'node:stream';

/**
 * How much of a refused upload is still read (and dropped). A client that is still sending its
 * body when the server answers 4xx and closes the connection sees EPIPE or ECONNRESET instead of the
 * answer; reading on lets it finish sending and read the error. Past this bound the connection is
 * closed anyway: the upload was refused, and reading gigabytes only to drop them costs more than a
 * client's clear error is worth.
 */
export const REFUSED_UPLOAD_DRAIN_BYTES = 1024 * 1024;

/** Reads and drops the rest of `stream` (up to `limit` bytes, then destroys it); never throws. */
export function drainRefusedUpload(stream: Readable, limit = REFUSED_UPLOAD_DRAIN_BYTES): void {
  if (stream.readableEnded || stream.destroyed) return;
  let seen = 0;
  stream.on('error', () => undefined);
  stream.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) stream.destroy();
  });
  stream.resume();
}
