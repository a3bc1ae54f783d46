import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One callback as received. */
export interface Delivery {
  body: unknown;
  contentType: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
}

/** A loopback HTTP server that records every POST (answering 204), for webhook tests. */
export interface WebhookReceiver {
  /** The callback URL to give a task. */
  url: string;
  readonly deliveries: Delivery[];
  /** Deliveries whose body matches `pred`, once there are at least `count` of them. */
  waitFor(pred: (body: unknown) => boolean, count: number, timeoutMs: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the assertion shows it
      }
      deliveries.push({ body, contentType: req.headers['content-type'], at: Date.now() });
      res.writeHead(204).end();
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    async waitFor(pred, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = deliveries.filter((d) => pred(d.body));
        if (matching.length >= count) return matching;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `${matching.length} of ${count} callbacks within ${timeoutMs} ms: ${JSON.stringify(deliveries)}`,
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
