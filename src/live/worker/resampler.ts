import { SAMPLE_RATE } from '../../core/task.js';
import type { LiveInputRate } from '../live-settings.js';

/** Turns a live session's input PCM16 into the 16 kHz the VAD and recognizers take, block by block. */
export interface PcmResampler {
  /** Resamples the next block (any length); returns the output samples now complete. */
  push(pcm: Int16Array): Int16Array;
}

/** 16 kHz input needs nothing done. */
class Passthrough implements PcmResampler {
  push(pcm: Int16Array): Int16Array {
    return pcm;
  }
}

/*
 * 24 kHz -> 16 kHz is up by 2, low-pass, down by 3. The low-pass runs at the 48 kHz middle rate and
 * must stop everything above the new Nyquist (8 kHz) that would fold back into the speech band. A
 * Kaiser-windowed sinc of 193 taps, cut off at 7.4 kHz with beta 6.76, passes up to ~6.9 kHz (where
 * the recognisers' filter banks end) and attenuates >= 70 dB from ~7.95 kHz. Odd length: the delay is
 * a whole number of middle-rate samples (96), which the resampler removes, so output sample m lies
 * exactly at input time 1.5 m and session times need no correction.
 */
const TAPS = 193;
const DELAY = (TAPS - 1) / 2;
const MIDDLE_RATE = 48000;
const CUTOFF_HZ = 7400;
const KAISER_BETA = 6.76;

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for beta < 10). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k += 1) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

function designLowPass(): Float64Array {
  const h = new Float64Array(TAPS);
  const fc = CUTOFF_HZ / MIDDLE_RATE;
  const norm = besselI0(KAISER_BETA);
  let sum = 0;
  for (let k = 0; k < TAPS; k += 1) {
    const t = k - DELAY;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = t / DELAY;
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
    h[k] = sinc * window;
    sum += h[k] as number;
  }
  // Unity gain at DC after zero-stuffing by 2 (which halves the level): each output sample sums
  // about half the taps, so the taps are scaled to sum to 2.
  for (let k = 0; k < TAPS; k += 1) h[k] = ((h[k] as number) * 2) / sum;
  return h;
}

/**
 * The two polyphase branches, taps ordered to run forward over the input. Output m sits at middle
 * index c = 3m; zero-stuffed input sample j sits at 2j and meets tap c + DELAY - 2j, so an even c
 * uses the even taps over inputs (c - DELAY) / 2 .. (c + DELAY) / 2, an odd c the odd taps over
 * (c - DELAY + 1) / 2 .. (c + DELAY - 1) / 2.
 */
const PHASES: readonly [Float64Array, Float64Array] = (() => {
  const h = designLowPass();
  const even = Float64Array.from({ length: DELAY + 1 }, (_, t) => h[2 * DELAY - 2 * t] as number);
  const odd = Float64Array.from({ length: DELAY }, (_, t) => h[2 * DELAY - 1 - 2 * t] as number);
  return [even, odd];
})();

/**
 * Streaming 3:2 polyphase resampler. State is at most ~TAPS/2 input samples between blocks (what
 * the next outputs still need), so memory does not grow with the session, and every output depends
 * only on the input samples, never on how they were split into blocks.
 */
class Resampler24to16 implements PcmResampler {
  /** Input samples still needed; `pending[0]` is input sample number `base`. */
  private pending = new Float64Array(0);
  private base = 0;
  /** Input samples received in total. */
  private received = 0;
  /** Output samples produced in total. */
  private produced = 0;

  push(pcm: Int16Array): Int16Array {
    const joined = new Float64Array(this.pending.length + pcm.length);
    joined.set(this.pending);
    joined.set(pcm, this.pending.length);
    this.received += pcm.length;

    // Output m needs input samples up to floor((3m + DELAY) / 2).
    const base = this.base;
    let m = this.produced;
    const end = Math.floor((2 * this.received - 1 - DELAY) / 3) + 1;
    const out = new Int16Array(Math.max(0, end - m));
    for (let o = 0; o < out.length; o += 1, m += 1) {
      const c = 3 * m;
      const taps = PHASES[c & 1] as Float64Array;
      const first = (c - DELAY + (c & 1)) / 2;
      let acc = 0;
      // Samples before the stream started are zeros: skip their taps.
      for (let t = first < 0 ? -first : 0; t < taps.length; t += 1) {
        acc += (taps[t] as number) * (joined[first + t - base] as number);
      }
      out[o] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
    }
    this.produced = m;

    // Keep only what the next output needs (samples before the stream started are zeros, never stored).
    const keepFrom = Math.max(base, Math.ceil((3 * this.produced - DELAY) / 2));
    this.pending = joined.slice(keepFrom - base);
    this.base = keepFrom;
    return out;
  }
}

/** A resampler from `inputRate` to 16 kHz; 16 kHz input passes through untouched. */
export function createResampler(inputRate: LiveInputRate): PcmResampler {
  if (inputRate === SAMPLE_RATE) return new Passthrough();
  return new Resampler24to16();
}

/** PCM16 LE bytes as samples; copies when the bytes are not 2-aligned (IPC may hand any offset). */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  // Copied into a fresh buffer: `slice()` of a Buffer (what IPC delivers) is a view, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Int16Array(copy.buffer);
}
