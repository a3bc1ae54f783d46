/**
 * Where the time of one task goes, in milliseconds. Summed stages (`vadInfer`, `recognise`, the
 * `store*` writes) add up their every occurrence; `firstChunk` and `analysed` are measured from the
 * moment the audio was opened (decode and VAD run in one streamed pass, so they overlap recognition
 * and cannot be told apart as a sum); `queued` is from the task's creation to this attempt's claim
 * (a retry's includes its earlier attempts and backoff).
 */
export type RunStage =
  | 'queued'
  | 'setup'
  | 'planLoad'
  | 'vadLoad'
  | 'vadInfer'
  | 'firstChunk'
  | 'analysed'
  | 'recognise'
  | 'storePlan'
  | 'storeChunk'
  | 'storeProgress'
  | 'complete'
  | 'cleanup'
  | 'total';

/** Something stage durations can be added to (the VAD reports into it without knowing the rest). */
export interface StageSink {
  add(stage: RunStage, ms: number): void;
}

/**
 * The stage durations of one run: cheap enough (a clock read per step) to keep on for every task,
 * so operators see them in the worker's `task stages` log record.
 */
export class StageTimes implements StageSink {
  private readonly ms = new Map<RunStage, number>();

  add(stage: RunStage, ms: number): void {
    this.ms.set(stage, (this.ms.get(stage) ?? 0) + ms);
  }

  /** Runs `fn`, adding its duration (also when it throws) to `stage`. */
  async time<T>(stage: RunStage, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.add(stage, performance.now() - start);
    }
  }

  /** The stages seen, in milliseconds rounded to 0.1. */
  toJSON(): Partial<Record<RunStage, number>> {
    const out: Partial<Record<RunStage, number>> = {};
    for (const [stage, ms] of this.ms) out[stage] = Math.round(ms * 10) / 10;
    return out;
  }
}
