import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeToPcm, type PcmDecodeStream } from '../../src/audio/decode.js';
import { probeMedia } from '../../src/audio/probe.js';
import { AbortedError, BadAudioError } from '../../src/core/errors/index.js';
import {
  concatWithSilence,
  convert,
  type FixtureFormat,
  longSpeech,
  makeCorrupt,
  makeEmpty,
  makeNoAudioStream,
  makeNonAudio,
  makeSilence,
  makeTruncated,
  makeUnsupportedCodec,
  mediaDuration,
  synthSpeech,
} from '../helpers/audio-fixtures.js';

/** For the tests about the ffmpeg process: the fixtures are 16 kHz mono WAVs, which are read directly otherwise. */
const FFMPEG = { readWavDirectly: false } as const;

const FORMATS: FixtureFormat[] = ['wav', 'mp3', 'm4a', 'ogg', 'flac', 'webm', 'mp4'];

async function speech(): Promise<{ path: string; seconds: number }> {
  const a = await synthSpeech('Decoding turns any container into plain samples.');
  const b = await synthSpeech('Sixteen thousand of them every second.');
  const path = await concatWithSilence([a, b], 1);
  return { path, seconds: await mediaDuration(path) };
}

/** Reads the whole stream, keeping only counts (never the audio). */
async function drain(stream: PcmDecodeStream): Promise<{ bytes: number; peak: number }> {
  let bytes = 0;
  let peak = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = 0; i + 1 < chunk.length; i += 2) peak = Math.max(peak, Math.abs(chunk.readInt16LE(i)));
    bytes += chunk.length;
  }
  return { bytes, peak };
}

async function failure(stream: PcmDecodeStream): Promise<Error> {
  const err = await drain(stream).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the stream to fail');
  return err;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('decodeToPcm', () => {
  it.each(FORMATS)('decodes %s to 16 kHz mono s16le', async (ext) => {
    const { path, seconds } = await speech();
    const { bytes, peak } = await drain(decodeToPcm(await convert(path, ext)));
    expect(bytes % 2).toBe(0);
    // Lossy codecs add encoder delay/padding of a few tens of milliseconds.
    expect(bytes / 2 / 16000).toBeCloseTo(seconds, 0);
    expect(Math.abs(bytes / 2 / 16000 - seconds)).toBeLessThan(0.1);
    expect(peak).toBeGreaterThan(1000);
  });

  it('decodes silence to zeros, not an error', async () => {
    const { bytes, peak } = await drain(decodeToPcm(await makeSilence(3)));
    expect(bytes).toBe(3 * 16000 * 2);
    expect(peak).toBe(0);
  });

  it('starts at startSeconds', async () => {
    const { path, seconds } = await speech();
    const { bytes } = await drain(decodeToPcm(path, { startSeconds: 1 }));
    expect(Math.abs(bytes / 32000 - (seconds - 1))).toBeLessThan(0.05);
  });

  const badInputs: [string, () => Promise<string>, RegExp][] = [
    [
      'a missing file',
      async () => '/nonexistent/earshot/call.m4a',
      /^file not found: \/nonexistent\/earshot\/call\.m4a$/,
    ],
    ['an empty file', makeEmpty, /^file is empty: empty\.wav$/],
    ['a text file', makeNonAudio, /^cannot read audio from not-audio\.mp3: Failed to read frame size/],
    ['a file without an audio stream', makeNoAudioStream, /^no audio stream in video-only\.mp4$/],
    ['an unknown codec', makeUnsupportedCodec, /^unsupported audio codec in unknown-codec\.wav$/],
    ['a corrupt m4a', makeCorrupt, /^cannot read audio from corrupt\.m4a: moov atom not found/],
  ];
  it.each(badInputs)('fails on %s with a one-line BadAudioError', async (_, make, message) => {
    const err = await failure(decodeToPcm(await make()));
    expect(err).toBeInstanceOf(BadAudioError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/\n|0x[0-9a-f]{6,}/);
  });

  it('detects a truncated file from the duration its header claims', async () => {
    const path = await makeTruncated();
    const info = await probeMedia(path);
    const err = await failure(decodeToPcm(path, { expectedSeconds: info.durationSeconds }));
    expect(err).toBeInstanceOf(BadAudioError);
    expect(err.message).toMatch(
      /^truncated\.mp3 looks truncated or corrupt: decoded \d+\.\d s of the \d+\.\d s it claims$/,
    );
  });

  it('kills ffmpeg when the consumer destroys the stream', async () => {
    const { path } = await longSpeech(1);
    const stream = decodeToPcm(path, FFMPEG);
    await once(stream, 'readable');
    const pid = stream.pid;
    expect(pid).toBeTypeOf('number');
    stream.destroy();
    await once(stream, 'close');
    expect(alive(pid as number)).toBe(false);
  });

  it('kills ffmpeg and fails with AbortedError when the signal fires', async () => {
    const { path } = await longSpeech(1);
    const ac = new AbortController();
    const stream = decodeToPcm(path, { ...FFMPEG, signal: ac.signal });
    await once(stream, 'readable');
    const pid = stream.pid as number;
    // events.once would reject on the 'error' that precedes 'close'.
    const closed = new Promise((resolve) => stream.once('close', resolve));
    const err = failure(stream);
    ac.abort();
    expect(await err).toBeInstanceOf(AbortedError);
    await closed;
    expect(alive(pid)).toBe(false);
  });

  it('never starts ffmpeg for an already-aborted signal', async () => {
    const { path } = await speech();
    const stream = decodeToPcm(path, { signal: AbortSignal.abort() });
    expect(await failure(stream)).toBeInstanceOf(AbortedError);
    expect(stream.pid).toBeUndefined();
  });

  it('stops reading ffmpeg while the consumer is not reading (backpressure)', async () => {
    const { path } = await longSpeech(1);
    const stream = decodeToPcm(path, FFMPEG);
    await once(stream, 'readable');
    const pid = stream.pid as number;
    // Nobody reads this stream. Real time for a whole decode passes: the same file decoded in full
    // alongside it. A decoder whose output were read regardless would have finished by then too.
    const reference = await drain(decodeToPcm(path));
    // Blocked on its full pipe, ffmpeg is still alive, and only about one high-water mark (plus
    // what the pipe's own socket buffers) waits in memory: a fraction of the recording.
    expect(alive(pid)).toBe(true);
    expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + 65536);
    expect(reference.bytes).toBeGreaterThan(10 * (stream.readableHighWaterMark + 65536));
    const closed = once(stream, 'close');
    stream.destroy();
    await closed;
    expect(alive(pid)).toBe(false);
  });
});

describe('decodeToPcm on a WAV that already holds 16 kHz mono PCM', () => {
  async function bytesOf(stream: PcmDecodeStream): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
    return Buffer.concat(parts);
  }

  it('reads the samples without ffmpeg, byte for byte what ffmpeg decodes', async () => {
    const { path } = await speech();
    const direct = decodeToPcm(path);
    const read = await bytesOf(direct);
    expect(direct.direct).toBe(true);
    expect(direct.pid).toBeUndefined();
    const viaFfmpeg = decodeToPcm(path, FFMPEG);
    expect(read.equals(await bytesOf(viaFfmpeg))).toBe(true);
    expect(viaFfmpeg.direct).toBe(false);
  });

  it('starts at startSeconds on the same sample ffmpeg does', async () => {
    const { path } = await speech();
    const read = await bytesOf(decodeToPcm(path, { startSeconds: 1.25 }));
    const viaFfmpeg = await bytesOf(decodeToPcm(path, { ...FFMPEG, startSeconds: 1.25 }));
    expect(read.length).toBe(viaFfmpeg.length);
    expect(read.equals(viaFfmpeg)).toBe(true);
  });

  it('leaves other rates and stereo to ffmpeg', async () => {
    const { path } = await speech();
    const stereo = await convert(path, 'wav'); // 44.1 kHz stereo
    const stream = decodeToPcm(stereo);
    const { bytes } = await drain(stream);
    expect(stream.direct).toBe(false);
    expect(Math.abs(bytes / 32000 - (await mediaDuration(path)))).toBeLessThan(0.05);
  });

  it('fails with AbortedError when the signal fires, and holds only a high-water mark unread', async () => {
    const { path } = await longSpeech(1);
    const ac = new AbortController();
    const stream = decodeToPcm(path, { signal: ac.signal });
    await once(stream, 'readable');
    expect(stream.direct).toBe(true);
    // Nobody reads: the file stream is paused at one high-water mark, not read to the end.
    await drain(decodeToPcm(path));
    expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + 65536);
    const err = failure(stream);
    ac.abort();
    expect(await err).toBeInstanceOf(AbortedError);
  });
});
