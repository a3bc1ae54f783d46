/**
 * Audio layer benchmark: decode speed, VAD cost per frame, and peak memory of a full analysis
 * (decode + spool + VAD + plan) for recordings of growing length, each in a fresh process.
 * `growthAfterWarmMb` is how much the peak rose after the first 30 s of audio (holding the decoded
 * audio would add ~1.9 MB per minute); `overFirstMb` compares each peak with the shortest run's.
 * Prints one JSON object. Usage: npx tsx bench/audio-memory.ts [minutes...]   (default 2 10 30)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeToPcm } from '../src/audio/decode.js';
import { SpeechDetector } from '../src/audio/vad.js';
import { convert, longSpeech } from '../test/helpers/audio-fixtures.js';
import { childEnv } from '../test/helpers/child-env.js';

const run = promisify(execFile);
const minutes = process.argv.slice(2).map(Number);
if (minutes.length === 0) minutes.push(2, 10, 30);
const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-'));

/** Decode-only throughput: ffmpeg to 16 kHz PCM, drained without keeping it. */
async function decodeSpeed(path: string): Promise<{ audioSeconds: number; xRealtime: number }> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of decodeToPcm(path) as AsyncIterable<Buffer>) bytes += chunk.length;
  const audioSeconds = bytes / 32000;
  return { audioSeconds, xRealtime: Math.round(audioSeconds / ((performance.now() - started) / 1000)) };
}

/** VAD alone, on already-decoded audio (decoded first, so ffmpeg does not compete for the CPU). */
async function vadSpeed(path: string): Promise<{ frames: number; msPerFrame: number; loadMs: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of decodeToPcm(path) as AsyncIterable<Buffer>) parts.push(chunk);
  const pcm = Buffer.concat(parts);
  const loadStarted = performance.now();
  const detector = await SpeechDetector.create();
  const loadMs = performance.now() - loadStarted;
  const started = performance.now();
  let frames = 0;
  for (let i = 0; i < pcm.length; i += 65536) {
    const block = pcm.subarray(i, Math.min(i + 65536, pcm.length));
    frames += (await detector.push(new Int16Array(block.buffer, block.byteOffset, block.length / 2))).length;
  }
  frames += (await detector.flush()).frames.length;
  const ms = performance.now() - started;
  await detector.release();
  return { frames, msPerFrame: Math.round((ms / frames) * 1000) / 1000, loadMs: Math.round(loadMs) };
}

try {
  const two = await longSpeech(2);
  const report = {
    cpus: cpus().length,
    node: process.version,
    decode: {
      wav: await decodeSpeed(two.path),
      mp3: await decodeSpeed(await convert(two.path, 'mp3')),
      m4a: await decodeSpeed(await convert(two.path, 'm4a')),
    },
    vad: await vadSpeed(two.path),
    analysis: [] as unknown[],
  };
  let firstMaxRssMB: number | undefined;
  for (const m of minutes) {
    const { path } = await longSpeech(m);
    const child = join(import.meta.dirname, 'analyse-child.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, path, join(dir, `${m}.pcm`)], {
      env: childEnv(),
    });
    const r = JSON.parse(stdout) as { audioSeconds: number; elapsedMs: number; warmRssMB: number; maxRssMB: number };
    firstMaxRssMB ??= r.maxRssMB;
    report.analysis.push({
      minutes: m,
      ...r,
      xRealtime: Math.round(r.audioSeconds / (r.elapsedMs / 1000)),
      growthAfterWarmMb: Math.round((r.maxRssMB - r.warmRssMB) * 10) / 10,
      overFirstMb: Math.round((r.maxRssMB - firstMaxRssMB) * 10) / 10,
    });
  }
  console.log(JSON.stringify(report, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
