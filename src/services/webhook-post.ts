import { Webhook } from 'standardwebhooks';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { InvalidRequestError } from '../core/errors/index.js';
import { type WebhookDelivery, type WebhookFailure, webhookPayload } from '../core/webhook.js';
import { checkOutboundUrl } from './net-guard.js';

export interface WebhookPostOptions {
  dispatcher: Dispatcher;
  allowPrivate: boolean;
  /** Time limit of the try: connect, request and the answer's body. */
  timeoutMs: number;
  /** Ends the try early (shutdown); it then counts as failed and is retried later. */
  signal?: AbortSignal;
}

export type WebhookPostOutcome = { ok: true; httpStatus: number } | { ok: false; failure: WebhookFailure };

/** The receiver's answer body is read (then dropped) only up to this: it is not ours to buffer. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One try of a delivery, signed as Standard Webhooks specifies: `webhook-id` (the delivery id, the
 * same on every try), `webhook-timestamp` (this try, in seconds: receivers refuse stale ones) and
 * `webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body` with the owner's secret). Never
 * rejects: every way a try can go wrong is an outcome the caller records.
 */
export async function postWebhook(
  delivery: WebhookDelivery,
  secret: string,
  opts: WebhookPostOptions,
): Promise<WebhookPostOutcome> {
  const body = JSON.stringify(webhookPayload(delivery));
  const sentAt = new Date();
  try {
    await checkOutboundUrl(delivery.url, opts.allowPrivate, 'callback_url');
    const res = await request(delivery.url, {
      method: 'POST',
      dispatcher: opts.dispatcher,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'earshot',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(delivery.id, sentAt, body),
      },
      body,
      signal: opts.signal
        ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
        : AbortSignal.timeout(opts.timeoutMs),
    });
    await res.body.dump({ limit: MAX_ANSWER_BYTES });
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, httpStatus: res.statusCode };
    return { ok: false, failure: { httpStatus: res.statusCode, error: `receiver answered HTTP ${res.statusCode}` } };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, failure: { httpStatus: null, error: 'the server stopped mid-try' } };
    return { ok: false, failure: failureOf(err, opts.timeoutMs) };
  }
}

function failureOf(err: unknown, timeoutMs: number): WebhookFailure {
  // A refused target (private address, bad URL) stays refused: no point in retrying it.
  const refused = causes(err).find((e) => e instanceof InvalidRequestError);
  if (refused) return { httpStatus: null, error: refused.message, final: true };
  if (causes(err).some((e) => e.name === 'TimeoutError')) {
    return { httpStatus: null, error: `no answer within ${timeoutMs} ms` };
  }
  // The innermost error with a message says most (ECONNREFUSED rather than a wrapper's generic text).
  const said = causes(err)
    .reverse()
    .find((e) => e.message !== '');
  return { httpStatus: null, error: said?.message ?? String(err) };
}

/** `err` and its chain of causes (undici wraps socket errors). */
function causes(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}
