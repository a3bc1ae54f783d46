/**
 * Runs one analysis in a fresh process and prints its peak memory as JSON, so bench/audio-memory.ts
 * can compare recordings of different lengths without sharing a heap.
 * Usage: node --import tsx bench/analyse-child.ts <media> <spool>
 */
import { analyseAudio } from '../src/audio/plan-audio.js';

const [media, spoolPath] = process.argv.slice(2);
if (!media || !spoolPath) throw new Error('usage: analyse-child.ts <media> <spool>');

const maxRssMB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
// Peak memory once the pipeline is warm (model loaded, buffers and heap at working size): growth
// after this point is what would scale with the recording's length.
let warmRssMB: number | null = null;
const started = performance.now();
const { audio, chunks, totalSamples } = await analyseAudio(media, {
  spoolPath,
  onProgress: (seconds) => {
    if (seconds >= 30) warmRssMB ??= maxRssMB();
  },
});
const elapsedMs = performance.now() - started;
await audio.close();
process.stdout.write(
  `${JSON.stringify({
    audioSeconds: totalSamples / 16000,
    chunks: chunks.length,
    elapsedMs: Math.round(elapsedMs),
    warmRssMB,
    maxRssMB: maxRssMB(),
  })}\n`,
);
