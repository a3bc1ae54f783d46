import { beforeAll, describe, expect, it } from 'vitest';
import { decodeToPcm } from '../../src/audio/decode.js';
import { SpeechDetector, type SpeechRegion, type VadFrame } from '../../src/audio/vad.js';
import { concatWithSilence, makeSilence, mediaDuration, synthSpeech } from '../helpers/audio-fixtures.js';

const SR = 16000;
const PAUSE = 1.2;
const SENTENCES = [
  'The weather was cold and windy all week.',
  'We stayed inside and read books by the fire.',
  'On Sunday the sun finally came out again.',
];

/** Decodes a whole (short) fixture into memory: fine for a few seconds of test audio. */
async function pcmOf(path: string): Promise<Int16Array> {
  const parts: Buffer[] = [];
  for await (const chunk of decodeToPcm(path) as AsyncIterable<Buffer>) parts.push(chunk);
  const all = Buffer.concat(parts);
  return new Int16Array(all.buffer, all.byteOffset, all.length / 2);
}

async function detect(pcm: Int16Array, blockSizes: number[]): Promise<{ frames: VadFrame[]; regions: SpeechRegion[] }> {
  const detector = await SpeechDetector.create();
  try {
    const frames: VadFrame[] = [];
    for (let i = 0, b = 0; i < pcm.length; b += 1) {
      const size = blockSizes[b % blockSizes.length] as number;
      frames.push(...(await detector.push(pcm.subarray(i, i + size))));
      i += size;
    }
    const tail = await detector.flush();
    frames.push(...tail.frames);
    const regions = frames.flatMap((f) => (f.ended ? [f.ended] : []));
    if (tail.lastRegion) regions.push(tail.lastRegion);
    expect(tail.totalSamples).toBe(pcm.length);
    return { frames, regions };
  } finally {
    await detector.release();
  }
}

describe('SpeechDetector (Silero)', () => {
  let pcm: Int16Array;
  let spans: [number, number][];

  beforeAll(async () => {
    const wavs = await Promise.all(SENTENCES.map((s) => synthSpeech(s)));
    pcm = await pcmOf(await concatWithSilence(wavs, PAUSE));
    spans = [];
    let t = 0;
    for (const w of wavs) {
      const d = await mediaDuration(w);
      spans.push([t, t + d]);
      t += d + PAUSE;
    }
  });

  // Speed per frame is measured by bench/audio-memory.ts, not here.
  it('finds the sentences, and nothing in the pauses between them', async () => {
    const { regions } = await detect(pcm, [4096]);
    expect(regions.length).toBeGreaterThanOrEqual(SENTENCES.length);
    for (const r of regions) {
      const start = r.startSample / SR;
      const end = r.endSample / SR;
      // flite puts a little silence around each sentence, so regions sit inside the spans.
      const home = spans.find(([a, b]) => start >= a - 0.25 && end <= b + 0.25);
      expect(home, `region ${start.toFixed(2)}-${end.toFixed(2)} s crosses a pause`).toBeDefined();
    }
    for (const [a, b] of spans) {
      const inside = regions
        .map((r) => Math.min(r.endSample / SR, b) - Math.max(r.startSample / SR, a))
        .filter((d) => d > 0)
        .reduce((x, y) => x + y, 0);
      expect(inside / (b - a)).toBeGreaterThan(0.7);
    }
  });

  it('gives the same frames whatever the block sizes fed to it', async () => {
    const a = await detect(pcm, [4096]);
    const b = await detect(pcm, [333, 1, 7919, 512, 100]);
    expect(b.frames).toEqual(a.frames);
    expect(b.regions).toEqual(a.regions);
  });

  it('finds no speech in silence', async () => {
    const silence = await pcmOf(await makeSilence(5));
    const { frames, regions } = await detect(silence, [8000]);
    expect(regions).toEqual([]);
    expect(frames.every((f) => f.openStart === null)).toBe(true);
  });

  it('refuses to run after release', async () => {
    const detector = await SpeechDetector.create();
    await detector.release();
    await expect(detector.push(new Int16Array(512))).rejects.toThrow(/after release/);
  });
});
