/**
 * Issue 11: the first words of a long recording arrive within 5 s, on any speech. Through
 * `earshot serve` with the default worker settings, for a recording of continuous speech (flite
 * reading one long text) and for `longSpeech` (a 0.8 s pause after every paragraph), one after the
 * other: upload start -> first SSE `segment` event, and upload start -> task succeeded.
 * Usage: npx tsx bench/first-segment.ts [minutes=60] [--no-total]
 * (--no-total cancels each task after its first segment, for a quick run.)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { continuousSpeech, type LongSpeech, longSpeech } from '../test/helpers/audio-fixtures.js';
import { api, log, type Service, startService, upload, waitTask } from './lib.js';

const args = process.argv.slice(2);
const minutes = Number(args.find((a) => !a.startsWith('--')) ?? 60);
const withTotal = !args.includes('--no-total');
const env = { EARSHOT_WORKERS: '1', EARSHOT_CONCURRENCY: '2' };

interface Run {
  audioSeconds: number;
  /** Upload start -> POST /v1/tasks answered (stored and probed): part of the first segment's wait. */
  uploadSeconds: number;
  firstSegmentSeconds: number;
  totalSeconds?: number;
}

/** Seconds since `t0` at which each SSE event type first arrived on `res`, until a segment does. */
async function untilFirstSegment(res: Response, t0: number): Promise<Record<string, number>> {
  if (!res.body) throw new Error('no SSE body');
  const firsts: Record<string, number> = {};
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    for (const m of buf.matchAll(/^event: (\w+)$/gm)) {
      const type = m[1] as string;
      firsts[type] ??= Number(((performance.now() - t0) / 1000).toFixed(2));
    }
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
    if (firsts.segment !== undefined) break;
  }
  await res.body.cancel().catch(() => undefined);
  return firsts;
}

async function waitWorkersIdle(svc: Service): Promise<void> {
  for (;;) {
    const { supervised } = await api<{ supervised: { state: string }[] }>(svc, '/v1/admin/workers');
    if (supervised.every((w) => w.state === 'idle')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(svc: Service, name: string, speech: LongSpeech): Promise<Run> {
  log(`${name}: ${speech.durationSeconds.toFixed(0)} s...`);
  const t0 = performance.now();
  const id = await upload(svc, speech.path);
  const uploaded = (performance.now() - t0) / 1000;
  const res = await fetch(`${svc.url}/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${svc.token}` } });
  const firsts = await untilFirstSegment(res, t0);
  const firstSegmentSeconds = firsts.segment as number;
  log(`${name}: upload ${uploaded.toFixed(2)} s, first events ${JSON.stringify(firsts)}`);
  const run: Run = {
    audioSeconds: Math.round(speech.durationSeconds),
    uploadSeconds: Number(uploaded.toFixed(2)),
    firstSegmentSeconds,
  };
  if (withTotal) {
    await waitTask(svc, id, (t) => t.status === 'succeeded', 200);
    run.totalSeconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    log(`${name}: succeeded after ${run.totalSeconds} s`);
  } else {
    // The next recording must have the worker to itself: a cancelled task's engines stop only
    // once its worker notices, so wait for the worker, not just the task's status.
    await api(svc, `/v1/tasks/${id}/cancel`, { method: 'POST' });
    await waitTask(svc, id, (t) => t.status === 'cancelled', 100);
    await waitWorkersIdle(svc);
  }
  return run;
}

const continuous = await continuousSpeech(minutes);
const paused = await longSpeech(minutes);
const svc = await startService(await mkdtemp(join(tmpdir(), 'earshot-bench-first-')), env);
try {
  const result = {
    bench: 'first-segment',
    continuous: await measure(svc, 'continuous', continuous),
    paused: await measure(svc, 'paused', paused),
  };
  console.log(JSON.stringify(result));
} finally {
  await svc.stop();
}
