import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, clip, form, type Json, json } from './support.js';

let s: TestServer;
afterEach(async () => {
  await s?.close();
});

describe('capabilities API', () => {
  it('GET /v1/capabilities needs a token and names the engine, its languages, formats and limits', async () => {
    s = await startServer({ config: { maxUploadBytes: 5_000_000, maxChunkSeconds: 25 } });
    expect((await call(s, 'GET', '/v1/capabilities')).status).toBe(401);
    const res = await call(s, 'GET', '/v1/capabilities', { token: s.tokens.alice });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      engine: 'pocketsphinx',
      languages: ['en'],
      default_language: 'en',
      formats: ['json', 'srt', 'vtt', 'txt'],
      max_upload_bytes: 5_000_000,
      max_chunk_seconds: { default: 25, min: 2, max: 300 },
      postprocessing: [],
    });
  });

  it('an engine that takes any language reports null, and accepts any code', async () => {
    s = await startServer({ config: { engine: 'openai' } });
    const caps: Json = await json(await call(s, 'GET', '/v1/capabilities', { token: s.tokens.alice }));
    expect(caps).toMatchObject({ engine: 'openai', languages: null });
    const res = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: form(await clip(), 'a.wav', { language: 'de' }),
    });
    expect(res.status).toBe(202);
  });

  it('refuses an upload in a language the engine cannot do with 422 and a sentence, before storing it', async () => {
    s = await startServer();
    for (const language of ['de', 'en-GB', 'zh']) {
      const res = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: form(await clip(), 'a.wav', { language }),
      });
      expect(res.status, language).toBe(422);
      const { error }: Json = await json(res);
      expect(error.code).toBe('unsupported_language');
      expect(error.message).toContain(`"${language}"`);
      expect(error.message).toContain('supported: en');
    }
    const byUrl = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: 'http://example.com/a.wav', language: 'fr' },
    });
    expect(byUrl.status).toBe(422);
    // Nothing was kept of the refused uploads.
    expect(await readdir(path.join(s.dataDir, 'media')).catch(() => [])).toEqual([]);
    // The engine's own aliases still pass.
    for (const language of ['en', 'en-US', 'auto']) {
      const ok = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: form(await clip(), 'a.wav', { language }),
      });
      expect(ok.status, language).toBe(202);
    }
  });
});
