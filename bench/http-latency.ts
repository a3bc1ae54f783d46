/**
 * Issue 3: while every engine is busy recognising, `GET /health` and `GET /v1/tasks/:id` at a steady
 * 200 requests/s for 30 s, from a separate process on loopback. Target: p99 < 50 ms, no errors.
 * Usage: npx tsx bench/http-latency.ts [rate=200] [seconds=30]
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { childEnv } from '../test/helpers/child-env.js';
import { api, log, ROOT, startService, type TaskView, upload, waitTask } from './lib.js';

const rate = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 30);
const speech = await longSpeech(10);
const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-http-'));
const svc = await startService(dir, { EARSHOT_WORKERS: '1', EARSHOT_CONCURRENCY: '2' });
try {
  const id = await upload(svc, speech.path);
  await waitTask(svc, id, (t) => t.status === 'processing' && t.progress.done_seconds > 0);
  log(`task ${id} is recognising on every engine; starting ${rate} req/s for ${seconds} s`);
  const client = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/load-client.ts'),
      svc.url,
      svc.token,
      String(rate),
      String(seconds),
      '/health',
      `/v1/tasks/${id}`,
    ],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  client.stdout.on('data', (d) => {
    out += d;
  });
  // 'close', not 'exit': only then has all of its stdout been read.
  await new Promise((r) => client.once('close', r));
  const after = await api<TaskView>(svc, `/v1/tasks/${id}`);
  const load = JSON.parse(out) as Record<string, number>;
  console.log(
    JSON.stringify({
      bench: 'http-latency',
      rate,
      seconds,
      enginesBusyThroughout: after.status === 'processing',
      taskPercentAtEnd: after.progress.percent,
      ...load,
    }),
  );
} finally {
  await svc.stop();
}
