import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { parseSync } from 'subtitle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, clip, form, type Json, json, TRANSCRIPT, upload } from './support.js';

describe('library API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({
      users: [{ name: 'alice' }, { name: 'bob' }, { name: 'root', role: 'admin' }, { name: 'carol' }],
    });
  });
  afterAll(async () => {
    await s.close();
  });

  /** A finished task of `user` straight in the store (as a saved live session is), optionally titled. */
  async function finished(
    user: string,
    sourceName: string,
    title: string | null = null,
    transcript: Transcript = TRANSCRIPT,
  ): Promise<string> {
    const userId = s.users[user]?.id ?? '';
    const id = randomUUID();
    await s.store.addFinished(
      {
        id,
        userId,
        priority: 0,
        sourceName,
        mediaPath: path.join(s.dataDir, 'media', id, 'input.wav'),
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: null,
      },
      transcript,
    );
    if (title !== null) await s.store.setTitle(id, { admin: true }, title);
    return id;
  }

  const get = async (id: string, user = 'alice'): Promise<Response> =>
    call(s, 'GET', `/v1/tasks/${id}`, { token: s.tokens[user] });
  const patch = (id: string, body: unknown, user = 'alice') =>
    call(s, 'PATCH', `/v1/tasks/${id}`, { token: s.tokens[user], body });
  const list = async (query: string, user = 'alice'): Promise<Json> => {
    const res = await call(s, 'GET', `/v1/tasks?${query}`, { token: s.tokens[user] });
    expect(res.status, await res.clone().text()).toBe(200);
    return json(res);
  };

  describe('titles', () => {
    it('an upload takes a title field; PATCH sets, trims and clears it; the transcript stays as it was', async () => {
      const up = await upload(s, 'alice', { title: '  Team sync  ' }, 'sync.wav');
      expect(up).toMatchObject({ title: 'Team sync', source_name: 'sync.wav', word_count: null });
      expect((await upload(s, 'alice', { title: '   ' })).title).toBeNull();
      // A title too long is refused before anything is stored: no task appears.
      const tasksBefore = (await list('limit=100')).total;
      const refused = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: form(await clip(), 'long.wav', { title: 'x'.repeat(201) }),
      });
      expect(refused.status).toBe(400);
      expect(await json(refused)).toMatchObject({ error: { code: 'invalid_request' } });
      expect((await list('limit=100')).total).toBe(tasksBefore);

      const res = await patch(up.id, { title: ' Weekly sync ' });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ id: up.id, title: 'Weekly sync', source_name: 'sync.wav' });
      expect(await json(await get(up.id))).toMatchObject({ title: 'Weekly sync' });
      expect(await json(await patch(up.id, { title: '' }))).toMatchObject({ title: null });
      expect(await json(await patch(up.id, { title: 'Again' }))).toMatchObject({ title: 'Again' });
      expect(await json(await patch(up.id, { title: null }))).toMatchObject({ title: null });

      const done = await finished('alice', 'talk.wav');
      const before = await (await call(s, 'GET', `/v1/tasks/${done}/transcript`, { token: s.tokens.alice })).text();
      expect(await json(await patch(done, { title: 'A talk' }))).toMatchObject({ title: 'A talk', word_count: 4 });
      const after = await (await call(s, 'GET', `/v1/tasks/${done}/transcript`, { token: s.tokens.alice })).text();
      expect(after).toBe(before);
    });

    it("refuses a title too long (400) and another user's task (404, unchanged)", async () => {
      const id = await finished('alice', 'mine.wav', 'Mine');
      const long = await patch(id, { title: 'x'.repeat(201) });
      expect(long.status).toBe(400);
      expect(await json(long)).toMatchObject({ error: { code: 'invalid_request' } });
      expect((await patch(id, { title: 'x'.repeat(200) })).status).toBe(200);
      expect((await patch(id, { name: 'x' })).status).toBe(400);
      expect((await patch(id, {})).status).toBe(400);
      const foreign = await patch(id, { title: 'Hijacked' }, 'bob');
      expect(foreign.status).toBe(404);
      expect(await json(foreign)).toMatchObject({ error: { code: 'not_found' } });
      expect((await patch('no-such-task', { title: 'x' })).status).toBe(404);
      expect(await json(await get(id))).toMatchObject({ title: 'x'.repeat(200) });
    });
  });

  describe('list', () => {
    it('filters by q and creation time and sorts by every key, over HTTP', async () => {
      const user = 'carol';
      const t0 = Date.now();
      const b = await finished(user, 'b-file.wav', 'Bravo 100%');
      const a = await finished(user, 'zulu.wav', null, {
        ...TRANSCRIPT,
        segments: TRANSCRIPT.segments.slice(0, 1),
        duration: 1,
      });
      await finished('bob', 'bravo-bob.wav');
      const at = (await json(await get(a, user))).created_at as string;

      const all = await list('sort=title&order=asc', user);
      expect(all.tasks.map((t: Json) => t.id)).toEqual([b, a]);
      expect(all.tasks[0]).toMatchObject({ title: 'Bravo 100%', word_count: 4 });
      expect(all.tasks[1]).toMatchObject({ title: null, word_count: 2, duration_seconds: 1 });
      expect((await list('sort=words&order=desc', user)).tasks.map((t: Json) => t.id)).toEqual([b, a]);
      expect((await list('sort=duration&order=asc', user)).tasks.map((t: Json) => t.id)).toEqual([a, b]);

      const q = await list(`q=${encodeURIComponent('BRAVO 100%')}`, user);
      expect(q.tasks.map((t: Json) => t.id)).toEqual([b]);
      expect(q.total).toBe(1);
      expect(q.counts).toMatchObject({ succeeded: 1, queued: 0 });
      expect((await list('q=_', user)).total).toBe(0);
      expect((await list('q=ZULU', user)).tasks.map((t: Json) => t.id)).toEqual([a]);
      expect((await list('q=%20zulu%20', user)).tasks.map((t: Json) => t.id)).toEqual([a]);
      expect((await list('q=%20%20', user)).total).toBe(2);
      expect((await list(`from=${encodeURIComponent(at)}`, user)).tasks.map((t: Json) => t.id)).toContain(a);
      const past = new Date(t0 - 86_400_000).toISOString().slice(0, 10);
      expect((await list(`to=${past}`, user)).total).toBe(0);
      const since = await list(`from=${past}&sort=created&order=asc`, user);
      expect(since.tasks.map((t: Json) => t.id).sort()).toEqual([a, b].sort());

      for (const bad of [
        `q=${'x'.repeat(201)}`,
        'from=yesterday',
        'to=2026-13-45',
        'from=2026-01-01T10:00',
        'sort=size',
        'order=up',
      ]) {
        const res = await call(s, 'GET', `/v1/tasks?${bad}`, { token: s.tokens[user] });
        expect(res.status, bad).toBe(400);
      }
    });
  });

  describe('bulk delete', () => {
    it("deletes the caller's tasks as DELETE does; foreign and missing ids are not_found and stay", async () => {
      const mine = await upload(s, 'alice', {}, 'one.wav');
      const alsoMine = await finished('alice', 'two.wav');
      const bobs = await upload(s, 'bob', {}, 'bobs.wav');
      const res = await call(s, 'POST', '/v1/tasks/delete', {
        token: s.tokens.alice,
        body: { ids: [mine.id, bobs.id, 'no-such-task', alsoMine] },
      });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({ deleted: [mine.id, alsoMine], not_found: [bobs.id, 'no-such-task'] });
      expect((await get(mine.id)).status).toBe(404);
      expect((await get(alsoMine)).status).toBe(404);
      await expect(stat(path.join(s.dataDir, 'media', mine.id))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await get(bobs.id, 'bob')).status).toBe(200);
      await expect(stat(path.join(s.dataDir, 'media', bobs.id))).resolves.toBeDefined();
      const deleted = await s.store.readEvents(0, 1000, { taskId: mine.id });
      expect(deleted.at(-1)?.type).toBe('deleted');
      // Admins delete anybody's.
      const byAdmin = await call(s, 'POST', '/v1/tasks/delete', { token: s.tokens.root, body: { ids: [bobs.id] } });
      expect(await json(byAdmin)).toEqual({ deleted: [bobs.id], not_found: [] });
    });

    it('refuses no ids, repeated ids and more than 100 (400)', async () => {
      const ids101 = Array.from({ length: 101 }, (_, i) => `t${i}`);
      for (const ids of [[], ['a', 'a'], ids101]) {
        const res = await call(s, 'POST', '/v1/tasks/delete', { token: s.tokens.alice, body: { ids } });
        expect(res.status).toBe(400);
        expect(await json(res)).toMatchObject({ error: { code: 'invalid_request' } });
      }
      const hundred = await call(s, 'POST', '/v1/tasks/delete', {
        token: s.tokens.alice,
        body: { ids: ids101.slice(0, 100) },
      });
      expect(await json(hundred)).toMatchObject({ deleted: [], not_found: ids101.slice(0, 100) });
    });
  });

  describe('export', () => {
    const exportZip = (body: unknown, user = 'alice') =>
      call(s, 'POST', '/v1/tasks/export', { token: s.tokens[user], body });

    it('streams a zip: one entry per finished task named from title or file, deduplicated, SKIPPED.txt for the rest', async () => {
      const first = await finished('alice', 'rec1.wav', 'Board: Q3/Q4 review');
      const second = await finished('alice', 'rec2.wav', 'board: q3/q4 review');
      const untitled = await finished('alice', 'interview.final.mp3');
      const queued = await upload(s, 'alice', {}, 'pending.wav');
      const bobs = await finished('bob', 'secret.wav', 'Secret');
      const res = await exportZip({ ids: [first, second, queued.id, untitled, bobs, 'missing'], format: 'srt' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/zip');
      expect(res.headers.get('content-disposition')).toContain('attachment; filename="earshot-transcripts.zip"');
      const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
      expect(Object.keys(files)).toEqual([
        'Board_ Q3_Q4 review.srt',
        'board_ q3_q4 review (2).srt',
        'interview.final.srt',
        'SKIPPED.txt',
      ]);
      for (const name of Object.keys(files).slice(0, 3)) {
        const cues = parseSync(new TextDecoder().decode(files[name]));
        expect(cues.length, name).toBeGreaterThan(0);
        const texts = cues.map((c) => (c.type === 'cue' ? c.data.text : '')).join(' ');
        expect(texts).toContain('hello world');
      }
      const skipped = new TextDecoder().decode(files['SKIPPED.txt']);
      expect(skipped).toContain(`${queued.id}\tnot finished`);
      expect(skipped).toContain(`${bobs}\tnot found`);
      expect(skipped).toContain('missing\tnot found');
      expect(skipped).not.toContain(first);
    });

    it('renders every format; no SKIPPED.txt when all were exported', async () => {
      const id = await finished('alice', 'talk.wav', 'Talk');
      for (const format of ['txt', 'vtt', 'json'] as const) {
        const res = await exportZip({ ids: [id], format });
        expect(res.status).toBe(200);
        const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
        expect(Object.keys(files)).toEqual([`Talk.${format}`]);
        const text = new TextDecoder().decode(files[`Talk.${format}`]);
        if (format === 'json') expect(JSON.parse(text)).toMatchObject({ text: TRANSCRIPT.text });
        else if (format === 'vtt') expect(text.startsWith('WEBVTT')).toBe(true);
        else expect(text).toContain('hello world');
      }
    });

    it('409 not_ready when nothing can be exported; 400 on more than 100 ids or an unknown format', async () => {
      const queued = await upload(s, 'alice', {}, 'waiting.wav');
      const bobs = await finished('bob', 'b.wav');
      const res = await exportZip({ ids: [queued.id, bobs], format: 'txt' });
      expect(res.status).toBe(409);
      expect(await json(res)).toMatchObject({ error: { code: 'not_ready' } });
      const many = Array.from({ length: 101 }, (_, i) => `t${i}`);
      expect((await exportZip({ ids: many, format: 'txt' })).status).toBe(400);
      expect((await exportZip({ ids: [bobs], format: 'docx' })).status).toBe(400);
      expect((await exportZip({ ids: [bobs] })).status).toBe(400);
    });
  });
});
