import { randomUUID } from 'node:crypto';
import { parseSync } from 'subtitle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebVTTParser } from 'webvtt-parser';
import htmlEntities from 'webvtt-parser/html-entities.json' with { type: 'json' };
import type { Transcript } from '../../src/core/transcript.js';
import { applyEdits, type EditOp } from '../../src/core/transcript-edit.js';
import { buildCues } from '../../src/formats/captions.js';
import { canonicalTranscript } from '../../src/formats/json.js';
import { cuesOf, expectCaptionRules } from '../formats/caption-rules.js';
import { syntheticTranscript } from '../formats/synthetic-transcript.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, type Json, json, upload, work } from './support.js';

/** The machine transcript every test edits: realistic timings, some text-only segments. */
const MACHINE = syntheticTranscript({ words: 300, seed: 5 });
/** A segment with word timings (the fix below keeps its word count). */
const FIXED = MACHINE.segments.findIndex((s) => s.words.length >= 3);

describe('transcript editing API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const finished = async (user = 'alice', t: Transcript = MACHINE) =>
    s.store.addFinished(
      {
        id: randomUUID(),
        userId: s.users[user]?.id ?? '',
        priority: 0,
        sourceName: 'talk.wav',
        mediaPath: '/nowhere',
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: t.duration,
      },
      t,
    );
  const patch = (id: string, operations: unknown[], headers: Record<string, string> = {}, user = 'alice') =>
    call(s, 'PATCH', `/v1/tasks/${id}/transcript`, { token: s.tokens[user], body: { operations }, headers });
  const get = (id: string, query = '', user = 'alice') =>
    call(s, 'GET', `/v1/tasks/${id}/transcript${query}`, { token: s.tokens[user] });
  /** replace_text of segment FIXED with its words, the first one spelled `word`. */
  const fix = (word: string) => {
    const words = MACHINE.segments[FIXED]?.words.map((w) => w.word) ?? [];
    return { op: 'replace_text', segment: FIXED, text: [word, ...words.slice(1)].join(' ') };
  };

  it('PATCH with If-Match makes the next revision: 200, its JSON and ETag; GET follows it', async () => {
    const task = await finished();
    const before = await get(task.id);
    expect(before.headers.get('etag')).toBe('"r0"');

    const res = await patch(task.id, [fix('Kubernetes')], { 'if-match': '"r0"' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"r1"');
    const body = await json<Json>(res);
    const segment = body.segments[FIXED];
    expect(segment.words[0].word).toBe('Kubernetes');
    // Same word count: every word keeps its times and confidence.
    expect(segment.words.map((w: Json) => [w.start, w.end, w.confidence])).toEqual(
      MACHINE.segments[FIXED]?.words.map((w) => [w.start, w.end, w.confidence]),
    );
    expect(body.text).toContain('Kubernetes');

    const after = await get(task.id);
    expect(after.headers.get('etag')).toBe('"r1"');
    expect(await json<Json>(after)).toEqual(body);
  });

  it('Prefer: return=minimal answers 204 and the ETag; the same operations applied to the revision read give what GET serves', async () => {
    const task = await finished();
    const read = await get(task.id);
    const base = await json<Transcript>(read);
    const rounds = [
      [fix('Kubernetes')],
      [{ op: 'split', segment: FIXED, word: 1 }],
      [
        { op: 'merge', segment: 0 },
        { op: 'set_speaker', segments: [2, 3], speaker: 'Ada' },
      ],
    ];
    let local = base;
    for (const [n, operations] of rounds.entries()) {
      const res = await patch(task.id, operations, {
        'if-match': `"r${n}"`,
        prefer: 'handling=strict, return=minimal',
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('etag')).toBe(`"r${n + 1}"`);
      expect(res.headers.get('preference-applied')).toBe('return=minimal');
      expect(await res.text()).toBe('');
      // What the web UI does with a 204: the edit it sent, applied to the revision it holds.
      local = canonicalTranscript(applyEdits(local, operations as EditOp[]));
    }
    const served = await get(task.id);
    expect(served.headers.get('etag')).toBe(`"r${rounds.length}"`);
    expect(JSON.stringify(await json<Transcript>(served))).toBe(JSON.stringify(local));
    // A refusal is still the JSON error, whatever was preferred.
    const stale = await patch(task.id, [fix('late')], { 'if-match': '"r0"', prefer: 'return=minimal' });
    expect(stale.status).toBe(412);
    expect((await json<Json>(stale)).error.code).toBe('precondition_failed');
  });

  it('a stale If-Match is 412 precondition_failed and changes nothing', async () => {
    const task = await finished();
    expect((await patch(task.id, [fix('first')], { 'if-match': '"r0"' })).status).toBe(200);
    const stale = await patch(task.id, [fix('second')], { 'if-match': '"r0"' });
    expect(stale.status).toBe(412);
    expect((await json<Json>(stale)).error.code).toBe('precondition_failed');
    const now = await get(task.id, '?format=txt');
    expect(now.headers.get('etag')).toBe('"r1"');
    const text = await now.text();
    expect(text).toContain('first');
    expect(text).not.toContain('second');
    // Without If-Match the edit applies to the newest revision.
    const blind = await patch(task.id, [fix('third')]);
    expect(blind.status).toBe(200);
    expect(blind.headers.get('etag')).toBe('"r2"');
  });

  it('of two concurrent PATCHes with the same If-Match, exactly one wins', async () => {
    const task = await finished();
    const results = await Promise.all([
      patch(task.id, [fix('left')], { 'if-match': '"r0"' }),
      patch(task.id, [fix('right')], { 'if-match': '"r0"' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200);
    const word = (await json<Json>(winner as Response)).segments[FIXED].words[0].word;
    const history = await json<Json>(
      await call(s, 'GET', `/v1/tasks/${task.id}/transcript/revisions`, { token: s.tokens.alice }),
    );
    expect(history.current).toBe(1);
    expect((await json<Json>(await get(task.id))).segments[FIXED].words[0].word).toBe(word);
  });

  it("another user's task is 404, as a missing one; an unfinished one is 409 not_ready", async () => {
    const task = await finished('bob');
    const res = await patch(task.id, [fix('mine')]);
    expect(res.status).toBe(404);
    expect((await json<Json>(res)).error.code).toBe('not_found');
    expect((await patch(randomUUID(), [fix('x')])).status).toBe(404);
    expect((await call(s, 'GET', `/v1/tasks/${task.id}/transcript/revisions`, { token: s.tokens.alice })).status).toBe(
      404,
    );
    // An admin may edit anybody's.
    expect((await patch(task.id, [fix('admin')], {}, 'root')).status).toBe(200);

    const running = await upload(s, 'alice');
    await work(s.store, running.id, 'chunk0');
    const early = await patch(running.id, [fix('x')]);
    expect(early.status).toBe(409);
    expect((await json<Json>(early)).error.code).toBe('not_ready');
  });

  it('an invalid operation is 400 invalid_edit naming it, and nothing of the request applies', async () => {
    const task = await finished();
    const bad = [
      [fix('ok'), { op: 'merge', segment: MACHINE.segments.length - 1 }],
      [fix('ok'), { op: 'replace_text', segment: 0, text: '   ' }],
      [fix('ok'), { op: 'replace_text', segment: 0, text: 'x'.repeat(10_001) }],
      [fix('ok'), { op: 'split', segment: FIXED, word: 0 }],
      [fix('ok'), { op: 'set_speaker', segments: [0], speaker: 'y'.repeat(101) }],
      [fix('ok'), { op: 'explode' }],
    ];
    for (const operations of bad) {
      const res = await patch(task.id, operations, { 'if-match': '"r0"' });
      expect(res.status, JSON.stringify(operations[1]).slice(0, 80)).toBe(400);
      const { error } = await json<Json>(res);
      expect(error.code).toBe('invalid_edit');
      expect(error.message).toMatch(/^operation 1\b/);
    }
    expect((await patch(task.id, [])).status).toBe(400);
    const now = await get(task.id);
    expect(now.headers.get('etag')).toBe('"r0"');
    expect((await json<Json>(now)).segments[FIXED].words[0].word).toBe(MACHINE.segments[FIXED]?.words[0]?.word);
  });

  it('exports follow the edits: SRT and VTT hold the fix, parse, and keep the caption rules', async () => {
    const task = await finished();
    const ops = [
      fix('Zanzibar'),
      { op: 'replace_text', segment: FIXED + 1, text: 'an entirely different sentence now' },
      { op: 'split', segment: FIXED, word: 2 },
      { op: 'merge', segment: FIXED + 2 },
      { op: 'set_speaker', segments: [0, 1], speaker: 'Ada' },
    ];
    const res = await patch(task.id, ops, { 'if-match': '"r0"' });
    expect(res.status).toBe(200);
    const edited = (await json<Json>(res)) as Transcript;
    expect(edited.segments[0]?.speaker).toBe('Ada');

    const srt = await (await get(task.id, '?format=srt')).text();
    expect(srt).toContain('Zanzibar');
    // Cues re-flow words over lines, so check the words one by one and the text in txt.
    for (const word of ['entirely', 'different', 'sentence']) expect(srt).toContain(word);
    expect(await (await get(task.id, '?format=txt')).text()).toContain('an entirely different sentence now');
    const srtCues = cuesOf(parseSync(srt));
    expect(srtCues).toEqual(buildCues(edited.segments));
    expectCaptionRules(srtCues, edited);

    const vttRes = await get(task.id, '?format=vtt&download=1');
    expect(vttRes.headers.get('content-disposition')).toContain('talk.vtt');
    const vtt = await vttRes.text();
    expect(vtt).toContain('Zanzibar');
    const parsed = new WebVTTParser(htmlEntities).parse(vtt, 'subtitles');
    expect(parsed.errors).toEqual([]);
    expect(parsed.cues.length).toBe(srtCues.length);
    expectCaptionRules(
      cuesOf(parseSync(vtt)).map((c) => ({ ...c, lines: c.lines.map(unescapeVtt) })),
      edited,
    );
  });

  it('revision=0 is the machine transcript; revert undoes the fix; history names the editors', async () => {
    const task = await finished();
    expect((await patch(task.id, [fix('Quixote')], { 'if-match': '"r0"' })).status).toBe(200);
    expect((await patch(task.id, [{ op: 'set_speaker', segments: [FIXED], speaker: 'Sancho' }])).status).toBe(200);

    const machine = await get(task.id, '?revision=0');
    expect(machine.status).toBe(200);
    expect(machine.headers.get('etag')).toBe('"r0"');
    const machineBody = await json<Json>(machine);
    expect(machineBody.text).not.toContain('Quixote');
    expect(machineBody.segments[FIXED].words[0].word).toBe(MACHINE.segments[FIXED]?.words[0]?.word);
    expect((await json<Json>(await get(task.id, '?revision=1'))).segments[FIXED].speaker).toBeUndefined();
    const missing = await get(task.id, '?revision=3');
    expect(missing.status).toBe(404);
    expect((await json<Json>(missing)).error.code).toBe('not_found');

    const staleRevert = await call(s, 'POST', `/v1/tasks/${task.id}/transcript/revert`, {
      token: s.tokens.alice,
      body: { revision: 0 },
      headers: { 'if-match': '"r1"' },
    });
    expect(staleRevert.status).toBe(412);
    const revert = await call(s, 'POST', `/v1/tasks/${task.id}/transcript/revert`, {
      token: s.tokens.bob,
      body: { revision: 0 },
    });
    expect(revert.status).toBe(404); // bob cannot see alice's task
    const ok = await call(s, 'POST', `/v1/tasks/${task.id}/transcript/revert`, {
      token: s.tokens.alice,
      body: { revision: 0 },
      headers: { 'if-match': '"r2"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"r3"');
    expect((await (await get(task.id, '?format=txt')).text()).includes('Quixote')).toBe(false);
    const noSuch = await call(s, 'POST', `/v1/tasks/${task.id}/transcript/revert`, {
      token: s.tokens.alice,
      body: { revision: 9 },
    });
    expect(noSuch.status).toBe(404);

    const history = await json<Json>(
      await call(s, 'GET', `/v1/tasks/${task.id}/transcript/revisions`, { token: s.tokens.alice }),
    );
    expect(history.current).toBe(3);
    expect(history.revisions.map((r: Json) => [r.revision, r.kind, r.user_name, r.reverted_to])).toEqual([
      [0, 'machine', null, null],
      [1, 'edit', 'alice', null],
      [2, 'edit', 'alice', null],
      [3, 'revert', 'alice', 0],
    ]);
    expect(history.revisions[1].operations).toEqual([fix('Quixote')]);
    expect(history.revisions[1].user_id).toBe(s.users.alice?.id);
    expect(Date.parse(history.revisions[0].created_at)).toBe(task.finishedAt);
  });

  it('lists just revision 0 before any edit', async () => {
    const task = await finished();
    const res = await call(s, 'GET', `/v1/tasks/${task.id}/transcript/revisions`, { token: s.tokens.alice });
    expect(res.status).toBe(200);
    expect(await json<Json>(res)).toEqual({
      current: 0,
      revisions: [
        {
          revision: 0,
          kind: 'machine',
          created_at: new Date(task.finishedAt ?? 0).toISOString(),
          user_id: null,
          user_name: null,
          operations: [],
          reverted_to: null,
        },
      ],
    });
  });

  it('If-Match: * applies to the newest; a weak or malformed tag never matches', async () => {
    const task = await finished();
    for (const tag of ['W/"r0"', 'r0', '"r00"', '"r0", "r1"']) {
      const res = await patch(task.id, [fix('weak')], { 'if-match': tag });
      expect(res.status, tag).toBe(412);
      expect((await json<Json>(res)).error.code).toBe('precondition_failed');
    }
    const star = await patch(task.id, [fix('star')], { 'if-match': '*' });
    expect(star.status).toBe(200);
    expect(star.headers.get('etag')).toBe('"r1"');
  });

  it('revision is refused before the task succeeded and with variant=polished', async () => {
    const running = await upload(s, 'alice');
    const early = await get(running.id, '?revision=0');
    expect(early.status).toBe(409);
    expect((await json<Json>(early)).error.code).toBe('not_ready');
    const task = await finished();
    const polished = await get(task.id, '?variant=polished&revision=0');
    expect(polished.status).toBe(400);
    expect((await get(task.id, '?revision=-1')).status).toBe(400);
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = await json<Json>(await fetch(`${s.url}/openapi.json`));
    expect(Object.keys(doc.paths['/v1/tasks/{id}/transcript'])).toEqual(expect.arrayContaining(['get', 'patch']));
    expect(doc.paths['/v1/tasks/{id}/transcript/revert'].post).toBeDefined();
    expect(doc.paths['/v1/tasks/{id}/transcript/revisions'].get).toBeDefined();
  });
});

function unescapeVtt(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
