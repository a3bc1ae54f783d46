import { describe, expect, it } from 'vitest';
import { type SpeechRegion, SpeechSegmenter, VAD_FRAME_SAMPLES } from '../../src/audio/speech-segmenter.js';

const FRAME_MS = (VAD_FRAME_SAMPLES / 16000) * 1000;

/** Probabilities for a script of [probability, milliseconds] runs. */
function probs(script: [number, number][]): number[] {
  return script.flatMap(([p, ms]) => Array.from({ length: Math.round(ms / FRAME_MS) }, () => p));
}

function regions(ps: number[], seg = new SpeechSegmenter()): SpeechRegion[] {
  const out: SpeechRegion[] = [];
  for (const p of ps) {
    const { ended } = seg.next(p);
    if (ended) out.push(ended);
  }
  const last = seg.finish(ps.length * VAD_FRAME_SAMPLES);
  if (last) out.push(last);
  return out;
}

const f = (frames: number): number => frames * VAD_FRAME_SAMPLES;
const PAD = 1600; // 100 ms

describe('SpeechSegmenter', () => {
  it('finds nothing in silence', () => {
    const seg = new SpeechSegmenter();
    for (const p of probs([[0.02, 5000]])) expect(seg.next(p).openStart).toBeNull();
    expect(seg.finish(f(156))).toBeNull();
  });

  it('pads a region by 100 ms on each side', () => {
    // 20 silent frames, 40 speech frames, 40 silent frames.
    const rs = regions([...Array(20).fill(0.01), ...Array(40).fill(0.9), ...Array(40).fill(0.01)]);
    expect(rs).toEqual([{ startSample: f(20) - PAD, endSample: f(60) + PAD }]);
  });

  it('reports the open region as soon as speech starts, and only then', () => {
    const seg = new SpeechSegmenter();
    expect(seg.next(0.1).openStart).toBeNull();
    expect(seg.next(0.8).openStart).toBe(0);
    expect(seg.next(0.8).openStart).toBe(0);
  });

  it('drops bursts shorter than minSpeechMs', () => {
    expect(
      regions(
        probs([
          [0, 1000],
          [0.9, 200],
          [0, 1000],
        ]),
      ),
    ).toEqual([]);
    expect(
      regions(
        probs([
          [0, 1000],
          [0.9, 300],
          [0, 1000],
        ]),
      ),
    ).toHaveLength(1);
  });

  it('keeps a region through pauses shorter than minSilenceMs and dips above negThreshold', () => {
    const ps = probs([
      [0, 500],
      [0.9, 1000],
      [0.1, 200],
      [0.9, 1000],
      [0.4, 2000],
      [0.9, 500],
      [0, 1000],
    ]);
    expect(regions(ps)).toHaveLength(1);
  });

  it('splits at pauses of minSilenceMs, without overlapping padding', () => {
    const rs = regions(
      probs([
        [0, 500],
        [0.9, 1000],
        [0.1, 350],
        [0.9, 1000],
        [0, 1000],
      ]),
    );
    expect(rs).toHaveLength(2);
    const [a, b] = rs as [SpeechRegion, SpeechRegion];
    expect(a.endSample).toBeLessThanOrEqual(b.startSample);
  });

  it('closes a region still open at the end of the stream at the last sample', () => {
    const seg = new SpeechSegmenter();
    for (const p of probs([
      [0, 500],
      [0.9, 1000],
    ]))
      seg.next(p);
    expect(seg.finish(23_000)).toEqual({ startSample: f(16) - PAD, endSample: 23_000 });
  });

  it('honours custom thresholds', () => {
    const ps = probs([
      [0, 500],
      [0.45, 1000],
      [0, 1000],
    ]);
    expect(regions(ps)).toEqual([]);
    expect(regions(ps, new SpeechSegmenter({ threshold: 0.4, negThreshold: 0.2 }))).toHaveLength(1);
  });
});
