import { type ChunkPlan, SAMPLE_RATE } from '../core/task.js';

/**
 * Honest progress: audio seconds covered by checkpointed chunks versus the recording's duration,
 * and speed measured on this attempt only (so a resumed run neither starts from zero nor claims the
 * previous attempt's speed). A chunk "covers" the silence before it, back to the previous chunk's end,
 * so the covered total reaches the full duration when the last chunk is done.
 */
export class ProgressTracker {
  private readonly spans = new Map<number, number>();
  private plannedEnd = 0;
  private doneSeconds = 0;
  private doneAtStart: number | null = null;
  private readonly startedAt = Date.now();

  constructor(private totalSeconds: number) {}

  /** Registers the next planned chunk (they come in index order), so its covered span is known. */
  plan(chunk: ChunkPlan): void {
    if (this.spans.has(chunk.index)) return;
    this.spans.set(chunk.index, (chunk.endSample - this.plannedEnd) / SAMPLE_RATE);
    this.plannedEnd = chunk.endSample;
  }

  setTotal(totalSeconds: number): void {
    this.totalSeconds = totalSeconds;
  }

  /** Marks a chunk done. `resumed` chunks come from an earlier attempt and do not count towards speed. */
  done(index: number, resumed: boolean): void {
    const span = this.spans.get(index) ?? 0;
    this.doneSeconds += span;
    if (resumed) return;
    if (this.doneAtStart === null) this.doneAtStart = this.doneSeconds - span;
  }

  /** Covered seconds, capped below the total until `finish()` so 100% means finished. */
  get covered(): number {
    return Math.min(this.doneSeconds, this.totalSeconds);
  }

  get total(): number {
    return this.totalSeconds;
  }

  /** Audio seconds per wall second recognised in this attempt; null until one chunk is done. */
  get speed(): number | null {
    if (this.doneAtStart === null) return null;
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const work = this.doneSeconds - this.doneAtStart;
    return elapsed > 0 && work > 0 ? work / elapsed : null;
  }
}
