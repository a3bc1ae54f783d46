import { Readable } from 'node:stream';
import { MediaMissingError } from '../core/errors/index.js';

/** Fetches `length` bytes from `offset` of part `seq`; null when the part is not there (the object was removed). */
export type FetchPart = (seq: number, offset: number, length: number) => Promise<Buffer | null>;

/**
 * Bytes `start`..`end` (inclusive) of an object stored in fixed-size parts, fetched piece by piece:
 * a range starts at its own part and fetches only the bytes it covers. While the consumer takes one
 * piece, the next is already being fetched, so a reader waits for the database about once instead of
 * twice per part; Readable calls `_read` again only after a push, and a push of a piece is over the
 * high-water mark, so at most two pieces (about two parts) are ever held.
 */
export class PartReader extends Readable {
  private position: number;
  private prefetched: { at: number; bytes: Promise<Buffer | null> } | null = null;

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
    const at = this.position;
    const expected = this.pieceLength(at);
    const bytes = this.prefetched?.at === at ? this.prefetched.bytes : this.fetch(at);
    this.prefetched = null;
    bytes.then(
      (piece) => {
        if (this.destroyed) return;
        if (piece === null || piece.length !== expected) {
          this.destroy(new MediaMissingError(this.key));
          return;
        }
        this.position = at + piece.length;
        if (this.position <= this.end) {
          const next = this.fetch(this.position);
          // Handled where it is awaited; a reader destroyed meanwhile drops it.
          next.catch(() => undefined);
          this.prefetched = { at: this.position, bytes: next };
        }
        this.push(piece);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  /** From `at` to the end of its part or of the range, whichever comes first. */
  private pieceLength(at: number): number {
    const partEnd = (Math.floor(at / this.partBytes) + 1) * this.partBytes - 1;
    return Math.min(partEnd, this.end) - at + 1;
  }

  private fetch(at: number): Promise<Buffer | null> {
    const seq = Math.floor(at / this.partBytes);
    return this.fetchPart(seq, at - seq * this.partBytes, this.pieceLength(at));
  }
}
