import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type Clip, LIBRIVOX_DIR, loadLibrivox } from '../../engines/librivox.js';

/** Real speech for live tests: the LibriVox clips, at 16 kHz as shipped and resampled by ffmpeg to 24 kHz. */
export interface LiveClip extends Clip {
  pcm24: Int16Array;
}

let cache: LiveClip[] | null = null;

export function liveClips(): LiveClip[] {
  cache ??= loadLibrivox().map((clip) => ({
    ...clip,
    pcm24: resampleFile(join(LIBRIVOX_DIR, `${clip.id}.wav`), 24000),
  }));
  return cache;
}

/** Decodes a file to PCM16 mono at `rate` with ffmpeg (its high-quality resampler, not ours). */
export function resampleFile(file: string, rate: number): Int16Array {
  const out = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

export function silence(seconds: number, rate: number): Int16Array {
  return new Int16Array(Math.round(seconds * rate));
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
