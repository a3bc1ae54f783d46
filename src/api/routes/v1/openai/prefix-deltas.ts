import { fullText, type Segment } from '../../../../core/transcript.js';

/**
 * Turns recognised chunks, which finish in any order, into text deltas of the transcript's
 * contiguous prefix: a chunk's text goes out once every chunk before it has. The deltas add up to
 * the final text, which is these chunk texts joined by single spaces (see `fullText`).
 *
 * Only texts wait here, and at most `maxHeld` of them (chunks finish roughly in order, a few at
 * a time); past the bound the deltas stop and `finish` sends the rest in one piece, so the
 * concatenation still equals the final text.
 */
export class PrefixDeltas {
  private next = 0;
  private streamed = '';
  private readonly held = new Map<number, string>();
  private overflowed = false;

  constructor(private readonly maxHeld: number) {}

  /** Text streamed so far. */
  get text(): string {
    return this.streamed;
  }

  /** Records chunk `index`; returns the delta it completes ('' when the prefix did not grow). */
  add(index: number, segments: readonly Segment[]): string {
    // A chunk recognised again (a retried attempt) is already out, or already waiting.
    if (this.overflowed || index < this.next || this.held.has(index)) return '';
    if (this.held.size >= this.maxHeld) {
      this.overflowed = true;
      this.held.clear();
      return '';
    }
    this.held.set(index, fullText(segments));
    let delta = '';
    for (let text = this.held.get(this.next); text !== undefined; text = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next++;
      delta += this.append(text);
    }
    return delta;
  }

  /**
   * The last delta: what the final text has beyond the streamed prefix. '' when nothing is left, or
   * when the final text does not start with what was streamed (a chunk recognised differently on a
   * retry): the done event's text is the truth either way.
   */
  finish(finalText: string): string {
    if (!finalText.startsWith(this.streamed)) return '';
    const rest = finalText.slice(this.streamed.length);
    this.streamed = finalText;
    return rest;
  }

  private append(text: string): string {
    if (text === '') return '';
    const piece = this.streamed === '' ? text : ` ${text}`;
    this.streamed += piece;
    return piece;
  }
}
