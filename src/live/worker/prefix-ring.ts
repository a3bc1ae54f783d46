/**
 * The last `capacity` samples heard outside a turn (server VAD's prefix_padding_ms): when speech
 * starts they are fed first, so the onset the VAD needed a frame or two to notice is not clipped.
 * A fixed buffer, so silence of any length costs the same memory.
 */
export class PrefixRing {
  private readonly buf: Int16Array;
  private end = 0;
  private length = 0;

  constructor(capacity: number) {
    this.buf = new Int16Array(Math.max(0, Math.floor(capacity)));
  }

  get size(): number {
    return this.length;
  }

  push(pcm: Int16Array): void {
    const cap = this.buf.length;
    if (cap === 0) return;
    const src = pcm.length > cap ? pcm.subarray(pcm.length - cap) : pcm;
    for (const v of src) {
      this.buf[this.end] = v;
      this.end = (this.end + 1) % cap;
    }
    this.length = Math.min(cap, this.length + src.length);
  }

  /** The buffered samples, oldest first; the ring is empty afterwards. */
  take(): Int16Array {
    const cap = this.buf.length;
    const out = new Int16Array(this.length);
    const start = (this.end - this.length + cap) % Math.max(cap, 1);
    for (let i = 0; i < this.length; i += 1) out[i] = this.buf[(start + i) % cap] as number;
    this.clear();
    return out;
  }

  clear(): void {
    this.length = 0;
    this.end = 0;
  }
}
