import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, EngineConfigError, EngineError } from '../../src/core/errors/index.js';
import { OpenAiEngine } from '../../src/engines/openai/openai.engine.js';

/**
 * These tests run the engine against a loopback HTTP server that checks the request and answers
 * with canned verbose_json. They test the wire protocol and the mapping of the answer, not
 * recognition: no speech model is involved.
 */

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  form: FormData;
}

type Handler = (req: Received, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // undici's multipart parser, via the Fetch API's Response.formData().
      const body = new Response(Buffer.concat(chunks), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      });
      body.formData().then(
        (form) => {
          const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, form };
          received.push(r);
          handler(r, res);
        },
        () => {
          res.writeHead(400).end('not multipart');
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** One second of a 440 Hz tone: content is irrelevant to the protocol, length is checked. */
const pcm = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)));

describe('OpenAiEngine protocol (loopback server, canned answers; not a recognition test)', () => {
  it('POSTs the chunk as a 16 kHz mono WAV in multipart form with verbose_json and word timestamps', async () => {
    handler = (_req, res) => json(res, 200, { text: '', segments: [], words: [] });
    const engine = new OpenAiEngine({ baseUrl, apiKey: 'sk-test', model: 'whisper-1' });
    await engine.load();
    expect(await engine.recognize(pcm, { language: 'en-US' })).toEqual([]);

    const [req] = received as [Received];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/audio/transcriptions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.form.get('model')).toBe('whisper-1');
    expect(req.form.get('response_format')).toBe('verbose_json');
    expect(req.form.getAll('timestamp_granularities[]')).toEqual(['word', 'segment']);
    expect(req.form.get('language')).toBe('en');
    const file = req.form.get('file') as File;
    expect(file.name).toBe('chunk.wav');
    const wav = Buffer.from(await file.arrayBuffer());
    expect(wav.length).toBe(44 + pcm.length * 2);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([
      1, 1, 16000, 16,
    ]);
    expect(wav.readInt16LE(44 + 2 * 100)).toBe(pcm[100]);
  });

  it('omits the language for "auto" and the Authorization header without a key', async () => {
    handler = (_req, res) => json(res, 200, { text: '' });
    await new OpenAiEngine({ baseUrl: `${baseUrl}/`, model: 'm' }).recognize(pcm, { language: 'auto' });
    const [req] = received as [Received];
    expect(req.form.has('language')).toBe(false);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('maps segments and words onto Segment[], clamped to the chunk, with confidences in [0, 1]', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        task: 'transcribe',
        language: 'english',
        duration: 1,
        text: ' Hello there. General Kenobi.',
        segments: [
          { id: 0, start: 0, end: 0.5, text: ' Hello there.', avg_logprob: -0.2 },
          { id: 1, start: 0.5, end: 1.4, text: ' General Kenobi.', avg_logprob: 0.3 },
        ],
        words: [
          { word: ' Hello', start: 0, end: 0.2 },
          { word: 'there', start: 0.2, end: 0.45, probability: 0.9 },
          { word: 'General', start: 0.5, end: 0.8 },
          { word: 'Kenobi', start: 0.8, end: 1.3 },
          { word: 'broken' },
        ],
      });
    const segments = await new OpenAiEngine({ baseUrl, model: 'm' }).recognize(pcm, { language: 'en' });
    expect(segments).toEqual([
      {
        start: 0,
        end: 0.5,
        text: 'Hello there.',
        words: [
          { word: 'Hello', start: 0, end: 0.2, confidence: Math.exp(-0.2) },
          { word: 'there', start: 0.2, end: 0.45, confidence: 0.9 },
        ],
      },
      {
        start: 0.5,
        end: 1,
        text: 'General Kenobi.',
        words: [
          { word: 'General', start: 0.5, end: 0.8, confidence: 1 },
          { word: 'Kenobi', start: 0.8, end: 1, confidence: 1 },
        ],
      },
    ]);
  });

  it('makes one segment from words alone, or from text alone', async () => {
    const engine = new OpenAiEngine({ baseUrl, model: 'm' });
    handler = (_req, res) =>
      json(res, 200, {
        text: 'hi you',
        words: [
          { word: 'hi', start: 0.1, end: 0.3 },
          { word: 'you', start: 0.3, end: 0.6 },
        ],
      });
    expect(await engine.recognize(pcm, { language: 'en' })).toEqual([
      {
        start: 0.1,
        end: 0.6,
        text: 'hi you',
        words: [
          { word: 'hi', start: 0.1, end: 0.3, confidence: 1 },
          { word: 'you', start: 0.3, end: 0.6, confidence: 1 },
        ],
      },
    ]);
    handler = (_req, res) => json(res, 200, { text: ' just text ' });
    expect(await engine.recognize(pcm, { language: 'en' })).toEqual([
      { start: 0, end: 1, text: 'just text', words: [] },
    ]);
  });

  it('turns 5xx and 429 into retryable EngineError, other 4xx into non-retryable EngineConfigError', async () => {
    const engine = new OpenAiEngine({ baseUrl, model: 'm' });
    for (const [status, kind, retryable] of [
      [500, EngineError, true],
      [503, EngineError, true],
      [429, EngineError, true],
      [401, EngineConfigError, false],
      [404, EngineConfigError, false],
    ] as const) {
      handler = (_req, res) => json(res, status, { error: { message: `status ${status}` } });
      const err = await engine.recognize(pcm, { language: 'en' }).catch((e: unknown) => e);
      expect(err, String(status)).toBeInstanceOf(kind);
      expect((err as EngineError).retryable).toBe(retryable);
      expect((err as Error).message).toContain(`status ${status}`);
    }
  });

  it('rejects a non-JSON answer with EngineError', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy error</html>');
    await expect(new OpenAiEngine({ baseUrl, model: 'm' }).recognize(pcm, { language: 'en' })).rejects.toThrow(
      /non-JSON/,
    );
  });

  it('times out a server that never answers with EngineError', async () => {
    handler = () => {};
    const err = await new OpenAiEngine({ baseUrl, model: 'm', timeoutMs: 300 })
      .recognize(pcm, { language: 'en' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toMatch(/within 300 ms/);
  });

  it('stops at once with AbortedError when the signal fires, hanging up the request in flight', async () => {
    let arrived = (): void => {};
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let hungUp = (): void => {};
    const closed = new Promise<void>((resolve) => {
      hungUp = resolve;
    });
    // Never answers; tells the test when the request is in and when the client hangs up.
    handler = (_req, res) => {
      res.on('close', hungUp);
      arrived();
    };
    const controller = new AbortController();
    // A timeout past the test's own: only the abort can end this call in time.
    const call = new OpenAiEngine({ baseUrl, model: 'm', timeoutMs: 600_000 }).recognize(pcm, {
      language: 'en',
      signal: controller.signal,
    });
    await reached;
    controller.abort('cancelled');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    await closed;
  });

  it('reports an unreachable server as EngineError and a bad configuration up front', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      new OpenAiEngine({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' }).recognize(pcm, { language: 'en' }),
    ).rejects.toBeInstanceOf(EngineError);
    expect(() => new OpenAiEngine({ baseUrl: 'not a url', model: 'm' })).toThrow(EngineConfigError);
    expect(() => new OpenAiEngine({ baseUrl, model: ' ' })).toThrow(EngineConfigError);
  });
});
