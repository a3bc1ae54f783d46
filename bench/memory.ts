/**
 * Issue 2: peak RSS of `earshot transcribe` on a 10-minute and a 60-minute recording. Memory must
 * not grow with the recording's length (decoded audio is spooled to disk, chunks are read one at a
 * time). Samples the CLI process and its whole tree (engine processes included) every 250 ms.
 * Usage: npx tsx bench/memory.ts [short=10] [long=60]
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { childEnv } from '../test/helpers/child-env.js';
import { CLI, log, sampleRss } from './lib.js';

const lengths = [Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 60)];

async function measure(minutes: number) {
  const speech = await longSpeech(minutes);
  log(`${minutes} min (${speech.durationSeconds.toFixed(0)} s): transcribing...`);
  const out = await mkdtemp(join(tmpdir(), 'earshot-bench-mem-'));
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'transcribe', speech.path, '-f', 'json', '-o', out, '-c', '2', '--no-progress'],
    { env: childEnv(), stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const sampler = sampleRss(child.pid as number);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const peaks = await sampler.stop();
  if (code !== 0) throw new Error(`transcribe exited ${code}`);
  const seconds = (performance.now() - start) / 1000;
  return {
    minutes,
    audioSeconds: Math.round(speech.durationSeconds),
    wallSeconds: Math.round(seconds),
    peakRssMb: Math.round(peaks.peakSelf),
    peakTreeRssMb: Math.round(peaks.peakTree),
  };
}

const runs = [];
for (const m of lengths) runs.push(await measure(m));
const [a, b] = runs;
console.log(
  JSON.stringify({
    bench: 'memory',
    runs,
    longOverShort: a && b ? Number((b.peakRssMb / a.peakRssMb).toFixed(3)) : null,
    treeLongOverShort: a && b ? Number((b.peakTreeRssMb / a.peakTreeRssMb).toFixed(3)) : null,
  }),
);
