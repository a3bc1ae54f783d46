import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { AbortedError } from '../core/errors/aborted.error.js';
import { BadAudioError } from '../core/errors/bad-audio.error.js';
import { assertReadableFile, describeMediaFailure, ffmpegInput, StderrTail } from './media-errors.js';
import { probePcmWav } from './wav-probe.js';

/** What the pipeline needs to know about an input before decoding it. */
export interface MediaInfo {
  /** Container (or, failing that, audio stream) duration; null when the file does not say (live webm, raw streams). */
  durationSeconds: number | null;
  /** True when the file has at least one audio stream (always true unless `requireAudio` is false). */
  hasAudio: boolean;
  /** ffprobe's demuxer name(s), e.g. "mp3" or "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** Codec of the first audio stream ("aac", "opus", …); null when there is none. */
  codec: string | null;
}

export interface ProbeOptions {
  signal?: AbortSignal;
  /** Kill ffprobe after this long; a hostile file can make it read forever. Default 30 s. */
  timeoutMs?: number;
  /** When false a file without audio resolves with `hasAudio: false` instead of rejecting. Default true. */
  requireAudio?: boolean;
  /** Default "ffprobe" from PATH. */
  ffprobePath?: string;
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string; codec_tag_string?: string; duration?: string }>;
}

/** ffprobe's JSON output is a few hundred bytes; anything beyond this is not a file we want. */
const MAX_STDOUT = 1 << 20;

function seconds(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * Reads container metadata with ffprobe (no decoding). Rejects with BadAudioError when the file is
 * missing, empty, not media, has no audio stream or an audio codec ffmpeg cannot decode; with
 * AbortedError when `signal` fires. An unknown duration is not an error. The second argument may be
 * the options or just an AbortSignal.
 */
export async function probeMedia(path: string, options: ProbeOptions | AbortSignal = {}): Promise<MediaInfo> {
  const opts: ProbeOptions = options instanceof AbortSignal ? { signal: options } : options;
  const { signal, timeoutMs = 30_000, requireAudio = true, ffprobePath = 'ffprobe' } = opts;
  if (signal?.aborted) throw new AbortedError();
  await assertReadableFile(path);
  // Plain PCM WAV (the usual short clip) is read from its header; everything else goes to ffprobe.
  const wav = await probePcmWav(path).catch(() => null);
  if (wav !== null) return wav;

  const args = [
    '-v',
    'error',
    '-show_entries',
    'format=format_name,duration:stream=codec_type,codec_name,codec_tag_string,duration',
  ];
  const json = await runFfprobe(ffprobePath, [...args, '-of', 'json', ...ffmpegInput(path)], path, timeoutMs, signal);

  let parsed: FfprobeJson;
  try {
    parsed = JSON.parse(json) as FfprobeJson;
  } catch (err: unknown) {
    throw new BadAudioError(`cannot read audio from ${basename(path)}: unexpected ffprobe output`, err);
  }
  const audio = parsed.streams?.find((s) => s.codec_type === 'audio');
  if (audio === undefined && requireAudio) throw new BadAudioError(`no audio stream in ${basename(path)}`);
  // ffprobe leaves codec_name out when no decoder is compiled in; decoding would fail later anyway.
  if (audio !== undefined && !audio.codec_name) {
    throw new BadAudioError(
      `unsupported audio codec in ${basename(path)} (tag ${audio.codec_tag_string ?? 'unknown'})`,
    );
  }
  return {
    durationSeconds: seconds(parsed.format?.duration) ?? seconds(audio?.duration),
    hasAudio: audio !== undefined,
    formatName: parsed.format?.format_name ?? 'unknown',
    codec: audio?.codec_name ?? null,
  };
}

function runFfprobe(
  bin: string,
  args: string[],
  path: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = new StderrTail();
    const out: Buffer[] = [];
    let outBytes = 0;
    let failure: Error | null = null;

    const stop = (err: Error): void => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => stop(new AbortedError());
    const timer = setTimeout(() => stop(new BadAudioError(`probing ${basename(path)} timed out`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_STDOUT) stop(new BadAudioError(`cannot read audio from ${basename(path)}: too many streams`));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => {
      failure ??= new Error(`cannot run ${bin}: ${err.message}`, { cause: err });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new BadAudioError(describeMediaFailure(stderr.lines(), path, `ffprobe exited with code ${code}`)));
    });
  });
}
