/**
 * Issue 5: (a) a ≥ 20-minute recording whose server is SIGKILLed at ~80% done: time from restart to
 * done versus an uninterrupted run (target ≤ 30%); (b) time from the start of the upload of a
 * 60-minute recording to its first readable segment (SSE `segment` event; target ≤ 10 s).
 * Usage: npx tsx bench/resume.ts [minutes=20] [longMinutes=60]
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { api, log, type Service, startService, upload, waitTask } from './lib.js';

const minutes = Number(process.argv[2] ?? 20);
const longMinutes = Number(process.argv[3] ?? 60);
const env = { EARSHOT_WORKERS: '1', EARSHOT_CONCURRENCY: '2' };

async function firstSegmentSeconds(svc: Service, file: string): Promise<{ seconds: number; id: string }> {
  const t0 = performance.now();
  const id = await upload(svc, file);
  const res = await fetch(`${svc.url}/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${svc.token}` } });
  if (!res.body) throw new Error('no SSE body');
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    if (/^event: segment$/m.test(buf)) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  await res.body.cancel().catch(() => undefined);
  return { seconds, id };
}

const speech = await longSpeech(minutes);
const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-resume-'));
let svc = await startService(dir, env);
const token = svc.token;
try {
  log(`uninterrupted run of ${speech.durationSeconds.toFixed(0)} s...`);
  let t0 = performance.now();
  const a = await upload(svc, speech.path);
  await waitTask(svc, a, (t) => t.status === 'succeeded', 200);
  const uninterrupted = (performance.now() - t0) / 1000;

  log('interrupted run: SIGKILL the server at 80%...');
  const b = await upload(svc, speech.path);
  const atKill = await waitTask(svc, b, (t) => t.progress.percent >= 80, 100);
  await svc.stop('SIGKILL');
  t0 = performance.now();
  svc = await startService(dir, env, token);
  const done = await waitTask(svc, b, (t) => t.status === 'succeeded', 200);
  const restartToDone = (performance.now() - t0) / 1000;

  log(`time to first segment of ${longMinutes} min...`);
  const long = await longSpeech(longMinutes);
  const first = await firstSegmentSeconds(svc, long.path);
  await api(svc, `/v1/tasks/${first.id}/cancel`, { method: 'POST' });

  console.log(
    JSON.stringify({
      bench: 'resume',
      audioSeconds: Math.round(speech.durationSeconds),
      uninterruptedSeconds: Number(uninterrupted.toFixed(1)),
      killedAtPercent: atKill.progress.percent,
      restartToDoneSeconds: Number(restartToDone.toFixed(1)),
      ratio: Number((restartToDone / uninterrupted).toFixed(3)),
      attemptsAfterResume: done.attempts,
      longAudioSeconds: Math.round(long.durationSeconds),
      firstSegmentSeconds: Number(first.seconds.toFixed(2)),
    }),
  );
} finally {
  await svc.stop();
}
