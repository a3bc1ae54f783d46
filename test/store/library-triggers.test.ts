import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Segment, Transcript } from '../../src/core/transcript.js';
import { createStore } from '../../src/store/create-store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';
import { newTask } from './conformance/fixtures.js';

/**
 * The word count follows a transcript written behind the store's back (an edit is a plain UPDATE of
 * transcripts.json), and migration 8/10 counts transcripts stored before it. Raw SQL, so per dialect.
 */

const segment = (text: string, timed: boolean): Segment => ({
  start: 0,
  end: 1,
  text,
  words: timed ? text.split(' ').map((word, i) => ({ word, start: i, end: i + 0.5, confidence: 1 })) : [],
});
const transcriptOf = (...segments: Segment[]): Transcript => ({
  language: 'en',
  duration: 1,
  segments,
  text: segments.map((s) => s.text).join(' '),
});

interface Dialect {
  store: TaskStore;
  /** Runs SQL ($n placeholders, tables unqualified) on the store's database. */
  exec(sql: string, params?: unknown[]): Promise<void>;
  /** Takes the schema back to before the library migration, keeping the stored transcripts. */
  unmigrate(): Promise<void>;
  close(): Promise<void>;
}

function wordCountSuite(name: string, open: () => Promise<Dialect>): void {
  describe(`word count triggers: ${name}`, () => {
    it('follows an UPDATE of the transcript json (an edit)', async () => {
      const d = await open();
      try {
        const task = await d.store.addFinished(newTask(), transcriptOf(segment('one two three', true)));
        expect(task.wordCount).toBe(3);
        const edited = transcriptOf(segment('one two three four', true), segment('and five more words here', false));
        await d.exec('UPDATE transcripts SET json = $1 WHERE task_id = $2', [JSON.stringify(edited), task.id]);
        expect((await d.store.get(task.id, { admin: true }))?.wordCount).toBe(9);
        expect(await d.store.getTranscript(task.id)).toEqual(edited);
        await d.exec('DELETE FROM transcripts WHERE task_id = $1', [task.id]);
        expect((await d.store.get(task.id, { admin: true }))?.wordCount).toBeNull();
      } finally {
        await d.close();
      }
    });

    it('the migration counts transcripts stored before it', async () => {
      const d = await open();
      try {
        const task = await d.store.addFinished(newTask(), transcriptOf(segment('a b', true), segment('c d e', false)));
        const queued = await d.store.enqueue(newTask(), Number.POSITIVE_INFINITY);
        await d.unmigrate();
        await d.store.migrate();
        expect((await d.store.get(task.id, { admin: true }))?.wordCount).toBe(5);
        expect((await d.store.get(queued.id, { admin: true }))?.wordCount).toBeNull();
        expect((await d.store.get(task.id, { admin: true }))?.title).toBeNull();
      } finally {
        await d.close();
      }
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'earshot-library-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

wordCountSuite('sqlite', async () => {
  const file = path.join(dir, `${n++}.db`);
  const store = createStore(`sqlite://${file}`);
  await store.migrate();
  const db = new Database(file);
  return {
    store,
    async exec(sql, params = []) {
      db.prepare(sql.replace(/\$\d+/g, '?')).run(...params);
    },
    async unmigrate() {
      db.exec(`DROP TRIGGER transcripts_word_count_insert; DROP TRIGGER transcripts_word_count_update;
        DROP TRIGGER transcripts_word_count_delete; DROP INDEX tasks_user_title_idx;
        ALTER TABLE tasks DROP COLUMN title; ALTER TABLE tasks DROP COLUMN word_count;
        DELETE FROM schema_migrations WHERE version = 8;`);
    },
    async close() {
      db.close();
      await store.close();
    },
  };
});

const schemas: TestSchema[] = [];
afterAll(async () => {
  for (const s of schemas) await s.drop();
});

wordCountSuite('postgres', async () => {
  const s = await freshPgSchema();
  schemas.push(s);
  const store = createStore(s.url);
  await store.migrate();
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`SET search_path TO "${s.schema}"`);
  return {
    store,
    async exec(sql, params = []) {
      await client.query(sql, params);
    },
    async unmigrate() {
      await client.query(`DROP FUNCTION transcript_word_count_sync() CASCADE; DROP FUNCTION transcript_word_count(jsonb);
        ALTER TABLE tasks DROP COLUMN title, DROP COLUMN word_count;
        DELETE FROM schema_migrations WHERE version = 10`);
    },
    async close() {
      await client.end();
      await store.close();
    },
  };
});
