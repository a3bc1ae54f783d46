/**
 * Issue 3: server RSS after 100 tasks and 100,000 status polls versus after the first 10 tasks.
 * Finished tasks' state must not accumulate in the HTTP process (polls read one small row; maps are
 * bounded). Tasks are the five LibriVox clips in turn; the worker runs in its own process.
 * Usage: npx tsx bench/server-memory.ts [tasks=100] [polls=100000]
 */
import { mkdtemp } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, log, startService, treeRssMb, upload, waitTask } from './lib.js';

const tasks = Number(process.argv[2] ?? 100);
const polls = Number(process.argv[3] ?? 100_000);
const clips = ['0870', '0880', '0890', '0920', '0930'].map(
  (c) => `/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-${c}.wav`,
);
const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-srvmem-'));
const svc = await startService(dir, { EARSHOT_WORKERS: '1', EARSHOT_CONCURRENCY: '2' });
const serverRss = async () => (await treeRssMb(svc.proc.pid as number)).self;

async function runTasks(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await upload(svc, clips[i % clips.length] as string));
  for (const id of ids) await waitTask(svc, id, (t) => t.status === 'succeeded', 100);
  return ids;
}

async function poll(ids: string[], n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const id = ids[next++ % ids.length];
      await new Promise<void>((resolve, reject) => {
        const req = request(
          `${svc.url}/v1/tasks/${id}`,
          { agent, headers: { authorization: `Bearer ${svc.token}` } },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
}

try {
  const first = await runTasks(10);
  await poll(first, 1000); // warm the request path before the baseline
  const afterFirst10 = await serverRss();
  log(`after 10 tasks: ${afterFirst10.toFixed(1)} MB; running ${tasks - 10} more and ${polls} polls...`);
  const rest = await runTasks(tasks - 10);
  const t0 = performance.now();
  await poll([...first, ...rest], polls);
  const pollSeconds = (performance.now() - t0) / 1000;
  const afterAll = await serverRss();
  const counts = await api<{ counts: Record<string, number> }>(svc, '/v1/tasks?limit=1');
  console.log(
    JSON.stringify({
      bench: 'server-memory',
      tasks,
      polls,
      pollsPerSecond: Math.round(polls / pollSeconds),
      succeeded: counts.counts.succeeded,
      rssAfter10TasksMb: Number(afterFirst10.toFixed(1)),
      rssAfterAllMb: Number(afterAll.toFixed(1)),
      ratio: Number((afterAll / afterFirst10).toFixed(3)),
    }),
  );
} finally {
  await svc.stop();
}
