import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/audio/probe.js';
import { probePcmWav } from '../../src/audio/wav-probe.js';
import { convert, mediaDuration, synthSpeech } from '../helpers/audio-fixtures.js';

const run = promisify(execFile);
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-wav-probe-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** ffprobe's codec name of the first audio stream. */
async function ffprobeCodec(path: string): Promise<string> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    path,
  ]);
  return stdout.trim();
}

describe('probePcmWav (WAV header read in-process)', () => {
  it('says what ffprobe says of real and synthetic PCM WAVs, other layouts included', async () => {
    const flite = await synthSpeech('Reading the header is enough for a plain wave file.');
    const variants: string[] = [`${LIBRIVOX}-0870.wav`, `${LIBRIVOX}-0890.wav`, flite];
    // Stereo 44.1 kHz, 8-bit, and a LIST chunk (metadata) before the data chunk.
    for (const [name, args] of [
      ['stereo.wav', ['-ac', '2', '-ar', '44100']],
      ['u8.wav', ['-c:a', 'pcm_u8']],
      ['list.wav', ['-metadata', 'title=a title', '-c:a', 'pcm_s16le']],
    ] as const) {
      const out = join(dir, name);
      await run('ffmpeg', ['-v', 'error', '-y', '-i', flite, ...args, out]);
      variants.push(out);
    }
    for (const path of variants) {
      const info = await probePcmWav(path);
      expect(info, path).not.toBeNull();
      expect(info?.durationSeconds).toBeCloseTo(await mediaDuration(path), 3);
      expect(info?.codec).toBe(await ffprobeCodec(path));
      expect(info?.hasAudio).toBe(true);
    }
  });

  it('leaves everything else to ffprobe: other formats, truncated or streamed WAVs', async () => {
    const flite = await synthSpeech('Anything unusual goes to ffprobe.');
    expect(await probePcmWav(await convert(flite, 'flac'))).toBeNull();
    expect(await probePcmWav(await convert(flite, 'mp3'))).toBeNull();

    const bytes = await readFile(flite);
    const truncated = join(dir, 'truncated.wav');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
    expect(await probePcmWav(truncated)).toBeNull();
    // probeMedia still answers for it, through ffprobe.
    expect((await probeMedia(truncated)).formatName).toBe('wav');

    const streamed = Buffer.from(bytes);
    streamed.writeUInt32LE(0xffff_ffff, 40);
    const streamedPath = join(dir, 'streamed.wav');
    await writeFile(streamedPath, streamed);
    expect(await probePcmWav(streamedPath)).toBeNull();
  });
});
