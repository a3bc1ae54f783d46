/**
 * Issue 13: what keeping a compact Opus rendition instead of the original upload would cost in
 * accuracy. The LibriVox clips and a long flite recording are each transcribed by `earshot
 * transcribe` as they are (16 kHz PCM WAV) and after a round trip through Opus at a few bitrates
 * (ffmpeg's libopus, mono, the VoIP application mode made for speech); the word error rates and
 * sizes are compared. The engine is PocketSphinx (the only one that runs here).
 * Usage: npx tsx bench/opus-wer.ts [minutes=10] [bitrates=32,24,16]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Transcript } from '../src/core/transcript.js';
import { wordErrorRate } from '../src/core/wer.js';
import { LIBRIVOX_DIR, loadLibrivox } from '../test/engines/librivox.js';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { CLI, log } from './lib.js';

const run = promisify(execFile);
const minutes = Number(process.argv[2] ?? 10);
const bitrates = (process.argv[3] ?? '32,24,16').split(',').map(Number);
const work = await mkdtemp(join(tmpdir(), 'earshot-bench-opus-'));

interface Source {
  path: string;
  reference: string;
}

async function toOpus(src: string, kbps: number): Promise<string> {
  const dest = join(work, `${basename(src, '.wav')}-${kbps}k.ogg`);
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    src,
    '-ac',
    '1',
    '-c:a',
    'libopus',
    '-b:a',
    `${kbps}k`,
    '-application',
    'voip',
    dest,
  ]);
  return dest;
}

/** Transcribes `files` in one CLI run; the texts in the same order. */
async function transcribe(files: readonly string[]): Promise<string[]> {
  const out = await mkdtemp(join(work, 'out-'));
  await run(process.execPath, [CLI, 'transcribe', ...files, '-f', 'json', '-o', out, '-c', '2', '--no-progress'], {
    maxBuffer: 64 * 1024 ** 2,
  });
  return Promise.all(
    files.map(async (f) => {
      const name = basename(f).replace(/\.[^.]+$/, '');
      return (JSON.parse(await readFile(join(out, `${name}.json`), 'utf8')) as Transcript).text;
    }),
  );
}

/** Word error rate over a set (edits summed over the whole reference), and the bytes the files take. */
async function measure(sources: readonly Source[], files: readonly string[]) {
  const texts = await transcribe(files);
  let edits = 0;
  let words = 0;
  sources.forEach((s, i) => {
    const r = wordErrorRate(s.reference, texts[i] ?? '');
    edits += r.substitutions + r.deletions + r.insertions;
    words += r.refWords;
  });
  const bytes = (await Promise.all(files.map((f) => stat(f)))).reduce((sum, s) => sum + s.size, 0);
  return { wer: edits / words, bytes };
}

const clips: Source[] = loadLibrivox().map((c) => ({
  path: join(LIBRIVOX_DIR, `${c.id}.wav`),
  reference: c.reference,
}));
const speech = await longSpeech(minutes);
const sets = { librivox: clips, long: [{ path: speech.path, reference: speech.text }] };
log(`${clips.length} LibriVox clips and ${speech.durationSeconds.toFixed(0)} s of flite speech`);

const round = (x: number, d = 3) => Number(x.toFixed(d));
const results: Record<string, unknown>[] = [];
for (const [set, sources] of Object.entries(sets)) {
  const original = await measure(
    sources,
    sources.map((s) => s.path),
  );
  results.push({ set, rendition: 'original', wer: round(original.wer), bytes: original.bytes, sizeRatio: 1 });
  log(`${set} original: WER ${round(original.wer)}`);
  for (const kbps of bitrates) {
    const files = await Promise.all(sources.map((s) => toOpus(s.path, kbps)));
    const opus = await measure(sources, files);
    results.push({
      set,
      rendition: `opus-${kbps}k`,
      wer: round(opus.wer),
      werDeltaPoints: round((opus.wer - original.wer) * 100, 2),
      bytes: opus.bytes,
      sizeRatio: round(opus.bytes / original.bytes, 4),
    });
    log(`${set} opus ${kbps}k: WER ${round(opus.wer)}`);
  }
}
console.log(JSON.stringify({ bench: 'opus-wer', engine: 'pocketsphinx', minutes, results }));
