import { WAV_HEADER_BYTES, wavHeader } from '../../audio/wav-header.js';
import { SAMPLE_RATE } from '../../core/task.js';

/** Wraps 16 kHz mono int16 PCM in a canonical 44-byte RIFF/WAVE header, in memory. */
export function encodeWav(pcm: Int16Array): Uint8Array<ArrayBuffer> {
  const dataBytes = pcm.length * 2;
  const bytes = new Uint8Array(new ArrayBuffer(WAV_HEADER_BYTES + dataBytes));
  bytes.set(wavHeader(SAMPLE_RATE, dataBytes), 0);
  // Int16Array is host order, little-endian on every platform Earshot runs on (x64, arm64).
  bytes.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), WAV_HEADER_BYTES);
  return bytes;
}
