import { writeFile } from 'node:fs/promises';
import { loadLibrivox } from '../engines/librivox.js';

const RATE = 16000;

export interface SpeechFile {
  path: string;
  /** Length of the whole file, seconds. */
  seconds: number;
  /** The clips' reference transcripts in order, one space apart. */
  reference: string;
  /** Where each clip lies in the file, seconds. */
  clips: { start: number; end: number; reference: string }[];
}

/**
 * Writes the LibriVox clips (the first `clips`, default all five) as one 16 kHz mono 16-bit WAV with
 * a 44-byte header, `gapSeconds` of silence between them (longer than server VAD's 500 ms, so each
 * clip ends a turn) and `tailSeconds` after the last, so a live session hears the last turn end
 * before the input does.
 */
export async function writeLibrivoxSession(
  path: string,
  opts: { clips?: number; gapSeconds?: number; tailSeconds?: number } = {},
): Promise<SpeechFile> {
  const clips = loadLibrivox().slice(0, opts.clips ?? 5);
  const gap = new Int16Array(Math.round((opts.gapSeconds ?? 1.5) * RATE));
  const tail = new Int16Array(Math.round((opts.tailSeconds ?? 1.5) * RATE));
  const parts = clips.flatMap((c, i) => (i === 0 ? [c.pcm] : [gap, c.pcm]));
  parts.push(tail);
  const placed: SpeechFile['clips'] = [];
  let at = 0;
  for (const [i, c] of clips.entries()) {
    if (i > 0) at += gap.length;
    placed.push({ start: at / RATE, end: (at + c.pcm.length) / RATE, reference: c.reference });
    at += c.pcm.length;
  }
  const samples = parts.reduce((n, p) => n + p.length, 0);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples * 2, 40);
  const body = parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  await writeFile(path, Buffer.concat([header, ...body]));
  return { path, seconds: samples / RATE, reference: clips.map((c) => c.reference).join(' '), clips: placed };
}
