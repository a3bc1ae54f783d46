import { Readable } from 'node:stream';
import { MediaMissingError } from '../core/errors/index.js';

/** Fetches part `seq` of an object; null when it is not there (the object was removed). */
export type FetchPart = (seq: number) => Promise<Buffer | null>;

/**
 * Bytes `start`..`end` (inclusive) of an object stored in fixed-size parts, read one part at a time
 * and only when the consumer wants more: Readable calls `_read` again only after a push, and a
 * push of a whole part is over the high-water mark, so one part (plus what the consumer holds) is
 * all that is ever in memory. A range starts at its own part: nothing before it is fetched.
 */
export class PartReader extends Readable {
  private position: number;

  constructor(
    private readonly key: string,
    private readonly fetchPart: FetchPart,
    private readonly partBytes: number,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: 64 * 1024 });
    this.position = start;
  }

  override _read(): void {
    if (this.position > this.end) {
      this.push(null);
      return;
    }
    const seq = Math.floor(this.position / this.partBytes);
    this.fetchPart(seq).then(
      (part) => {
        if (this.destroyed) return;
        const partStart = seq * this.partBytes;
        const from = this.position - partStart;
        const to = Math.min(this.end - partStart + 1, part?.length ?? 0);
        if (part === null || to <= from) {
          this.destroy(new MediaMissingError(this.key));
          return;
        }
        this.position = partStart + to;
        this.push(from === 0 && to === part.length ? part : part.subarray(from, to));
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}
