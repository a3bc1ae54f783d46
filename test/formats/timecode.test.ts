import { parseTimestamp } from 'subtitle';
import { describe, expect, it } from 'vitest';
import {
  formatSrtTimecode,
  formatTimecode,
  formatVttTimecode,
  secondsToMilliseconds,
} from '../../src/formats/timecode.js';

describe('timecodes', () => {
  it.each([
    [0, '00:00:00,000'],
    [1.5, '00:00:01,500'],
    [59.999, '00:00:59,999'],
    [60, '00:01:00,000'],
    [3599.999, '00:59:59,999'],
    [3600, '01:00:00,000'],
    [3723.004, '01:02:03,004'],
    [36_000, '10:00:00,000'],
    [360_000 + 61.5, '100:01:01,500'],
  ])('formats %f s as SRT %s', (seconds, expected) => {
    expect(formatSrtTimecode(seconds)).toBe(expected);
    expect(formatVttTimecode(seconds)).toBe(expected.replace(',', '.'));
  });

  it('rounds to the nearest millisecond without ever writing 60 seconds or 1000 ms', () => {
    expect(formatSrtTimecode(59.9996)).toBe('00:01:00,000');
    expect(formatSrtTimecode(3599.9999)).toBe('01:00:00,000');
    expect(formatSrtTimecode(0.9995)).toBe('00:00:01,000');
    expect(formatSrtTimecode(0.9994)).toBe('00:00:00,999');
    expect(formatVttTimecode(7199.99951)).toBe('02:00:00.000');
  });

  it('rounds halves up despite binary floating point', () => {
    // 1.0005 * 1000 is 1000.4999999999999 in binary64.
    expect(secondsToMilliseconds(1.0005)).toBe(1001);
    expect(secondsToMilliseconds(2.0015)).toBe(2002);
    expect(secondsToMilliseconds(0.0004)).toBe(0);
  });

  it('clamps negative times to zero and rejects non-finite ones', () => {
    expect(formatSrtTimecode(-3)).toBe('00:00:00,000');
    expect(formatVttTimecode(-0.0001)).toBe('00:00:00.000');
    expect(() => formatSrtTimecode(Number.NaN)).toThrow(RangeError);
    expect(() => formatVttTimecode(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('round-trips every millisecond of a long range through a third-party parser', () => {
    for (let ms = 0; ms < 2 * 3_600_000; ms += 999_983) {
      for (const delta of [0, 1, 59_999, 60_001]) {
        const t = ms + delta;
        expect(parseTimestamp(formatTimecode(t / 1000, ','))).toBe(t);
        expect(parseTimestamp(formatTimecode(t / 1000, '.'))).toBe(t);
      }
    }
  });
});
