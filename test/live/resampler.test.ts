import { describe, expect, it } from 'vitest';
import { createResampler } from '../../src/live/worker/resampler.js';
import { concat } from '../e2e/live/live-audio.js';

const sine = (hz: number, rate: number, seconds: number, amplitude = 10000): Int16Array =>
  Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );

/** Deterministic pseudo-random generator, so a failing split pattern can be reproduced. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function resampleInBlocks(input: Int16Array, sizes: () => number): Int16Array {
  const r = createResampler(24000);
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; ) {
    const n = sizes();
    parts.push(r.push(input.subarray(i, i + n)));
    i += n;
  }
  return concat(parts);
}

const rms = (x: Int16Array, from = 0, to = x.length): number => {
  let s = 0;
  for (let i = from; i < to; i += 1) s += (x[i] as number) ** 2;
  return Math.sqrt(s / (to - from));
};

describe('24 kHz -> 16 kHz resampler', () => {
  const rand = lcg(7);
  const noise = Int16Array.from({ length: 24000 * 2 }, () => Math.round((rand() - 0.5) * 30000));

  it('gives the same output however the input is split into blocks', () => {
    const whole = resampleInBlocks(noise, () => noise.length);
    const splits = [
      () => 1,
      () => 2,
      () => 3,
      () => 511,
      () => 4800,
      (() => {
        const r = lcg(42);
        return () => Math.floor(r() * 700);
      })(),
    ];
    for (const sizes of splits) expect(resampleInBlocks(noise, sizes)).toEqual(whole);
    // Output lags the input by the filter's lookahead only (48 input samples = 32 output samples).
    expect(whole.length).toBe((noise.length * 2) / 3 - 32);
  });

  it('passes speech-band tones at unity gain and in time: output m is input time 1.5 m', () => {
    for (const hz of [300, 1000, 3000, 6000]) {
      const out = resampleInBlocks(sine(hz, 24000, 1), () => 960);
      const expected = sine(hz, 16000, 1).subarray(0, out.length);
      // Skip the start-up transient (the filter sees zeros before the stream).
      let err = 0;
      for (let m = 200; m < out.length; m += 1)
        err = Math.max(err, Math.abs((out[m] as number) - (expected[m] as number)));
      expect(err, `${hz} Hz`).toBeLessThan(hz <= 3000 ? 40 : 300);
    }
  });

  it('stops what would alias: tones above 8 kHz are attenuated by at least 60 dB', () => {
    for (const hz of [8200, 9000, 10000, 11500]) {
      const out = resampleInBlocks(sine(hz, 24000, 1), () => 960);
      const ratio = rms(out, 200) / rms(sine(hz, 24000, 1));
      expect(20 * Math.log10(ratio), `${hz} Hz`).toBeLessThan(-60);
    }
  });

  it('keeps bounded state: a long stream in small blocks holds no more than the filter needs', () => {
    const r = createResampler(24000);
    const block = new Int16Array(480).fill(1000);
    let produced = 0;
    for (let i = 0; i < 2000; i += 1) produced += r.push(block).length;
    // 2000 blocks of 20 ms: every output came out, none held back beyond the lookahead.
    expect(produced).toBe((2000 * 480 * 2) / 3 - 32);
    expect((r as unknown as { pending: Float64Array }).pending.length).toBeLessThan(200);
  });

  it('passes 16 kHz input through untouched', () => {
    const pcm = sine(440, 16000, 0.1);
    expect(createResampler(16000).push(pcm)).toBe(pcm);
  });
});
