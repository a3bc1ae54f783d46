import { EngineConfigError, EngineError } from '../../core/errors/index.js';
import { SAMPLE_RATE } from '../../core/task.js';
import type { Segment, Word } from '../../core/transcript.js';
import { abortedError, throwIfAborted } from '../abort.js';
import type { Engine, RecognizeOptions } from '../engine.js';
import { encodeWav } from './wav.js';

/** OpenAI's upload limit; other servers are at least as generous in practice. 25 MB is ~13 min of PCM. */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** A transcription reply for one chunk is kilobytes; anything this big is not one. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface OpenAiEngineOptions {
  /** API root including the version, e.g. "https://api.openai.com/v1" or "http://localhost:8000/v1". */
  baseUrl: string;
  /** Sent as a Bearer token; local servers often need none. */
  apiKey?: string;
  /** Model name the server knows, e.g. "whisper-1" or "Systran/faster-whisper-small". */
  model: string;
  /** Per-chunk request deadline, upload included. Default 120 s. */
  timeoutMs?: number;
}

/**
 * Any server speaking OpenAI's POST /audio/transcriptions (OpenAI itself, faster-whisper-server /
 * speaches, LocalAI, vLLM, ...). Each chunk goes out as an in-memory WAV file and comes back as
 * verbose_json with word timestamps. Network failures, timeouts, 408/429 and 5xx are EngineError
 * (retried); other 4xx mean a wrong URL, key or model and are EngineConfigError (not retried).
 */
export class OpenAiEngine implements Engine {
  readonly name = 'openai';
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: OpenAiEngineOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    } catch (err) {
      throw new EngineConfigError(`openai engine: invalid base URL "${options.baseUrl}"`, err);
    }
    if (options.model.trim() === '') throw new EngineConfigError('openai engine: a model name is required');
    this.url = new URL('audio/transcriptions', base).toString();
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Nothing to load: the model lives on the server, and not every server lists it at /models. */
  async load(): Promise<void> {}

  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    throwIfAborted(opts.signal);
    if (pcm.length === 0) return [];
    const wav = encodeWav(pcm);
    if (wav.length > MAX_UPLOAD_BYTES) {
      throw new EngineConfigError(`chunk of ${pcm.length / SAMPLE_RATE} s exceeds the 25 MB upload limit`);
    }
    const form = new FormData();
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'chunk.wav');
    form.append('model', this.options.model);
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
    form.append('temperature', '0');
    const language = opts.language.toLowerCase().split(/[-_]/)[0];
    if (language && language !== 'auto') form.append('language', language);

    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string;
    let status: number;
    try {
      const res = await fetch(this.url, { method: 'POST', body: form, headers, signal });
      status = res.status;
      body = await readBounded(res);
    } catch (err) {
      if (opts.signal?.aborted) throw abortedError(opts.signal);
      if (timeout.aborted)
        throw new EngineError(`openai engine: no answer from ${this.url} within ${this.timeoutMs} ms`);
      if (err instanceof EngineError) throw err;
      throw new EngineError(`openai engine: request to ${this.url} failed: ${(err as Error).message}`, err);
    }
    if (status < 200 || status >= 300) {
      const detail = `${this.url} answered ${status}: ${body.slice(0, 300)}`;
      if (status >= 500 || status === 408 || status === 429) throw new EngineError(`openai engine: ${detail}`);
      throw new EngineConfigError(`openai engine: ${detail} (check the base URL, API key and model)`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new EngineError(`openai engine: ${this.url} answered non-JSON: ${body.slice(0, 200)}`);
    }
    if (typeof json !== 'object' || json === null) throw new EngineError('openai engine: answer is not a JSON object');
    return toSegments(json as VerboseJson, pcm.length / SAMPLE_RATE);
  }

  async release(): Promise<void> {}
}

async function readBounded(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      throw new EngineError(`openai engine: answer larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The verbose_json fields we read; every one is checked before use, servers differ. */
interface VerboseJson {
  text?: unknown;
  words?: unknown;
  segments?: unknown;
}

interface ApiSegment {
  start: number;
  end: number;
  text: string;
  confidence: number | undefined;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const clamp01 = (v: number): number => Math.min(Math.max(v, 0), 1);

/**
 * Maps verbose_json onto Earshot segments in chunk time: each API segment keeps the words that
 * start inside it. Word confidence is the word's `probability` where the server gives one
 * (faster-whisper does), else exp(avg_logprob) of its segment, else 1 (OpenAI gives neither).
 */
export function toSegments(json: VerboseJson, chunkSeconds: number): Segment[] {
  const time = (t: number): number => Math.min(Math.max(t, 0), chunkSeconds);
  const apiSegments: ApiSegment[] = (Array.isArray(json.segments) ? json.segments : [])
    .filter((s): s is { start: number; end: number; text: string; avg_logprob?: unknown } => {
      return typeof s === 'object' && s !== null && num(s.start) && num(s.end) && typeof s.text === 'string';
    })
    .map((s) => ({
      start: time(s.start),
      end: time(Math.max(s.end, s.start)),
      text: s.text.trim(),
      confidence: num(s.avg_logprob) ? clamp01(Math.exp(s.avg_logprob)) : undefined,
    }));
  const rawWords = (Array.isArray(json.words) ? json.words : []).filter(
    (w): w is { word: string; start: number; end: number; probability?: unknown } =>
      typeof w === 'object' && w !== null && typeof w.word === 'string' && num(w.start) && num(w.end),
  );
  const text = typeof json.text === 'string' ? json.text.trim() : '';

  if (apiSegments.length === 0) {
    const words = rawWords.map((w) => toWord(w, undefined, time)).filter((w) => w.word.length > 0);
    const first = words[0];
    const last = words[words.length - 1];
    const segText = text || words.map((w) => w.word).join(' ');
    if (segText === '') return [];
    return [{ start: first?.start ?? 0, end: last?.end ?? chunkSeconds, text: segText, words }];
  }
  const grouped: Word[][] = apiSegments.map(() => []);
  for (const w of rawWords) {
    // The last segment starting at or before the word (first segment for a word before all of them).
    let i = 0;
    while (i + 1 < apiSegments.length && apiSegments[i + 1].start <= w.start) i++;
    const word = toWord(w, apiSegments[i].confidence, time);
    if (word.word.length > 0) grouped[i].push(word);
  }
  return apiSegments
    .map((s, i) => ({ start: s.start, end: s.end, text: s.text, words: grouped[i] }))
    .filter((s) => s.text.length > 0 || s.words.length > 0);
}

function toWord(
  w: { word: string; start: number; end: number; probability?: unknown },
  segmentConfidence: number | undefined,
  time: (t: number) => number,
): Word {
  return {
    word: w.word.trim(),
    start: time(w.start),
    end: time(Math.max(w.end, w.start)),
    confidence: num(w.probability) ? clamp01(w.probability) : (segmentConfidence ?? 1),
  };
}
