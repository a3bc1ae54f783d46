import { describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/audio/probe.js';
import { AbortedError, BadAudioError } from '../../src/core/errors/index.js';
import {
  concatWithSilence,
  convert,
  type FixtureFormat,
  makeCorrupt,
  makeEmpty,
  makeNoAudioStream,
  makeNonAudio,
  makeStreamedWebm,
  makeUnsupportedCodec,
  mediaDuration,
  synthSpeech,
} from '../helpers/audio-fixtures.js';

const FORMATS: { ext: FixtureFormat; codec: string }[] = [
  { ext: 'wav', codec: 'pcm_s16le' },
  { ext: 'mp3', codec: 'mp3' },
  { ext: 'm4a', codec: 'aac' },
  { ext: 'ogg', codec: 'opus' },
  { ext: 'flac', codec: 'flac' },
  { ext: 'webm', codec: 'opus' },
  { ext: 'mp4', codec: 'aac' },
];

async function speech(): Promise<{ path: string; seconds: number }> {
  const a = await synthSpeech('Probing reads the container without decoding it.');
  const b = await synthSpeech('It should be quick.');
  const path = await concatWithSilence([a, b], 1);
  return { path, seconds: await mediaDuration(path) };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected a rejection');
  return err;
}

describe('probeMedia', () => {
  it.each(FORMATS)('reads duration and codec of $ext', async ({ ext, codec }) => {
    const { path, seconds } = await speech();
    const info = await probeMedia(await convert(path, ext));
    expect(info.hasAudio).toBe(true);
    expect(info.codec).toBe(codec);
    expect(info.formatName.length).toBeGreaterThan(0);
    // Containers round durations differently, and the mp4's video track can outlast the audio.
    expect(info.durationSeconds).toBeGreaterThan(seconds - 0.2);
    expect(info.durationSeconds).toBeLessThan(seconds + 1);
  });

  it('reports a missing file clearly', async () => {
    const err = await rejection(probeMedia('/nonexistent/earshot/meeting.mp3'));
    expect(err).toBeInstanceOf(BadAudioError);
    expect(err.message).toBe('file not found: /nonexistent/earshot/meeting.mp3');
  });

  const badInputs: [string, () => Promise<string>, RegExp][] = [
    ['an empty file', makeEmpty, /^file is empty: empty\.wav$/],
    ['a text file', makeNonAudio, /^cannot read audio from not-audio\.mp3: .+/],
    ['a file without an audio stream', makeNoAudioStream, /^no audio stream in video-only\.mp4$/],
    ['an unknown codec', makeUnsupportedCodec, /^unsupported audio codec in unknown-codec\.wav/],
    ['a corrupt m4a', makeCorrupt, /^cannot read audio from corrupt\.m4a: moov atom not found/],
  ];
  it.each(badInputs)('rejects %s with a one-line BadAudioError', async (_, make, message) => {
    const err = await rejection(probeMedia(await make()));
    expect(err).toBeInstanceOf(BadAudioError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/\n|0x[0-9a-f]{6,}/);
  });

  it('can report a missing audio stream instead of failing', async () => {
    const info = await probeMedia(await makeNoAudioStream(), { requireAudio: false });
    expect(info).toMatchObject({ hasAudio: false, codec: null });
  });

  it('accepts a bare AbortSignal and honours it', async () => {
    const { path } = await speech();
    const err = await rejection(probeMedia(path, AbortSignal.abort()));
    expect(err).toBeInstanceOf(AbortedError);
  });

  it('returns a null duration when the container does not state it', async () => {
    const { path } = await speech();
    const info = await probeMedia(await makeStreamedWebm(path));
    expect(info).toMatchObject({ durationSeconds: null, hasAudio: true, codec: 'opus' });
  });
});
