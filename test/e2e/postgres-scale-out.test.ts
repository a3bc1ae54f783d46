import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child-env.js';
import { CLI, runCli } from '../helpers/cli.js';
import { freshPgSchema, type TestSchema } from '../helpers/pg.js';
import { listeningUrl, within } from '../helpers/service/processes.js';

const CLIPS = ['0880', '0930'].map(
  (c) => `/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-${c}.wav`,
);

/** Starts `earshot <args>` with a clean environment and its output piped (the caller must read it). */
function start(args: string[], env: Record<string, string>, logLevel = 'warn'): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: childEnv({ EARSHOT_LOG_LEVEL: logLevel, EARSHOT_LOG_FORMAT: 'json', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Copies a child's output to the test's stderr (kept visible for failures). */
function forward(p: ChildProcess): ChildProcess {
  p.stdout?.pipe(process.stderr, { end: false });
  p.stderr?.pipe(process.stderr, { end: false });
  return p;
}

function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

/**
 * Scale-out shape: one API server with no workers and two separate `earshot worker` processes, all
 * coordinating only through PostgreSQL (plus the shared data directory for uploads).
 */
describe('PostgreSQL deployment: API and workers as separate processes', () => {
  let schema: TestSchema;
  let dataDir: string;
  let url: string;
  let token: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    schema = await freshPgSchema('earshot_e2e');
    dataDir = await mkdtemp(join(tmpdir(), 'earshot-pg-'));
    const env = { EARSHOT_DB: schema.url, EARSHOT_DATA_DIR: dataDir, EARSHOT_CONCURRENCY: '1' };
    const added = await runCli(['users', 'add', 'carol'], env);
    expect(added.code, added.stderr).toBe(0);
    token = added.stdout.trim().split(/\s+/).at(-1) as string;
    // Port 0: the OS picks a free port, so nothing else on the machine can take it in between.
    // Logged at level info for its listening line; listeningUrl keeps reading (and dropping) the rest.
    const server = start(['serve', '--workers', '0', '--port', '0'], env, 'info');
    procs.push(server);
    procs.push(forward(start(['worker'], { ...env, EARSHOT_WORKER_ID: 'pg-a' })));
    procs.push(forward(start(['worker'], { ...env, EARSHOT_WORKER_ID: 'pg-b' })));
    const exited = new Promise<never>((_, reject) =>
      server.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening`))),
    );
    // A deadline for a hung start only; a loaded machine can take tens of seconds to start Node.
    url = await within(Promise.race([listeningUrl(server), exited]), 90_000, () => 'server not listening after 90 s');
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(procs.map(stop));
    await schema?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('transcribes every task exactly once with two worker processes sharing the queue', async () => {
    const ids: string[] = [];
    for (const file of [...CLIPS, ...CLIPS]) {
      const form = new FormData();
      form.set('file', new Blob([await readFile(file)]), file.split('/').at(-1));
      const res = await fetch(`${url}/v1/tasks`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    // The task list is the poll target here: nothing else to wait on across processes.
    const deadline = Date.now() + 240_000;
    let counts: Record<string, number> = {};
    while (Date.now() < deadline) {
      const res = await fetch(`${url}/v1/tasks?limit=100`, { headers: { authorization: `Bearer ${token}` } });
      counts = ((await res.json()) as { counts: Record<string, number> }).counts;
      if (counts.succeeded === ids.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(counts).toMatchObject({ succeeded: ids.length, failed: 0, processing: 0, queued: 0 });
    for (const id of ids) {
      const task = (await (
        await fetch(`${url}/v1/tasks/${id}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        attempts: number;
      };
      expect(task.attempts).toBe(1);
      const t = (await (
        await fetch(`${url}/v1/tasks/${id}/transcript`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { text: string };
      expect(t.text.split(' ').length).toBeGreaterThan(3);
    }
  });
});
