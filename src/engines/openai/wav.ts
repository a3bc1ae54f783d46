import { SAMPLE_RATE } from '../../core/task.js';

/** Wraps 16 kHz mono int16 PCM in a canonical 44-byte RIFF/WAVE header, in memory. */
export function encodeWav(pcm: Int16Array): Uint8Array<ArrayBuffer> {
  const dataBytes = pcm.length * 2;
  const bytes = new Uint8Array(new ArrayBuffer(44 + dataBytes));
  const out = Buffer.from(bytes.buffer);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(SAMPLE_RATE, 24);
  out.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  // Int16Array is host order, little-endian on every platform Earshot runs on (x64, arm64).
  bytes.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return bytes;
}
