import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BYTES_PER_SAMPLE } from '../../audio/decode.js';

/**
 * Cuts a PCM16 byte stream into frames of `frameBytes` (the last one shorter, never an odd byte).
 * When `signal` fires the stream is destroyed and the frames end there, as at end of input.
 */
export async function* pcmFrames(stream: Readable, frameBytes: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const stop = () => stream.destroy();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
      while (pending.length >= frameBytes) {
        yield pending.subarray(0, frameBytes);
        pending = pending.subarray(frameBytes);
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  const tail = pending.subarray(0, pending.length - (pending.length % BYTES_PER_SAMPLE));
  if (tail.length > 0) yield tail;
}

/**
 * Releases frames at the recording's own pace: a frame goes when the wall clock, counted from the
 * first frame, reaches the frame's start. Every deadline is computed from that start (not from the
 * last wait), so timer lateness never adds up over a long recording; a source that is live already
 * (a microphone on stdin) is never ahead of its deadlines and passes without delay.
 */
export async function* realTime(
  frames: AsyncIterable<Buffer>,
  rate: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  let start: number | null = null;
  let samples = 0;
  for await (const frame of frames) {
    start ??= performance.now();
    const due = start + (samples / rate) * 1000;
    samples += frame.length / BYTES_PER_SAMPLE;
    const wait = due - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return; // aborted: the caller finishes the session with what was sent
      }
    }
    yield frame;
  }
}
