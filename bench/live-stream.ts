/**
 * Issue 10: streaming PocketSphinx (live sessions) against the file engine on the five LibriVox
 * clips: word error rate of both, time from the last sample to the final result (finish), and time
 * per 100 ms feed that asks for a partial. Each clip is streamed `rounds` times to get latency
 * samples; WER uses the first round (decoding is deterministic).
 * Usage: npx tsx bench/live-stream.ts [rounds=5]
 */
import { combineWer, type WerResult, wordErrorRate } from '../src/core/wer.js';
import { PocketSphinxEngine } from '../src/engines/pocketsphinx/pocketsphinx.engine.js';
import { PocketSphinxStream } from '../src/engines/pocketsphinx/pocketsphinx.stream.js';
import { ensureNativeServer, loadLibrivox } from '../test/engines/librivox.js';
import { log } from './lib.js';

const rounds = Number(process.argv[2] ?? 5);
const PIECE = 1600; // 100 ms at 16 kHz

ensureNativeServer();
const clips = loadLibrivox();
const file = new PocketSphinxEngine();
const stream = new PocketSphinxStream();
await Promise.all([file.load(), stream.load()]);

const fileWer: WerResult[] = [];
const liveWer: WerResult[] = [];
const finishMs: number[] = [];
const feedMs: number[] = [];
const perClip: Record<string, { file: string; live: string }> = {};
for (let round = 0; round < rounds; round++) {
  for (const clip of clips) {
    await stream.begin();
    for (let at = 0; at < clip.pcm.length; at += PIECE) {
      const t = performance.now();
      await stream.feed(clip.pcm.subarray(at, at + PIECE), { partial: true });
      feedMs.push(performance.now() - t);
    }
    const t = performance.now();
    const result = await stream.finish();
    finishMs.push(performance.now() - t);
    if (round > 0) continue;
    const segments = await file.recognize(clip.pcm, { language: 'en' });
    const fileText = segments.map((s) => s.text).join(' ');
    fileWer.push(wordErrorRate(clip.reference, fileText));
    liveWer.push(wordErrorRate(clip.reference, result.text));
    perClip[clip.id] = { file: fileText, live: result.text };
    log(`${clip.id}\n  ref:  ${clip.reference}\n  file: ${fileText}\n  live: ${result.text}`);
  }
}
await Promise.all([file.release(), stream.release()]);

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: +pct(s, 0.5).toFixed(1), p95: +pct(s, 0.95).toFixed(1), max: +(s.at(-1) ?? 0).toFixed(1) };
};
console.log(
  JSON.stringify(
    {
      werFile: +(combineWer(fileWer).wer * 100).toFixed(1),
      werLive: +(combineWer(liveWer).wer * 100).toFixed(1),
      finishMs: summary(finishMs),
      feedWithPartialMs: summary(feedMs),
      perClip,
    },
    null,
    2,
  ),
);
