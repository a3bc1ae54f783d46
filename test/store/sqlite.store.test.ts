import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueFullError } from '../../src/core/errors/index.js';
import { createStore } from '../../src/store/create-store.js';
import { SqliteTaskStore } from '../../src/store/sqlite/sqlite.store.js';
import { FakeClock, LEASE, must, newTask } from './conformance/fixtures.js';
import { taskStoreConformance } from './conformance/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'earshot-sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newFile = () => path.join(dir, `${randomUUID()}.db`);

let conformanceFile = '';
taskStoreConformance('sqlite', {
  async fresh() {
    const file = newFile();
    conformanceFile = file;
    return (opts) => new SqliteTaskStore(file, opts);
  },
  async updateTranscriptJson(taskId, transcript) {
    const db = new Database(conformanceFile);
    try {
      db.prepare('UPDATE transcripts SET json = ? WHERE task_id = ?').run(JSON.stringify(transcript), taskId);
    } finally {
      db.close();
    }
  },
});

describe('SqliteTaskStore', () => {
  it('opens the file in WAL mode with foreign keys on and records applied migrations', async () => {
    const file = newFile();
    const store = createStore(`sqlite://${file}`);
    await store.migrate();
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
        { version: 1, name: 'initial' },
        { version: 2, name: 'artifacts' },
        { version: 4, name: 'webhooks' },
        { version: 5, name: 'workers' },
        { version: 6, name: 'search' },
        { version: 7, name: 'transcript-revisions' },
        { version: 8, name: 'library' },
        { version: 9, name: 'search-incremental' },
        { version: 10, name: 'edit-reindex' },
        { version: 11, name: 'artifact-revision' },
        { version: 12, name: 'task-counts' },
      ]);
    } finally {
      db.close();
    }
  });

  it('gives a user without a webhook secret (created before migration 4) one on first use', async () => {
    const file = newFile();
    const store = new SqliteTaskStore(file);
    await store.migrate();
    const user = await store.createUser('old', 'user', 'h');
    const db = new Database(file);
    try {
      db.prepare('UPDATE users SET webhook_secret = NULL').run();
      const made = await store.webhookSecret(user.id);
      expect(made).toMatch(/^whsec_/);
      expect(await store.webhookSecret(user.id)).toBe(made);
      expect(db.prepare('SELECT webhook_secret FROM users').pluck().get()).toBe(made);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('lets two instances migrate a new file at the same time', async () => {
    const file = newFile();
    const a = new SqliteTaskStore(file);
    const b = new SqliteTaskStore(file);
    await Promise.all([a.migrate(), b.migrate()]);
    expect(await a.countByStatus()).toEqual({ queued: 0, processing: 0, succeeded: 0, failed: 0, cancelled: 0 });
    await Promise.all([a.close(), b.close()]);
  });

  it('the database rejects a status outside the state machine and a lease on a queued task', async () => {
    const file = newFile();
    const store = new SqliteTaskStore(file);
    await store.migrate();
    await store.close();
    const db = new Database(file);
    const insert = (status: string, lease: string | null) =>
      db
        .prepare(
          `INSERT INTO tasks (id, user_id, status, stage, source_name, media_path, media_bytes, options, max_attempts,
             run_at, lease_owner, lease_expires_at, created_at, updated_at)
           VALUES (?, 'u', ?, 'waiting', 's', 'm', 1, '{}', 1, 0, ?, ?, 0, 0)`,
        )
        .run(randomUUID(), status, lease, lease === null ? null : 1);
    try {
      expect(() => insert('paused', null)).toThrow(/CHECK/);
      expect(() => insert('queued', 'w1')).toThrow(/CHECK/);
      expect(() => insert('processing', null)).toThrow(/CHECK/);
      expect(() => insert('processing', 'w1')).not.toThrow();
    } finally {
      db.close();
    }
  });

  it('hands every task to exactly one of several worker processes sharing the file', async () => {
    const file = newFile();
    const store = new SqliteTaskStore(file);
    await store.migrate();
    const ids = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const task = await store.enqueue(
        {
          id: randomUUID(),
          userId: 'u',
          priority: i % 4,
          sourceName: 's.wav',
          mediaPath: '/m',
          mediaBytes: 1,
          options: { language: 'en', formats: ['txt'] },
          callbackUrl: null,
          maxAttempts: 3,
          durationSeconds: null,
        },
        Number.POSITIVE_INFINITY,
      );
      ids.add(task.id);
    }
    const script = fileURLToPath(new URL('./fixtures/sqlite-claimer.ts', import.meta.url));
    // No process may take more than 150 of the 400, so at least three processes must claim: the
    // exactly-once check below is then about real contention between processes, on every run.
    const claimers = ['p1', 'p2', 'p3', 'p4'].map((w) => startClaimer(script, file, w, 150));
    await Promise.all(claimers.map((c) => c.ready));
    for (const c of claimers) c.go();
    const runs = await Promise.all(claimers.map((c) => c.done));
    expect(runs.filter((r) => r.length > 0).length).toBeGreaterThanOrEqual(3);
    const claimed = runs.flat();
    expect(claimed).toHaveLength(ids.size);
    expect(new Set(claimed)).toEqual(ids);
    expect((await store.countByStatus()).processing).toBe(ids.size);
    await store.close();
  });
});

interface Claimer {
  ready: Promise<void>;
  go(): void;
  done: Promise<string[]>;
}

/**
 * Runs the claimer in its own Node process. `ready` resolves once it has opened the store; `go()`
 * starts it claiming, so all processes contend at once; `done` gives the task ids it claimed.
 */
function startClaimer(script: string, file: string, workerId: string, max: number): Claimer {
  const child = spawn(process.execPath, ['--import', 'tsx', script, file, workerId, String(max)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`claimer ${workerId} exited with ${code}: ${err}`));
      else resolve(out.split('\n').filter((l) => l.length > 0 && l !== 'ready'));
    });
  });
  // A claimer that dies before it is ready must fail the test rather than hang it.
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: () => child.stdin.end('go\n'), done };
}

describe('SqliteTaskStore search migration', () => {
  it('indexes transcripts stored before migration 6 (and 9 gives their segments the user)', async () => {
    const file = newFile();
    const store = new SqliteTaskStore(file);
    await store.migrate();
    const segments = [{ start: 1, end: 2, text: 'an older transcript about lighthouses', words: [] }];
    const task = await store.addFinished(newTask({ userId: 'u', sourceName: 'old.wav', durationSeconds: 2 }), {
      language: 'en',
      duration: 2,
      segments,
      text: segments[0]?.text ?? '',
    });
    await store.close();
    // Back to the schema before migration 6: the transcript is stored, nothing is indexed. 6 then
    // indexes it without owners, 9 fills them in.
    const db = new Database(file);
    db.exec(`DROP TABLE transcript_segments_fts; DROP TABLE transcript_segments;
      DROP TRIGGER transcripts_search_insert; DROP TRIGGER transcripts_search_update;
      DELETE FROM schema_migrations WHERE version IN (6, 9);`);
    db.close();
    const again = new SqliteTaskStore(file);
    await again.migrate();
    const hits = await again.searchTranscripts({ userId: 'u' }, 'lighthouse', { limit: 10, offset: 0 });
    expect(hits).toEqual([
      {
        taskId: task.id,
        sourceName: 'old.wav',
        segmentIndex: 0,
        start: 1,
        end: 2,
        snippet: expect.stringContaining('«lighthouses»'),
      },
    ]);
    await again.close();
  });
  describe('task counts (migration 12)', () => {
    /** The counts the store reads, and the tasks counted directly, status by status. */
    const countsOf = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        const kept = db.prepare('SELECT status, n FROM task_counts ORDER BY status').all();
        const counted = db
          .prepare(
            `SELECT s.status, (SELECT count(*) FROM tasks t WHERE t.status = s.status) AS n
             FROM task_counts s ORDER BY s.status`,
          )
          .all();
        return { kept, counted };
      } finally {
        db.close();
      }
    };

    it('stay equal to the tasks by status through every transition', async () => {
      const file = newFile();
      const clock = new FakeClock();
      const store = new SqliteTaskStore(file, { now: clock.now });
      const steps: string[] = [];
      const check = (step: string) => {
        const { kept, counted } = countsOf(file);
        steps.push(step);
        expect(kept, steps.join('; ')).toEqual(counted);
      };
      try {
        await store.migrate();
        check('empty');
        const tasks = [];
        for (let i = 0; i < 8; i++) tasks.push(await store.enqueue(newTask({ maxAttempts: 2 }), 100));
        check('enqueued 8');
        const [a, b, c] = [
          await store.claim('w1', LEASE),
          await store.claim('w2', LEASE),
          await store.claim('w3', LEASE),
        ];
        check('claimed 3');
        await store.fail(must(a).id, 'w1', { code: 'engine_failed', message: 'x', retryable: true });
        check('a retryable failure requeues');
        await store.release(must(b).id, 'w2');
        check('a release requeues');
        clock.advance(LEASE + 1);
        expect(await store.reclaimExpired(clock.t)).toBe(1);
        check('an expired lease requeues');
        await store.cancel(must(tasks[7]).id, { admin: true });
        check('a queued task cancelled');
        await store.remove(must(tasks[6]).id, { admin: true });
        check('a queued task deleted');
        clock.advance(60_000); // past the retry backoff
        const d = must(await store.claim('w4', LEASE));
        const transcript = { language: 'en', duration: 1, segments: [], text: '' };
        const { next } = await store.completeAndClaim(d.id, 'w4', transcript, LEASE);
        check('completed one and claimed the next in one transaction');
        await store.fail(must(next).id, 'w4', { code: 'bad_audio', message: 'x', retryable: false });
        check('a final failure');
        await store.retry(must(next).id, { admin: true });
        check("a user's retry requeues");
        await store.remove(must(c).id, { admin: true });
        check('a task deleted');
        await store.addFinished(newTask(), transcript);
        check('a finished task added');
        // countByStatus and the bound read these rows: full at exactly the queued number.
        const counts = await store.countByStatus();
        const { counted } = countsOf(file);
        expect(counts).toEqual(
          Object.fromEntries(counted.map((r) => [(r as { status: string }).status, (r as { n: number }).n])),
        );
        await expect(store.enqueue(newTask(), counts.queued)).rejects.toBeInstanceOf(QueueFullError);
        await expect(store.enqueue(newTask(), counts.queued + 1)).resolves.toMatchObject({ status: 'queued' });
        check('the bound admitted one');
      } finally {
        await store.close();
      }
    });

    it('start from the tasks already stored when the migration runs', async () => {
      const file = newFile();
      const store = new SqliteTaskStore(file);
      await store.migrate();
      for (let i = 0; i < 3; i++) await store.enqueue(newTask(), 100);
      await store.claim('w', LEASE);
      await store.addFinished(newTask(), { language: 'en', duration: 1, segments: [], text: '' });
      await store.close();
      // Back to the schema before migration 12, with the tasks kept; 12 then counts them.
      const db = new Database(file);
      db.exec(`DROP TRIGGER tasks_count_insert; DROP TRIGGER tasks_count_update; DROP TRIGGER tasks_count_delete;
        DROP TABLE task_counts; DROP INDEX tasks_claim_idx; DROP INDEX tasks_lease_idx;
        CREATE INDEX tasks_claim_idx ON tasks (status, priority DESC, created_at, id, run_at);
        CREATE INDEX tasks_lease_idx ON tasks (status, lease_expires_at);
        DELETE FROM schema_migrations WHERE version = 12;`);
      db.close();
      const again = new SqliteTaskStore(file);
      await again.migrate();
      expect(await again.countByStatus()).toMatchObject({ queued: 2, processing: 1, succeeded: 1 });
      expect(countsOf(file).kept).toEqual(countsOf(file).counted);
      await again.close();
    });
  });
});
