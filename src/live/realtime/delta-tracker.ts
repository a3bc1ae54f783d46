/**
 * Turns a turn's changing hypotheses into OpenAI-style deltas, which clients append to each other.
 * An incremental recogniser revises recent words as it hears more, and a delta can never be taken
 * back, so only words two consecutive hypotheses agree on ("local agreement", as in
 * whisper_streaming) are sent; the rest shows in the `partial` field, and `completed` carries the
 * final text, which replaces the deltas.
 */
export class DeltaTracker {
  private turn = 0;
  private previous: string[] = [];
  private sent: string[] = [];

  /** The text to append for this hypothesis of `turn` ('' when nothing new is stable). */
  next(turn: number, hypothesis: string): string {
    if (turn !== this.turn) {
      this.turn = turn;
      this.previous = [];
      this.sent = [];
    }
    const words = hypothesis.split(/\s+/).filter((w) => w.length > 0);
    let agreed = 0;
    while (agreed < words.length && agreed < this.previous.length && words[agreed] === this.previous[agreed]) agreed++;
    this.previous = words;
    // Only extend what was sent; if the stable prefix now disagrees with it, wait for `completed`.
    for (let i = 0; i < this.sent.length; i++) if (words[i] !== this.sent[i]) return '';
    if (agreed <= this.sent.length) return '';
    const added = words.slice(this.sent.length, agreed);
    const delta = (this.sent.length > 0 ? ' ' : '') + added.join(' ');
    this.sent = words.slice(0, agreed);
    return delta;
  }
}
