declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new (options: ProcessorOptions) => unknown): void;

interface ProcessorOptions {
  processorOptions: { targetRate: number; frameMs: number };
}

/** What the processor posts: `pcm` is PCM16 LE mono at the target rate. */
export interface PcmFrameMessage {
  pcm: ArrayBuffer;
  rms: number;
}

class PcmProcessor extends AudioWorkletProcessor {
  private readonly ratio: number;
  private readonly frame: Int16Array<ArrayBuffer>;
  private filled = 0;
  private sumSquares = 0;
  /** Read position of the next output sample, in input samples after `previous`. */
  private position = 0;
  private previous = 0;
  private readonly window: Float32Array;
  private windowIndex = 0;
  private windowSum = 0;

  constructor(options: ProcessorOptions) {
    super();
    const { targetRate, frameMs } = options.processorOptions;
    this.ratio = sampleRate / targetRate;
    this.frame = new Int16Array(Math.round((targetRate * frameMs) / 1000));
    this.window = new Float32Array(Math.max(1, Math.round(this.ratio)));
  }

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    if (!input) return true; // no source connected yet (or a muted track): keep running
    if (this.ratio === 1) {
      for (const x of input) this.emit(x);
      return true;
    }
    const n = input.length;
    const smoothed = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = input[i] as number;
      this.windowSum += x - (this.window[this.windowIndex] as number);
      this.window[this.windowIndex] = x;
      this.windowIndex = (this.windowIndex + 1) % this.window.length;
      smoothed[i] = this.windowSum / this.window.length;
    }
    // Positions are in [previous, ...smoothed] coordinates: 0 is `previous`, k + 1 is smoothed[k].
    while (this.position < n) {
      const i = Math.floor(this.position);
      const frac = this.position - i;
      const a = i === 0 ? this.previous : (smoothed[i - 1] as number);
      const b = smoothed[i] as number;
      this.emit(a + (b - a) * frac);
      this.position += this.ratio;
    }
    this.position -= n;
    this.previous = smoothed[n - 1] as number;
    return true;
  }

  private emit(x: number): void {
    const v = Math.max(-1, Math.min(1, x));
    this.frame[this.filled++] = v < 0 ? Math.round(v * 0x8000) : Math.round(v * 0x7fff);
    this.sumSquares += v * v;
    if (this.filled < this.frame.length) return;
    const pcm = this.frame.slice().buffer;
    const message: PcmFrameMessage = { pcm, rms: Math.sqrt(this.sumSquares / this.filled) };
    this.port.postMessage(message, [pcm]);
    this.filled = 0;
    this.sumSquares = 0;
  }
}

registerProcessor('earshot-pcm', PcmProcessor);
