import { rm } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { AbortedError, FetchFailedError, InvalidRequestError, PayloadTooLargeError } from '../core/errors/index.js';
import { writeLimited } from './media-files.js';
import { checkOutboundUrl } from './net-guard.js';

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Redirects followed at most; each target is validated like the first URL. */
  maxRedirects?: number;
}

export interface FetchedFile {
  bytes: number;
  /** The URL the body finally came from (after redirects). */
  finalUrl: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads a user-supplied URL to `dest`. http/https only; at most 3 redirects, each re-checked
 * (scheme and, unless allowed, a public address) so a public URL cannot bounce to file:, to
 * another scheme or into the private network; one deadline covers connecting, redirects and the
 * body; the size limit is enforced on Content-Length and again while streaming.
 */
export async function fetchToFile(
  rawUrl: string,
  dest: string,
  limits: FetchLimits,
  dispatcher: Dispatcher,
  signal?: AbortSignal,
): Promise<FetchedFile> {
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const abort = signal ? AbortSignal.any([deadline, signal]) : deadline;
  const maxRedirects = limits.maxRedirects ?? 3;
  let url = await checkOutboundUrl(rawUrl, limits.allowPrivate);
  try {
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method: 'GET',
        dispatcher,
        signal: abort,
        headers: { 'user-agent': 'earshot', accept: 'audio/*, video/*, */*;q=0.5' },
      });
      // Bodies of redirects and errors are not read: destroying them bounds the work an upstream can cause.
      if (REDIRECTS.has(res.statusCode)) {
        discard(res.body);
        const location = res.headers.location;
        if (typeof location !== 'string') throw new FetchFailedError(`redirect ${res.statusCode} without Location`);
        if (hop >= maxRedirects) throw new FetchFailedError(`more than ${maxRedirects} redirects`);
        url = await checkOutboundUrl(new URL(location, url).href, limits.allowPrivate, 'redirect target');
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        discard(res.body);
        throw new FetchFailedError(`fetching the url failed with HTTP ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        discard(res.body);
        throw new PayloadTooLargeError(limits.maxBytes);
      }
      const bytes = await writeLimited(res.body, dest, limits.maxBytes, abort);
      return { bytes, finalUrl: url };
    }
  } catch (err) {
    await rm(dest, { force: true });
    if (err instanceof InvalidRequestError || err instanceof PayloadTooLargeError || err instanceof FetchFailedError) {
      throw err;
    }
    if (signal?.aborted) throw new AbortedError('the client disconnected');
    if (deadline.aborted) throw new FetchFailedError(`fetching the url took longer than ${limits.timeoutMs} ms`, err);
    // The dispatcher's guarded lookup refuses private targets at connect time (DNS rebinding).
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof InvalidRequestError) throw cause;
    throw new FetchFailedError(`fetching the url failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

/**
 * Drops a response body unread. undici reports a destroyed body as an error on the stream; with no
 * listener that becomes an uncaught exception, so one is attached first.
 */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}
