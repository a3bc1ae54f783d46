import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One callback as received. */
export interface Delivery {
  /** The body parsed as JSON (the text when it is not JSON). */
  body: unknown;
  /** The body as sent: what the signature covers. */
  raw: string;
  headers: IncomingHttpHeaders;
  contentType: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
  /** The status the receiver answered with. */
  answered: number;
}

/** The status to answer a callback with; `index` counts every callback received so far, from 0. */
export type Answer = (delivery: Omit<Delivery, 'answered'>, index: number) => number;

/**
 * A loopback HTTP server that records every POST (answering 204 unless told otherwise), for webhook
 * tests. It can stop listening and start again on the same port (a receiver that is down for a while).
 */
export interface WebhookReceiver {
  /** The callback URL to give a task; the same after `stop()` and `start()`. */
  url: string;
  readonly deliveries: Delivery[];
  /** Sets how later callbacks are answered. */
  answer(fn: Answer): void;
  /** Deliveries whose body matches `pred`, once there are at least `count` of them. */
  waitFor(pred: (body: unknown) => boolean, count: number, timeoutMs: number): Promise<Delivery[]>;
  /** Stops listening (connections are refused) until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Checks a callback's Standard Webhooks signature with the standardwebhooks package, as a receiver
 * would; returns the verified body, or throws WebhookVerificationError.
 */
export function verifyDelivery(secret: string, delivery: Delivery): unknown {
  const headers = Object.fromEntries(
    Object.entries(delivery.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  return new Webhook(secret).verify(delivery.raw, headers);
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const waiters = new Set<() => void>();
  let answer: Answer = () => 204;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as text: the assertion shows it
      }
      const received = { body, raw, headers: req.headers, contentType: req.headers['content-type'], at: Date.now() };
      const status = answer(received, deliveries.length);
      deliveries.push({ ...received, answered: status });
      res.writeHead(status).end();
      for (const w of [...waiters]) w();
    });
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    answer(fn) {
      answer = fn;
    },
    async waitFor(pred, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = deliveries.filter((d) => pred(d.body));
        if (matching.length >= count) return matching;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `${matching.length} of ${count} callbacks within ${timeoutMs} ms: ${JSON.stringify(deliveries.map((d) => d.body))}`,
          );
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    stop,
    start: () => (server.listening ? Promise.resolve() : listen(port)),
    close: stop,
  };
}
