/** The canonical RIFF/WAVE header for PCM16 mono, shared by every WAV Earshot writes. */

export const WAV_HEADER_BYTES = 44;

/**
 * Most PCM bytes one WAV can say it holds: the RIFF size field (32 bits) counts the data plus the
 * 36 header bytes after it.
 */
export const MAX_WAV_DATA_BYTES = 0xffff_ffff - 36;

/** The 44-byte header of a PCM16 mono WAV at `sampleRate` holding `dataBytes` of samples. */
export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES) {
    throw new RangeError(`a WAV cannot hold ${dataBytes} bytes of samples`);
  }
  const out = Buffer.alloc(WAV_HEADER_BYTES);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}
