/**
 * Open-loop HTTP load from its own process: `rate` requests per second for `seconds`, cycling
 * through `paths`, each request timed from its scheduled send. Prints latency percentiles as JSON.
 * Usage: npx tsx bench/load-client.ts URL TOKEN RATE SECONDS PATH [PATH...]
 */
import { Agent, request } from 'node:http';

const [url = '', token = '', rateArg = '200', secondsArg = '30', ...paths] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const latencies: number[] = [];
let errors = 0;
let inflight = 0;

function once(path: string): Promise<void> {
  const start = performance.now();
  inflight++;
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - start);
        inflight--;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      inflight--;
      resolve();
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const total = Math.round(rate * seconds);
const t0 = performance.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = t0 + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(once(paths[i % paths.length] ?? '/health'));
}
await Promise.all(pending);
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(2));
console.log(
  JSON.stringify({
    requests: total,
    completed: latencies.length,
    errors,
    achievedRate: Number((total / ((performance.now() - t0) / 1000)).toFixed(1)),
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: pct(100),
    inflightAtEnd: inflight,
  }),
);
