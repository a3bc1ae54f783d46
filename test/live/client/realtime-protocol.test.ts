import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pcmFrames, realTime } from '../../../src/live/client/audio-frames.js';
import { formatSessionTime, formatTurn, LiveTranscript } from '../../../src/live/client/live-transcript.js';
import { isFatalError, parseServerEvent, realtimeUrl } from '../../../src/live/client/realtime-protocol.js';

describe('realtimeUrl', () => {
  it('maps http to ws and https to wss, keeps a path prefix, and adds ?save=true when asked', () => {
    expect(realtimeUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/realtime');
    expect(realtimeUrl('https://example.org/earshot/', { save: true })).toBe(
      'wss://example.org/earshot/v1/realtime?save=true',
    );
    expect(realtimeUrl('ws://h:1')).toBe('ws://h:1/v1/realtime');
    expect(() => realtimeUrl('ftp://h')).toThrow(/http/);
  });
});

describe('parseServerEvent / isFatalError', () => {
  it('reads known events, ignores the rest, and knows which error codes end a session', () => {
    expect(parseServerEvent('not json')).toBeNull();
    expect(parseServerEvent('{"type":"rate_limits.updated"}')).toBeNull();
    const err = parseServerEvent(
      '{"type":"error","error":{"type":"invalid_request_error","code":"idle_timeout","message":"m"}}',
    );
    expect(err).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', code: 'idle_timeout', message: 'm' },
    });
    if (err?.type !== 'error') throw new Error('not an error event');
    expect(isFatalError(err.error)).toBe(true);
    expect(isFatalError({ type: 'x', code: 'invalid_event', message: '' })).toBe(false);
    expect(isFatalError({ type: 'x', code: 'something_new', message: '' })).toBe(true);
  });
});

describe('LiveTranscript', () => {
  it('shows the newest unfinished hypothesis and keeps finished turns in order', () => {
    const t = new LiveTranscript();
    t.apply({ type: 'input_audio_buffer.speech_started', item_id: 'a', audio_start_ms: 0 });
    expect(t.view().partial).toBe('');
    t.apply({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'a', delta: 'hel', partial: 'hel' });
    t.apply({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'a', delta: 'lo', partial: 'hello' });
    expect(t.view().partial).toBe('hello');
    // A second turn starts before the first one's result: each keeps its own text.
    t.apply({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'b', delta: 'wor', partial: 'wor' });
    expect(t.view().partial).toBe('wor');
    const done = t.apply({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: 'a',
      transcript: ' hello ',
      start: 0.3,
      end: 61.25,
    });
    expect(done && formatTurn(done)).toBe('[00:00.3 → 01:01.3] hello');
    expect(t.view().partial).toBe('wor');
    // Plain OpenAI deltas (no `partial`) append.
    t.apply({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'c', delta: 'x' });
    t.apply({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'c', delta: 'y' });
    expect(t.view().partial).toBe('xy');
    expect(t.text()).toBe('hello');
    expect(formatSessionTime(null)).toBe('--:--.-');
    expect(formatSessionTime(59.96)).toBe('01:00.0');
  });
});

describe('pcmFrames / realTime', () => {
  it('cuts a byte stream into whole frames, drops a trailing odd byte, and stops on abort', async () => {
    const input = Readable.from([Buffer.alloc(3), Buffer.alloc(10), Buffer.alloc(4)]);
    const sizes: number[] = [];
    for await (const f of pcmFrames(input, 6)) sizes.push(f.length);
    expect(sizes).toEqual([6, 6, 4]);

    const stop = new AbortController();
    const endless = new Readable({ read() {} });
    endless.push(Buffer.alloc(12));
    const got: number[] = [];
    for await (const f of pcmFrames(endless, 6, stop.signal)) {
      got.push(f.length);
      if (got.length === 2) stop.abort();
    }
    expect(got).toEqual([6, 6]);
    expect(endless.destroyed).toBe(true);
  });

  it('sends frames at the audio pace, measured from the start so lateness does not add up', async () => {
    const rate = 16000;
    const frame = Buffer.alloc(rate * 2 * 0.05); // 50 ms
    async function* frames() {
      for (let i = 0; i < 10; i++) yield frame;
    }
    const started = performance.now();
    const at: number[] = [];
    for await (const _ of realTime(frames(), rate)) at.push(performance.now() - started);
    // Frame i goes at i × 50 ms: never early; the last one not late by more than scheduling noise.
    // (Node timers may fire a fraction of a millisecond before performance.now() says they are due.)
    for (const [i, t] of at.entries()) expect(t).toBeGreaterThanOrEqual(i * 50 - 3);
    expect(at.at(-1)).toBeLessThan(450 + 1500);
  });
});
