import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmError } from '../../src/core/errors/index.js';
import { LlmClient, type LlmSettings } from '../../src/postprocess/llm-client.js';
import { POLISH_PROMPT } from '../../src/postprocess/polish.js';
import { FakeLlm, polishText } from '../helpers/fake-llm.js';

/**
 * LlmClient against a loopback chat-completions server: these tests verify the protocol and the
 * retry policy, not any model's output.
 */
describe('LlmClient', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await FakeLlm.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults = [];
    fake.always = null;
  });

  const settings = (over: Partial<LlmSettings> = {}): LlmSettings => ({
    llmBaseUrl: fake.url,
    llmApiKey: 'sk-test',
    llmModel: 'tiny-model',
    // Long enough that a loaded machine never trips it; the timeout tests set their own.
    llmTimeoutMs: 5000,
    llmRetries: 2,
    llmRetryBaseMs: 10,
    llmStream: true,
    ...over,
  });
  const request = { system: POLISH_PROMPT, user: JSON.stringify([{ id: 0, text: 'hello there' }]), maxTokens: 100 };
  const expected = JSON.stringify({ segments: [{ id: 0, text: polishText('hello there') }] });
  const chat = (over: Partial<LlmSettings> = {}) =>
    new LlmClient(settings(over)).chat(request, new AbortController().signal);

  it('streams an answer: model, key and max_tokens sent; the text reassembled from the chunks', async () => {
    const answer = await chat();
    expect(answer.text).toContain(expected);
    expect(answer).toMatchObject({ model: 'tiny-model', finishReason: 'stop' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      kind: 'polish',
      stream: true,
      model: 'tiny-model',
      maxTokens: 100,
      authorization: 'Bearer sk-test',
    });
  });

  it('reads a plain JSON answer when streaming is off', async () => {
    const answer = await chat({ llmStream: false });
    expect(answer.text).toContain(expected);
    expect(fake.requests[0]?.stream).toBe(false);
  });

  it.each([429, 500, 503])('retries after HTTP %i, then succeeds', async (status) => {
    fake.faults = [{ kind: 'status', status }];
    const answer = await chat();
    expect(answer.text).toContain(expected);
    expect(fake.requests.map((r) => r.fault?.kind ?? 'ok')).toEqual(['status', 'ok']);
  });

  it('honours Retry-After on a 429', async () => {
    fake.faults = [{ kind: 'status', status: 429, retryAfter: '0.3' }];
    const started = Date.now();
    await chat({ llmRetryBaseMs: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fake.requests).toHaveLength(2);
  });

  it('fails at once on a 4xx that another try would not fix', async () => {
    fake.faults = [{ kind: 'status', status: 401 }];
    await expect(chat()).rejects.toMatchObject({ code: 'llm_rejected', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up with llm_unavailable after the retries when the server keeps failing', async () => {
    fake.always = { kind: 'status', status: 500 };
    const err = await chat().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: 'llm_unavailable', status: 502 });
    expect((err as Error).message).toContain('HTTP 500');
    expect(fake.requests).toHaveLength(3);
  });

  it('times out a server that never answers, retries, then fails with llm_timeout', async () => {
    fake.always = { kind: 'hang' };
    await expect(chat({ llmTimeoutMs: 150 })).rejects.toMatchObject({ code: 'llm_timeout' });
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a stream cut off mid-answer (connection dropped, or ended without a finish reason)', async () => {
    fake.faults = [{ kind: 'cut' }, { kind: 'end-early' }];
    const answer = await chat();
    expect(answer.text).toContain(expected);
    expect(fake.requests.map((r) => r.fault?.kind ?? 'ok')).toEqual(['cut', 'end-early', 'ok']);
  });

  it.each(['cut', 'end-early'] as const)(
    'fails with llm_stream_cut when every stream is cut off (%s)',
    async (kind) => {
      fake.always = { kind };
      await expect(chat({ llmRetries: 1 })).rejects.toMatchObject({ code: 'llm_stream_cut' });
      expect(fake.requests).toHaveLength(2);
    },
  );

  it('lets a slow model that keeps streaming run past the timeout (the timeout is idle time)', async () => {
    // 40-character pieces 80 ms apart: well over 1 s in all, never near 1 s silent.
    fake.faults = [{ kind: 'slow', gapMs: 80 }];
    const segments = Array.from({ length: 24 }, (_, id) => ({ id, text: `segment number ${id} of the test` }));
    const started = Date.now();
    const answer = await new LlmClient(settings({ llmTimeoutMs: 1000, llmRetries: 0 })).chat(
      { ...request, user: JSON.stringify(segments) },
      new AbortController().signal,
    );
    expect(answer.text).toContain(polishText(segments[23]?.text ?? ''));
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(fake.requests).toHaveLength(1);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    fake.always = { kind: 'hang' };
    const ac = new AbortController();
    const pending = new LlmClient(settings({ llmTimeoutMs: 10_000 })).chat(request, ac.signal);
    await expect.poll(() => fake.requests.length).toBe(1);
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(fake.requests).toHaveLength(1);
  });
});
