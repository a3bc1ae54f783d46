import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, type Json, json, TRANSCRIPT, upload, work } from './support.js';

/** A transcript whose segments are `texts`, 2 s each. */
function transcriptOf(...texts: string[]): Transcript {
  return {
    language: 'en',
    duration: texts.length * 2,
    segments: texts.map((text, i) => ({ start: i * 2, end: i * 2 + 1.5, text, words: [] })),
    text: texts.join(' '),
  };
}

describe('search API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const search = async (user: string | null, query: string) =>
    call(s, 'GET', `/v1/search?${query}`, { token: user === null ? null : s.tokens[user] });
  const hitsOf = async (user: string, q: string, extra = ''): Promise<Json[]> => {
    const res = await search(user, `q=${encodeURIComponent(q)}${extra}`);
    expect(res.status, q).toBe(200);
    return (await json<Json>(res)).hits;
  };
  const finished = async (user: string, sourceName: string, t: Transcript) =>
    s.store.addFinished(
      {
        id: randomUUID(),
        userId: s.users[user]?.id ?? '',
        priority: 0,
        sourceName,
        mediaPath: '/nowhere',
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: t.duration,
      },
      t,
    );

  it('finds a task as soon as it succeeds, with times and a marked snippet; DELETE removes it', async () => {
    const task = await upload(s, 'alice', {}, 'standup.wav');
    await work(s.store, task.id, 'chunk0');
    expect(await hitsOf('alice', 'hello')).toEqual([]);
    expect(await s.store.complete(task.id, 'w1', TRANSCRIPT)).toBe(true);
    const hits = await hitsOf('alice', 'HELLO');
    expect(hits).toEqual([
      { task_id: task.id, source_name: 'standup.wav', segment_index: 0, start: 0, end: 1.2, snippet: '«hello» world' },
    ]);
    expect((await call(s, 'DELETE', `/v1/tasks/${task.id}`, { token: s.tokens.alice })).status).toBe(204);
    expect(await hitsOf('alice', 'hello')).toEqual([]);
  });

  it("searches only the caller's transcripts; admins their own unless all=true", async () => {
    const t = await finished('bob', 'bob.wav', transcriptOf('the walrus sings at dawn'));
    expect(await hitsOf('alice', 'walrus')).toEqual([]);
    expect((await hitsOf('bob', 'walrus')).map((h) => h.task_id)).toEqual([t.id]);
    expect(await hitsOf('root', 'walrus')).toEqual([]);
    expect((await hitsOf('root', 'walrus', '&all=true')).map((h) => h.task_id)).toEqual([t.id]);
    const res = await search('bob', 'q=walrus&all=true');
    expect(res.status).toBe(403);
    expect((await json<Json>(res)).error.code).toBe('forbidden');
    expect((await search(null, 'q=walrus')).status).toBe(401);
  });

  it('matches quoted phrases only as written', async () => {
    await finished('alice', 'phr.wav', transcriptOf('open source software', 'software is open to all'));
    expect((await hitsOf('alice', '"open source"')).map((h) => h.segment_index)).toEqual([0]);
    expect((await hitsOf('alice', 'open software')).map((h) => h.segment_index).sort()).toEqual([0, 1]);
    expect(await hitsOf('alice', '"source open"')).toEqual([]);
  });

  it('pages with next_offset, without overlap', async () => {
    await finished('alice', 'pages.wav', transcriptOf(...Array.from({ length: 5 }, (_, i) => `giraffe number ${i}`)));
    const seen: number[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const res = await search('alice', `q=giraffe&limit=2&offset=${offset}`);
      expect(res.status).toBe(200);
      const body: Json = await json(res);
      seen.push(...body.hits.map((h: Json) => h.segment_index));
      offset = body.next_offset;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('answers 400 invalid_request for a missing, blank or too long q and a bad limit', async () => {
    for (const query of [
      '',
      'q=',
      'q=%20%20',
      `q=${'a'.repeat(257)}`,
      'q=x&limit=0',
      'q=x&limit=101',
      'q=x&offset=-1',
    ]) {
      const res = await search('alice', query);
      expect(res.status, query).toBe(400);
      const body: Json = await json(res);
      expect(body.error.code, query).toBe('invalid_request');
      expect(typeof body.error.message).toBe('string');
    }
  });

  it('treats operators and punctuation as plain words', async () => {
    await finished('alice', 'ops.wav', transcriptOf('near the tower bridge'));
    for (const q of [
      'NEAR(tower bridge)',
      'tower*',
      '-tower',
      'text:tower',
      '"tower',
      '(tower))',
      'tower OR',
      '***',
      '"',
    ]) {
      const res = await search('alice', `q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
    expect((await hitsOf('alice', 'tower*')).map((h) => h.source_name)).toEqual(['ops.wav']);
    expect(await hitsOf('alice', '***')).toEqual([]);
  });

  it('is in the OpenAPI document with its query bounds', async () => {
    const doc: Json = await json(await fetch(`${s.url}/openapi.json`));
    const op = doc.paths['/v1/search']?.get;
    expect(op).toBeDefined();
    const q = op.parameters.find((p: Json) => p.name === 'q');
    expect(q).toMatchObject({ in: 'query', required: true, schema: { minLength: 1, maxLength: 256 } });
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403']);
  });
});
