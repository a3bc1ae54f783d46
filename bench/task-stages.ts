/**
 * Issue 11: where the time of a short task goes. Sends one 5-second LibriVox clip N times, one
 * after another, to `earshot serve` (defaults: 1 worker, 2 engines) as `POST /v1/tasks?wait=true`,
 * and prints the median of each stage: client-side (request sent -> task row created -> response)
 * and the worker's own `task stages` log record (see src/core/stage-times.ts).
 * Usage: npx tsx bench/task-stages.ts [tasks=20]
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, startService } from './lib.js';

const CLIP = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav';
const tasks = Number(process.argv[2] ?? 20);

interface WaitAnswer {
  task: { id: string; status: string; created_at: string; started_at: string | null; finished_at: string | null };
}

const workerStages = new Map<string, Record<string, number>>();
const dataDir = await mkdtemp(join(tmpdir(), 'earshot-bench-stages-'));
const svc = await startService(dataDir, { EARSHOT_LOG_LEVEL: 'info' }, undefined, (line) => {
  try {
    const rec = JSON.parse(line) as { msg?: string; taskId?: string; stages?: Record<string, number> };
    if (rec.msg === 'task stages' && rec.taskId && rec.stages) workerStages.set(rec.taskId, rec.stages);
  } catch {
    // not a log record
  }
});

const bytes = await readFile(CLIP);
const rows: Array<Record<string, number>> = [];
try {
  // One warm-up task: the first pays for the worker's lazy loads (onnxruntime, the Silero model).
  for (let i = 0; i <= tasks; i++) {
    const form = new FormData();
    form.set('file', new Blob([bytes]), 'clip.wav');
    const sent = Date.now();
    const res = await fetch(`${svc.url}/v1/tasks?wait=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.token}` },
      body: form,
    });
    const answered = Date.now();
    if (res.status !== 200) throw new Error(`wait=true answered ${res.status}: ${await res.text()}`);
    const { task } = (await res.json()) as WaitAnswer;
    if (task.status !== 'succeeded') throw new Error(`task ${task.id} ended ${task.status}`);
    // The worker logs its record as the run ends, just after completing: give it a moment to arrive.
    for (let wait = 0; wait < 50 && !workerStages.has(task.id); wait++) await new Promise((r) => setTimeout(r, 20));
    const created = Date.parse(task.created_at);
    const finished = Date.parse(task.finished_at ?? '');
    if (i === 0) continue;
    rows.push({
      requestMs: answered - sent,
      uploadToCreatedMs: created - sent,
      createdToFinishedMs: finished - created,
      finishedToAnsweredMs: answered - finished,
      ...Object.fromEntries(Object.entries(workerStages.get(task.id) ?? {}).map(([k, v]) => [`worker.${k}`, v])),
    });
    log(`task ${i}/${tasks}: ${answered - sent} ms`);
  }
} finally {
  await svc.stop();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const medians = Object.fromEntries(keys.map((k) => [k, Math.round(median(rows.map((r) => r[k] ?? 0)) * 10) / 10]));
console.log(JSON.stringify({ bench: 'task-stages', clipSeconds: 5.3, tasks: rows.length, medianMs: medians }));
