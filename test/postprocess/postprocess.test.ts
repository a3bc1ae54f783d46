import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactProgress } from '../../src/core/artifact.js';
import { fullText, type Segment, type Transcript } from '../../src/core/transcript.js';
import { LlmClient } from '../../src/postprocess/llm-client.js';
import { polish } from '../../src/postprocess/polish.js';
import { type PostprocessDeps, summarise } from '../../src/postprocess/summarise.js';
import { estimateTokens, packText } from '../../src/postprocess/tokens.js';
import { FakeLlm, polishText } from '../helpers/fake-llm.js';
import { mulberry32 } from '../helpers/prng.js';

/**
 * Windowing, map -> reduce and polish against a loopback chat-completions server with a
 * deterministic fake model: these verify the protocol and Earshot's handling of answers, not what
 * a real model would write.
 */

const VOCABULARY =
  'so the um meeting started with uh budget numbers and then we talked about hiring plans for next year'.split(' ');

/** A three-hour recording: 1080 segments of 10 s, 28 words each (30 240 words). */
function threeHours(): Transcript {
  const random = mulberry32(12);
  const segments: Segment[] = Array.from({ length: 1080 }, (_, i) => {
    const start = i * 10;
    const words = Array.from({ length: 28 }, (_, j) => ({
      word: VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string,
      start: start + j * 0.35,
      end: start + j * 0.35 + 0.3,
      confidence: 0.8,
    }));
    return { start, end: start + 9.8, text: words.map((w) => w.word).join(' '), words };
  });
  return { language: 'en', duration: 10_800, segments, text: fullText(segments) };
}

describe('post-processing against a loopback LLM', () => {
  let fake: FakeLlm;
  let progress: ArtifactProgress[];
  beforeAll(async () => {
    fake = await FakeLlm.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults = [];
    fake.dropIds.clear();
    progress = [];
  });

  const deps = (windowTokens: number): PostprocessDeps => {
    const client = new LlmClient({
      llmBaseUrl: fake.url,
      llmApiKey: '',
      llmModel: 'fake',
      llmTimeoutMs: 5000,
      llmRetries: 2,
      llmRetryBaseMs: 10,
      llmStream: true,
    });
    return {
      chat: (r) => client.chat(r, new AbortController().signal),
      windowTokens,
      onProgress: async (p) => {
        progress.push(p);
      },
    };
  };

  it('summarises a three-hour transcript: map windows within the budget, then one reduce', async () => {
    const transcript = threeHours();
    const summary = await summarise(transcript, deps(3000));
    const kinds = fake.kinds();
    const maps = kinds.filter((k) => k === 'map').length;
    // 30 240 words of ~5 characters: about 45 000 tokens, so at least 16 windows of 3000.
    expect(maps).toBeGreaterThanOrEqual(Math.ceil(estimateTokens(transcript.text) / 3000));
    expect(kinds).toEqual([...Array(maps).fill('map'), 'reduce']);
    for (const r of fake.requests) expect(r.tokens).toBeLessThanOrEqual(3000);
    // Every word went to exactly one map request, in order.
    const mapped = fake.requests.filter((r) => r.kind === 'map').map((r) => r.user);
    expect(mapped.join(' ')).toBe(transcript.text);
    expect(summary).toEqual({
      summary: `combined ${maps} parts covering 30240 words`,
      keyPoints: [],
      model: 'fake',
    });
    expect(progress.at(0)).toEqual({ stage: 'mapping', doneWindows: 0, totalWindows: maps });
    expect(progress.at(-1)).toEqual({ stage: 'reducing', doneWindows: 0, totalWindows: 1 });
  });

  it('reduces recursively when the summaries of the windows exceed one request', async () => {
    const summary = await summarise(threeHours(), deps(600));
    const kinds = fake.kinds();
    const firstReduce = kinds.indexOf('reduce');
    const reduces = kinds.length - firstReduce;
    expect(kinds.slice(firstReduce).every((k) => k === 'reduce')).toBe(true);
    expect(reduces).toBeGreaterThan(2);
    for (const r of fake.requests) expect(r.tokens).toBeLessThanOrEqual(600);
    // The word count survives the rounds: nothing was dropped or counted twice.
    expect(summary.summary).toMatch(/^combined \d+ parts covering 30240 words$/);
    const rounds = progress.filter((p) => p.stage === 'reducing' && p.doneWindows === 0).map((p) => p.totalWindows);
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.at(-1)).toBe(1);
  });

  it('summarises a short transcript in one call', async () => {
    const summary = await summarise(
      { language: 'en', duration: 3, segments: threeHours().segments.slice(0, 2), text: '' },
      deps(3000),
    );
    expect(fake.kinds()).toEqual(['map']);
    expect(summary.summary).toMatch(/^56 words from /);
    expect(summary.keyPoints).toHaveLength(1);
  });

  it('sends nothing for a transcript without text', async () => {
    const silent: Transcript = { language: 'en', duration: 60, segments: [], text: '' };
    expect(await summarise(silent, deps(3000))).toEqual({ summary: '', keyPoints: [], model: '' });
    expect(await polish(silent, deps(3000))).toEqual({ transcript: silent, fallbacks: 0 });
    expect(fake.requests).toHaveLength(0);
  });

  it('polishes a three-hour transcript window by window, keeping every segment and its timings', async () => {
    const transcript = threeHours();
    const { transcript: polished, fallbacks } = await polish(transcript, deps(3000));
    expect(fallbacks).toBe(0);
    expect(fake.requests.length).toBeGreaterThan(10);
    for (const r of fake.requests) {
      expect(r.kind).toBe('polish');
      expect(r.tokens).toBeLessThanOrEqual(3000);
    }
    // Windows cut on segment boundaries and cover each segment once.
    const sent = fake.requests.flatMap((r) => (JSON.parse(r.user) as Array<{ id: number }>).map((s) => s.id));
    expect(sent).toEqual(transcript.segments.map((_, i) => i));
    expect(polished.segments).toHaveLength(transcript.segments.length);
    polished.segments.forEach((s, i) => {
      const original = transcript.segments[i] as Segment;
      expect(s.text).toBe(polishText(original.text));
      expect([s.start, s.end]).toEqual([original.start, original.end]);
      // Re-timed evenly across the span, in order.
      expect(s.words.map((w) => w.word).join(' ')).toBe(s.text);
      expect(s.words[0]?.start).toBe(original.start);
      expect(s.words.at(-1)?.end).toBe(original.end);
      for (const w of s.words) expect(w.end).toBeGreaterThan(w.start);
    });
    expect(polished.text).toBe(fullText(polished.segments));
    expect(polished.duration).toBe(10_800);
    expect(progress.at(-1)).toMatchObject({ stage: 'polishing', totalWindows: fake.requests.length });
  });

  it('keeps the original text where the answer is unusable', async () => {
    const transcript = { ...threeHours(), segments: threeHours().segments.slice(0, 6) };
    fake.dropIds.add(1);
    fake.dropIds.add(4);
    const { transcript: polished, fallbacks } = await polish(transcript, deps(3000));
    expect(fallbacks).toBe(2);
    expect(polished.segments[1]).toEqual(transcript.segments[1]);
    expect(polished.segments[4]).toEqual(transcript.segments[4]);
    expect(polished.segments[0]?.text).toBe(polishText(transcript.segments[0]?.text ?? ''));
    // An answer that is not the JSON asked for changes nothing.
    fake.faults = [{ kind: 'garbage', text: 'Sorry, I cannot help with that.' }];
    const again = await polish(transcript, deps(3000));
    expect(again.fallbacks).toBe(6);
    expect(again.transcript.segments).toEqual(transcript.segments);
  });

  it('packs text within the budget, cutting oversized pieces', () => {
    const long = 'word '.repeat(400).trim();
    const groups = packText(['short one', long, 'tail'], 100);
    for (const g of groups) expect(estimateTokens(g)).toBeLessThanOrEqual(100);
    expect(groups.join(' ')).toBe(`short one ${long} tail`);
    expect(estimateTokens('héllo')).toBe(1 + 1);
    expect(estimateTokens('日本語')).toBe(3);
  });
});
