/**
 * Issue 2: end-to-end real-time factor of `earshot transcribe` (2 engines) against the raw engine
 * run once over the same file (`pocketsphinx_continuous -infile`), and both word error rates.
 * Usage: npx tsx bench/rtf.ts [minutes=10]
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transcript } from '../src/core/transcript.js';
import { wordErrorRate } from '../src/core/wer.js';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { CLI, log, rawEngineArgs, timed } from './lib.js';

const minutes = Number(process.argv[2] ?? 10);
const speech = await longSpeech(minutes);
log(`recording: ${speech.durationSeconds.toFixed(0)} s of flite speech`);

log('raw pocketsphinx_continuous, one process over the whole file...');
const raw = await timed('pocketsphinx_continuous', rawEngineArgs(speech.path));
const rawWer = wordErrorRate(speech.text, raw.stdout);

log('earshot transcribe --concurrency 2 ...');
const out = await mkdtemp(join(tmpdir(), 'earshot-bench-rtf-'));
const ours = await timed(process.execPath, [
  CLI,
  'transcribe',
  speech.path,
  '-f',
  'json',
  '-o',
  out,
  '-c',
  '2',
  '--no-progress',
]);
const name =
  speech.path
    .split('/')
    .at(-1)
    ?.replace(/\.wav$/, '') ?? '';
const transcript = JSON.parse(await readFile(join(out, `${name}.json`), 'utf8')) as Transcript;
const oursWer = wordErrorRate(speech.text, transcript.text);

const round = (x: number, d = 3) => Number(x.toFixed(d));
console.log(
  JSON.stringify({
    bench: 'rtf',
    audioSeconds: round(speech.durationSeconds, 1),
    raw: { seconds: round(raw.seconds, 1), rtf: round(raw.seconds / speech.durationSeconds), wer: round(rawWer.wer) },
    earshot: {
      concurrency: 2,
      seconds: round(ours.seconds, 1),
      rtf: round(ours.seconds / speech.durationSeconds),
      wer: round(oursWer.wer),
    },
    speedup: round(raw.seconds / ours.seconds, 2),
    werDeltaPoints: round((oursWer.wer - rawWer.wer) * 100, 1),
  }),
);
