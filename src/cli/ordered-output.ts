/**
 * Writes each input's output whole and in input order while inputs finish in any order: a finished
 * input's output is held until every earlier one is written. `room` keeps what is held bounded:
 * input `index` may start only within `window` inputs of the first one not yet written, so at most
 * `window - 1` finished outputs ever wait here.
 */
export class OrderedOutput {
  private next = 0;
  private readonly held = new Map<number, string>();
  private readonly waiting = new Set<{ index: number; resolve: () => void }>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly window: number,
  ) {
    if (!(window >= 1)) throw new RangeError(`window must be >= 1, got ${window}`);
  }

  /** Resolves once input `index` may start; rejects with the signal's reason if it fires first. */
  room(index: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.fits(index)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        index,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiting.delete(entry);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(entry);
    });
  }

  /** Input `index` is finished with `text` to print ('' for none); writes all that is now in order. */
  settle(index: number, text: string): void {
    if (index < this.next || this.held.has(index)) throw new RangeError(`input ${index} settled twice`);
    this.held.set(index, text);
    for (let t = this.held.get(this.next); t !== undefined; t = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next++;
      if (t !== '') this.write(t);
    }
    for (const w of this.waiting) {
      if (this.fits(w.index)) {
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }

  private fits(index: number): boolean {
    return index < this.next + this.window;
  }
}
