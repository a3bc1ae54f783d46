import { open } from 'node:fs/promises';
import type { MediaInfo } from './probe.js';

/** A canonical header is 44 bytes; this leaves room for LIST/fact chunks written before `data`. */
const HEAD_BYTES = 4096;

const PCM_CODECS: Record<number, string> = { 8: 'pcm_u8', 16: 'pcm_s16le', 24: 'pcm_s24le', 32: 'pcm_s32le' };

/** Where the samples of a plain PCM WAV are, and what they are. */
export interface PcmWavLayout {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Bytes of samples (the whole `data` chunk, which lies within the file). */
  dataBytes: number;
}

/**
 * Reads a plain PCM WAV's layout from its header in-process. Returns null for anything not plainly
 * well formed: another codec, WAVE_FORMAT_EXTENSIBLE, a streamed header (data size 0 or 0xFFFFFFFF),
 * a `data` chunk beyond the first 4 KiB or running past the end of the file (a truncated upload),
 * an odd `fmt ` chunk. Callers then leave the file to ffprobe/ffmpeg, which judge it properly.
 */
export async function readPcmWavLayout(path: string): Promise<PcmWavLayout | null> {
  const file = await open(path, 'r');
  let head: Buffer;
  let size: number;
  try {
    size = (await file.stat()).size;
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
    return null;
  }
  let fmt: Omit<PcmWavLayout, 'dataOffset' | 'dataBytes'> | null = null;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = head.toString('ascii', at, at + 4);
    const len = head.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (len < 16 || body + 16 > head.length) return null;
      const format = head.readUInt16LE(body);
      const channels = head.readUInt16LE(body + 2);
      const sampleRate = head.readUInt32LE(body + 4);
      const bitsPerSample = head.readUInt16LE(body + 14);
      if (format !== 1 || channels < 1 || sampleRate < 1 || PCM_CODECS[bitsPerSample] === undefined) return null;
      fmt = { sampleRate, channels, bitsPerSample };
    } else if (id === 'data') {
      if (fmt === null || len === 0 || len === 0xffff_ffff || body + len > size) return null;
      return { ...fmt, dataOffset: body, dataBytes: len };
    }
    // Chunks are padded to an even length.
    at = body + len + (len % 2);
  }
  return null;
}

/**
 * What ffprobe would say of a plain PCM WAV, read from its header in-process: spawning ffprobe costs
 * about 50 ms, a good part of the whole fixed cost of a 5-second task (bench/task-stages.ts).
 * Returns null, so the caller asks ffprobe, where `readPcmWavLayout` does.
 */
export async function probePcmWav(path: string): Promise<MediaInfo | null> {
  const wav = await readPcmWavLayout(path);
  if (wav === null) return null;
  const byteRate = wav.sampleRate * wav.channels * (wav.bitsPerSample / 8);
  return {
    durationSeconds: wav.dataBytes / byteRate,
    hasAudio: true,
    formatName: 'wav',
    codec: PCM_CODECS[wav.bitsPerSample] ?? null,
  };
}
