/**
 * Generated audio fixtures for tests: real speech from flite, every container/codec the service
 * accepts (via ffmpeg), and each class of bad input. Files are built once and cached by content
 * hash under os.tmpdir()/earshot-fixtures; builds write a temporary file and rename it, so parallel
 * test processes can share the cache safely.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FIXTURE_DIR = join(tmpdir(), 'earshot-fixtures');

/** Voices that ship with Debian's flite. "slt" (US English female) is the clearest. */
export type FliteVoice = 'slt' | 'awb' | 'rms' | 'kal' | 'kal16';

/** Containers `convert` can produce; all carry the same audio, so tests can compare them. */
export type FixtureFormat = 'wav' | 'mp3' | 'm4a' | 'ogg' | 'flac' | 'webm' | 'mp4';

/** Plain English paragraphs written for these tests (no copyright concerns), used by `longSpeech`. */
export const PARAGRAPHS: readonly string[] = [
  'The old lighthouse stood at the edge of the harbour for more than a century. Every evening the keeper climbed the narrow stairs, trimmed the wick, and polished the great glass lens until it shone. Ships that passed in the night trusted his light to guide them safely past the rocks.',
  'On Saturday morning the market square fills with farmers and their stalls. There are baskets of apples and pears, fresh bread still warm from the oven, and jars of honey that glow like amber in the sun. People walk slowly between the tables, tasting cheese and talking about the weather.',
  'Learning to ride a bicycle takes patience more than strength. At first the wheels wobble and the ground seems very close. Then one day the balance simply arrives, and the rider is surprised to find the road rolling away beneath them while the wind rushes past their ears.',
  'The library on the hill was built with money collected from the whole town. Its windows are tall and bright, and the reading room is quiet except for the turning of pages. Students come in the afternoon to study, and older readers come in the morning to read the newspapers.',
  'A good cup of tea depends on fresh water, a warm pot, and a little patience. Pour the water just as it comes to the boil, wait three or four minutes, and then add milk if you like. Some people prefer lemon instead, and a few prefer nothing at all.',
  'The river begins as a small spring high in the mountains. It gathers water from melting snow and from many little streams, grows wider as it travels through forests and fields, and finally reaches the sea after a journey of several hundred miles.',
  'Our neighbour keeps bees in three white boxes at the bottom of her garden. In summer she wears a hat with a veil and moves very calmly among them. She says the bees know when someone is nervous, so the secret is to breathe slowly and never to hurry.',
  'The train left the station exactly on time and followed the coast toward the north. Through the window we could see fishing boats, sandy beaches, and small villages with red roofs. By evening the sky turned orange, and the lights of the city appeared in the distance.',
];

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const building = new Map<string, Promise<string>>();

/** Returns `name` in the cache, building it with `build(tmpPath)` first if it is not there yet. */
async function cached(name: string, build: (out: string) => Promise<void>): Promise<string> {
  const path = join(FIXTURE_DIR, name);
  const pending = building.get(path);
  if (pending !== undefined) return pending;
  const job = (async () => {
    if (await exists(path)) return path;
    await mkdir(FIXTURE_DIR, { recursive: true });
    // Keep the extension last: ffmpeg picks the output container from it.
    const tmp = join(FIXTURE_DIR, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${name}`);
    try {
      await build(tmp);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    return path;
  })();
  building.set(path, job);
  job.catch(() => building.delete(path));
  return job;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 1 << 20 });
}

/** Duration of a media file in seconds, from ffprobe. */
export async function mediaDuration(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}

/** Speaks `text` with flite into a 16 kHz mono WAV. */
export function synthSpeech(text: string, opts: { voice?: FliteVoice } = {}): Promise<string> {
  const voice = opts.voice ?? 'slt';
  return cached(`speech-${voice}-${hash(voice, text)}.wav`, async (out) => {
    await run('flite', ['-voice', voice, '-t', text, '-o', out]);
  });
}

/** Joins recordings with `silenceSeconds` of digital silence between them, into a 16 kHz mono WAV. */
export function concatWithSilence(wavs: readonly string[], silenceSeconds: number): Promise<string> {
  if (wavs.length === 0) throw new Error('concatWithSilence needs at least one input');
  return cached(`concat-${hash(...wavs, String(silenceSeconds))}.wav`, async (out) => {
    const filters: string[] = [];
    const labels: string[] = [];
    wavs.forEach((_, i) => {
      filters.push(`[${i}:a]aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono[a${i}]`);
      labels.push(`[a${i}]`);
      if (i < wavs.length - 1 && silenceSeconds > 0) {
        filters.push(`aevalsrc=0:c=mono:s=16000:d=${silenceSeconds},aformat=sample_fmts=s16[s${i}]`);
        labels.push(`[s${i}]`);
      }
    });
    filters.push(`${labels.join('')}concat=n=${labels.length}:v=0:a=1[out]`);
    const inputs = wavs.flatMap((w) => ['-i', w]);
    await ffmpeg([...inputs, '-filter_complex', filters.join(';'), '-map', '[out]', '-c:a', 'pcm_s16le', out]);
  });
}

const ENCODE: Record<FixtureFormat, string[]> = {
  // 44.1 kHz stereo, so decoding has to resample and downmix.
  wav: ['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le'],
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k'],
  m4a: ['-c:a', 'aac', '-b:a', '64k'],
  ogg: ['-c:a', 'libopus', '-b:a', '32k'],
  flac: ['-c:a', 'flac'],
  webm: ['-c:a', 'libopus', '-b:a', '32k'],
  mp4: [],
};

/** Re-encodes a recording; "mp4" gets a tiny black video track too (a screen recording, say). */
export function convert(wav: string, ext: FixtureFormat): Promise<string> {
  const name = `${basename(wav, extname(wav))}-${hash(wav)}.${ext}`;
  return cached(name, async (out) => {
    if (ext === 'mp4') {
      const video = ['-f', 'lavfi', '-i', 'color=c=black:s=64x64:r=5'];
      const codecs = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'];
      await ffmpeg(['-i', wav, ...video, '-map', '1:v', '-map', '0:a', ...codecs, out]);
    } else {
      await ffmpeg(['-i', wav, ...ENCODE[ext], out]);
    }
  });
}

/**
 * A WebM written as a stream, the way a browser's MediaRecorder produces it: ffmpeg cannot seek back
 * to fill in the header, so the file does not state its duration.
 */
export function makeStreamedWebm(wav: string): Promise<string> {
  return cached(`streamed-${hash(wav)}.webm`, async (out) => {
    const args = ['-nostdin', '-v', 'error', '-i', wav, '-c:a', 'libopus', '-f', 'webm', 'pipe:1'];
    const { stdout } = await run('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 << 20 });
    await writeFile(out, stdout);
  });
}

/** Digital silence, 16 kHz mono WAV. */
export function makeSilence(seconds: number): Promise<string> {
  return cached(`silence-${seconds}.wav`, async (out) => {
    await ffmpeg(['-f', 'lavfi', '-i', `anullsrc=r=16000:cl=mono`, '-t', String(seconds), '-c:a', 'pcm_s16le', out]);
  });
}

/** A text file with an .mp3 name: what a user uploads by mistake. */
export function makeNonAudio(): Promise<string> {
  return cached('not-audio.mp3', async (out) => {
    await writeFile(out, 'These are meeting notes, not a recording.\nAction items: none.\n'.repeat(20));
  });
}

/** A zero-byte file. */
export function makeEmpty(): Promise<string> {
  return cached('empty.wav', async (out) => {
    await writeFile(out, '');
  });
}

/** A spoken MP3 cut off after its first third (an interrupted upload); its header still claims the full length. */
export function makeTruncated(): Promise<string> {
  return cached('truncated.mp3', async (out) => {
    const mp3 = await convert(await synthSpeech(PARAGRAPHS[0] ?? ''), 'mp3');
    const bytes = await readFile(mp3);
    await writeFile(out, bytes.subarray(0, Math.floor(bytes.length / 3)));
  });
}

/** An M4A whose index (the moov atom, written last) was cut off: unreadable as a whole. */
export function makeCorrupt(): Promise<string> {
  return cached('corrupt.m4a', async (out) => {
    const m4a = await convert(await synthSpeech(PARAGRAPHS[1] ?? ''), 'm4a');
    const bytes = await readFile(m4a);
    await writeFile(out, bytes.subarray(0, Math.floor(bytes.length / 2)));
  });
}

/** An MP4 with a video track and no audio stream. */
export function makeNoAudioStream(): Promise<string> {
  return cached('video-only.mp4', async (out) => {
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=64x64:r=5:d=2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      out,
    ]);
  });
}

/** A WAV whose format tag names a codec ffmpeg has no decoder for (0x1234). */
export function makeUnsupportedCodec(): Promise<string> {
  return cached('unknown-codec.wav', async (out) => {
    const wav = Buffer.from(await readFile(await synthSpeech('This codec does not exist.')));
    // Byte 20 of a canonical RIFF/WAVE header is the little-endian wFormatTag.
    wav.writeUInt16LE(0x1234, 20);
    await writeFile(out, wav);
  });
}

/** A long recording and the text spoken in it. */
export interface LongSpeech {
  path: string;
  text: string;
  durationSeconds: number;
}

/**
 * At least `minutes` of speech: PARAGRAPHS in order (repeated as needed) with 0.8 s pauses between
 * them, as a 16 kHz mono WAV. Takes a few seconds the first time, then comes from the cache.
 */
export async function longSpeech(minutes: number): Promise<LongSpeech> {
  const target = minutes * 60;
  const parts: { path: string; text: string }[] = [];
  let total = 0;
  for (let i = 0; total < target; i += 1) {
    const text = PARAGRAPHS[i % PARAGRAPHS.length] ?? '';
    const path = await synthSpeech(text);
    parts.push({ path, text });
    total += (await mediaDuration(path)) + 0.8;
  }
  const path = await concatWithSilence(
    parts.map((p) => p.path),
    0.8,
  );
  return { path, text: parts.map((p) => p.text).join(' '), durationSeconds: await mediaDuration(path) };
}

/**
 * At least `minutes` of continuous speech: flite reading PARAGRAPHS joined into one text (repeated
 * as needed), so the only pauses are flite's own short ones between sentences. What a user's
 * reading of one long text looks like, unlike `longSpeech`'s 0.8 s pause after every paragraph.
 * As a 16 kHz mono WAV; takes about a minute for an hour the first time, then comes from the cache.
 */
export async function continuousSpeech(minutes: number): Promise<LongSpeech> {
  const once = PARAGRAPHS.join(' ');
  const perRead = await mediaDuration(await synthSpeech(once));
  const text = Array.from({ length: Math.max(1, Math.ceil((minutes * 60) / perRead)) }, () => once).join(' ');
  const path = await cached(`continuous-slt-${hash('slt', text)}.wav`, async (out) => {
    // The text is too long for one argument (an hour is ~60 kB), so flite reads it from a file.
    const textFile = `${out}.txt`;
    await writeFile(textFile, text);
    try {
      await run('flite', ['-voice', 'slt', '-f', textFile, '-o', out]);
    } finally {
      await rm(textFile, { force: true });
    }
  });
  return { path, text, durationSeconds: await mediaDuration(path) };
}

/**
 * At least `minutes` of espeak-ng speech (robotic, so only timing properties are asserted on it):
 * PARAGRAPHS read in order with espeak-ng's own sentence pauses, as a 16 kHz mono WAV. Cached.
 */
export async function espeakSpeech(minutes: number): Promise<LongSpeech> {
  const words = Math.ceil(minutes * 60 * 2.9);
  const all = PARAGRAPHS.join(' ').split(/\s+/);
  const picked: string[] = [];
  for (let i = 0; picked.length < words; i++) picked.push(all[i % all.length] ?? '');
  const text = picked.join(' ');
  const key = createHash('sha256').update(`espeak:${text}`).digest('hex').slice(0, 16);
  const out = join(FIXTURE_DIR, `espeak-${key}.wav`);
  if (
    !(await access(out).then(
      () => true,
      () => false,
    ))
  ) {
    await mkdir(FIXTURE_DIR, { recursive: true });
    const raw = `${out}.${process.pid}.raw.wav`;
    await run('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', raw, text]);
    const tmp = `${out}.${process.pid}.tmp.wav`;
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', raw, '-ac', '1', '-ar', '16000', tmp]);
    await rename(tmp, out);
    await rm(raw, { force: true });
  }
  return { path: out, text, durationSeconds: await mediaDuration(out) };
}
