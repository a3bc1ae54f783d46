import type { ChunkCheckpoint } from '../core/task.js';

const clock = (s: number) => new Date(Math.round(s * 1000)).toISOString().slice(11, 23);

/**
 * Prints chunks' segments in recording order as they finish. Chunks finish slightly out of order
 * (they run in parallel), so a few wait here until their predecessors are done; the wait is bounded
 * by the number of chunks in flight.
 */
export class SegmentPrinter {
  private next = 0;
  private readonly waiting = new Map<number, ChunkCheckpoint>();

  constructor(private readonly write: (line: string) => void) {}

  add(chunk: ChunkCheckpoint): void {
    this.waiting.set(chunk.index, chunk);
    for (let c = this.waiting.get(this.next); c; c = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.next++;
      for (const s of c.segments) this.write(`[${clock(s.start)} --> ${clock(s.end)}] ${s.text}\n`);
    }
  }
}
