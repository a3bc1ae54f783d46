import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/core/transcript.js';
import type { Engine, RecognizeOptions } from '../../src/engines/engine.js';
import { EngineTurnRecognizer } from '../../src/engines/engine-turn-recognizer.js';
import { MAX_TURN_SECONDS } from '../../src/live/live-settings.js';

/*
 * Buffering mechanics of the adapter, over an engine double that records what it was asked to
 * recognise. Recognition through the adapter is tested with real PocketSphinx in
 * test/live/live-session.test.ts.
 */
class RecordingEngine implements Engine {
  readonly name = 'recording';
  calls: Array<{ samples: number[]; language: string }> = [];
  released = 0;
  async load(): Promise<void> {}
  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    this.calls.push({ samples: [...pcm], language: opts.language });
    return [
      { start: 0, end: 0.5, text: 'one', words: [{ word: 'one', start: 0.1, end: 0.5, confidence: 1 }] },
      { start: 0.6, end: 1, text: 'two', words: [{ word: 'two', start: 0.6, end: 1, confidence: 1 }] },
    ];
  }
  async release(): Promise<void> {
    this.released += 1;
  }
}

describe('EngineTurnRecognizer', () => {
  it('recognises the whole turn at finish, in the language it was built for; partials are null', async () => {
    const engine = new RecordingEngine();
    const r = new EngineTurnRecognizer(engine, 'en');
    await r.load();
    await r.begin();
    const block = Int16Array.from([1, 2, 3]);
    expect(await r.feed(block, { partial: true })).toBeNull();
    block[0] = 9; // the caller reusing its buffer must not change the turn
    expect(await r.feed(Int16Array.from([4]), { partial: false })).toBeNull();
    expect(await r.finish()).toEqual({
      text: 'one two',
      words: [
        { word: 'one', start: 0.1, end: 0.5, confidence: 1 },
        { word: 'two', start: 0.6, end: 1, confidence: 1 },
      ],
    });
    expect(engine.calls).toEqual([{ samples: [1, 2, 3, 4], language: 'en' }]);
    // begin and abandon drop the buffered audio; an empty turn does not reach the engine.
    await r.begin();
    await r.feed(block, { partial: false });
    await r.abandon();
    expect(await r.finish()).toEqual({ text: '', words: [] });
    expect(engine.calls).toHaveLength(1);
    await r.release();
    expect(engine.released).toBe(1);
  });

  it(`refuses more than ${MAX_TURN_SECONDS} s of audio in one turn`, async () => {
    const r = new EngineTurnRecognizer(new RecordingEngine(), 'en');
    await r.begin();
    await r.feed(new Int16Array(MAX_TURN_SECONDS * 16000), { partial: false });
    await expect(r.feed(new Int16Array(1), { partial: false })).rejects.toThrow(RangeError);
  });
});
