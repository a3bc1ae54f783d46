import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { BadAudioError } from '../core/errors/bad-audio.error.js';

/**
 * Keeps only the last `limit` bytes written to it. ffmpeg can print one line per corrupt frame for
 * the whole length of a damaged recording; only the end matters for the error message, so the
 * buffer must not grow with the input.
 */
export class StderrTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly limit = 4096) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.bytes -= this.chunks.shift()?.length ?? 0;
    }
  }

  /** Non-empty lines, oldest first; the first may be cut mid-line. */
  lines(): string[] {
    const text = Buffer.concat(this.chunks).subarray(-this.limit).toString('utf8');
    return text
      .split(/\r?\n|\r/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  }
}

/** Messages that name an errno and say nothing about the file by themselves. */
const GENERIC = /^(Invalid argument|Invalid data found when processing input|End of file|Operation not permitted)$/i;
const MAX_MESSAGE = 300;

/**
 * How ffmpeg and ffprobe are given an input: an explicit file: URL, so no path (a name starting with
 * "-", or "http:…" or "pipe:0" in a directory listing) can ever be read as an option or another
 * protocol. Paired with `-protocol_whitelist file` so playlists inside uploads cannot reach the network.
 */
export function ffmpegInput(path: string): string[] {
  return ['-protocol_whitelist', 'file', '-i', `file:${resolve(path)}`];
}

/** Drops ffmpeg's `[demuxer @ 0x55d…]` prefixes and the (internal, long) input path. */
function clean(line: string, path: string): string {
  const name = basename(path);
  return line
    .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '')
    .split(`file:${resolve(path)}`)
    .join(name)
    .split(resolve(path))
    .join(name)
    .split(path)
    .join(name);
}

/**
 * The most useful part of an ffmpeg/ffprobe stderr tail as one line. The last line usually says it,
 * but when it is a bare errno ("x.mp3: Invalid argument") the line before says what actually went
 * wrong, so both are kept.
 */
export function usefulDetail(lines: readonly string[], path: string): string | undefined {
  const name = basename(path);
  const strip = (l: string): string => {
    const c = clean(l, path);
    return c.startsWith(`${name}: `) ? c.slice(name.length + 2) : c;
  };
  const cleaned = lines.map(strip).filter((l) => l.length > 0);
  const last = cleaned.at(-1);
  const prev = cleaned.at(-2);
  if (last !== undefined && prev !== undefined && GENERIC.test(last)) return `${prev.replace(/\.$/, '')} (${last})`;
  return last;
}

/** Turns the stderr tail of a failed ffprobe/ffmpeg run into one readable BadAudioError message. */
export function describeMediaFailure(lines: readonly string[], path: string, fallback: string): string {
  const all = lines.join('\n');
  if (/No such file or directory/.test(all)) return `file not found: ${path}`;
  if (/does not contain any stream/.test(all)) return `no audio stream in ${basename(path)}`;
  const decoder = /Decoder \(codec (\S+)\) not found/.exec(all);
  if (decoder) {
    const codec = decoder[1] === 'none' ? '' : ` (${decoder[1]})`;
    return `unsupported audio codec in ${basename(path)}${codec}`;
  }
  return oneLine(`cannot read audio from ${basename(path)}: ${usefulDetail(lines, path) ?? fallback}`);
}

/** Keeps messages to one short line: they end up in API responses and task rows. */
export function oneLine(message: string): string {
  const flat = message.replace(/\s+/g, ' ');
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

/**
 * Fails fast, with a message a user understands, on the input problems that ffmpeg would report
 * cryptically or not at all (a missing file, a directory, zero bytes).
 */
export async function assertReadableFile(path: string): Promise<void> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new BadAudioError(`not a regular file: ${basename(path)}`);
    size = st.size;
  } catch (err: unknown) {
    if (err instanceof BadAudioError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BadAudioError(`file not found: ${path}`, err);
    throw new BadAudioError(`cannot open ${basename(path)}: ${(err as Error).message}`, err);
  }
  if (size === 0) throw new BadAudioError(`file is empty: ${basename(path)}`);
}
