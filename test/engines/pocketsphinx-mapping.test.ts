import { describe, expect, it } from 'vitest';
import { toSegments } from '../../src/engines/pocketsphinx/pocketsphinx.words.js';

describe('PocketSphinx token mapping', () => {
  it('drops fillers, strips pronunciation variants, converts frames and clamps times and confidences', () => {
    const segments = toSegments(
      [
        ['<s>', 0, 9, 0.99],
        ['he', 10, 20, 1.0001],
        ['[NOISE]', 21, 30, 0.5],
        ['was(2)', 31, 40, -0.1],
        ['<sil>', 41, 44, 0.7],
        ['++GARBAGE++', 45, 50, 0.2],
        ['read(12)', 51, 60, Number.NaN],
        ['man', 61, 80, 0.8],
        ['</s>', 81, 90, 1],
      ],
      0.75,
    );
    expect(segments).toEqual([
      {
        start: 0.1,
        end: 0.75,
        text: 'he was read man',
        words: [
          { word: 'he', start: 0.1, end: 0.21, confidence: 1 },
          { word: 'was', start: 0.31, end: 0.41, confidence: 0 },
          { word: 'read', start: 0.51, end: 0.61, confidence: 0 },
          // Frames 61-80 end at 0.81 s, past the 0.75 s chunk: clamped to its end.
          { word: 'man', start: 0.61, end: 0.75, confidence: 0.8 },
        ],
      },
    ]);
  });

  it('returns no segment when only fillers were heard', () => {
    expect(
      toSegments(
        [
          ['<s>', 0, 9, 1],
          ['<sil>', 10, 50, 1],
          ['</s>', 51, 60, 1],
        ],
        1,
      ),
    ).toEqual([]);
  });
});
