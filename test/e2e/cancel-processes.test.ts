/**
 * Cancelling a running task stops the processes working on it, for real: ffmpeg while it is still
 * decoding the recording, and the PocketSphinx process while it is decoding a chunk. Both must be
 * gone within a few seconds of the cancel (the worker notices at its next heartbeat), the task must
 * read `cancelled`, and the worker must go on to finish the next task with fresh engine processes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert, type LongSpeech, longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import { childPids, processAlive, type Service, startService, waitForExit } from '../helpers/service/index.js';

/** Generous for "promptly": a heartbeat (500 ms) plus killing the process, on a loaded machine. */
const GONE_WITHIN_MS = 5_000;

let svc: Service;
let long: LongSpeech;
let minute: LongSpeech;
let short: string;

/** The command name of a process (/proc/PID/comm, at most 15 characters), or null once it is gone. */
function comm(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** CPU time a process has used, in clock ticks (utime + stime from /proc/PID/stat); 0 once it is gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5); the slice above starts at field 3.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function workerPid(): Promise<number> {
  const [pid] = await svc.workerPids();
  if (pid === undefined) throw new Error('no worker running');
  return pid;
}

/** Running children of the worker by command name; an exited child not yet reaped (a zombie) does not count. */
const childrenNamed = (worker: number, match: (name: string) => boolean) =>
  childPids(worker).filter((p) => match(comm(p) ?? '') && processAlive(p));
const enginesOf = (worker: number) => childrenNamed(worker, (name) => name.startsWith('earshot-ps'));
const ffmpegOf = (worker: number) => childrenNamed(worker, (name) => name === 'ffmpeg');

/** Cancels through the API; the answer is the row the cancel left. */
async function cancel(id: string): Promise<void> {
  const res = await svc.json<{ status: string }>(`/v1/tasks/${id}/cancel`, { method: 'POST' });
  expect(res.status).toBe('cancelled');
}

/** After a cancel: the worker is free again and a new task succeeds on it (engines restarted as needed). */
async function expectWorkerRecovers(): Promise<void> {
  await svc.waitForWorkers(([w]) => w?.state === 'idle', 15_000);
  const next = await svc.upload(short);
  await svc.waitForStatus(next.id, 'succeeded', 60_000);
  expect((await svc.transcript(next.id)).text).toMatch(/fox/);
}

beforeAll(async () => {
  [long, minute, short] = await Promise.all([
    longSpeech(8),
    longSpeech(0.5),
    synthSpeech('The quick brown fox jumps over the lazy dog.'),
  ]);
  // One engine, 30 s chunks: a chunk keeps PocketSphinx busy for seconds.
  svc = await startService({ env: { EARSHOT_CONCURRENCY: 1, EARSHOT_MAX_CHUNK_SECONDS: 30 } });
});

afterAll(async () => {
  await svc?.stop();
});

describe('cancel stops the processes working on the task', () => {
  it('while ffmpeg is decoding a long recording: ffmpeg exits, the task is cancelled', async () => {
    const worker = await workerPid();
    // FLAC: a 16 kHz mono PCM WAV would be read without ffmpeg (decodeToPcm's readWavDirectly).
    const task = await svc.upload(await convert(long.path, 'flac'));
    let ffmpeg: number | undefined;
    await svc.until(
      'ffmpeg decoding the recording',
      async () => {
        ffmpeg = ffmpegOf(worker)[0];
        return ffmpeg !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    // Still decoding when the cancel goes out: the recording is minutes long and the VAD paces ffmpeg.
    expect(processAlive(ffmpeg as number)).toBe(true);
    await cancel(task.id);

    await waitForExit(ffmpeg as number, GONE_WITHIN_MS);
    expect(ffmpegOf(worker)).toEqual([]);
    expect((await svc.task(task.id)).status).toBe('cancelled');
    await svc.waitForLog(
      (r) => r.taskId === task.id && r.msg === 'task stopped: lease lost (cancelled, deleted or reclaimed)',
      'the worker stopping the task',
      GONE_WITHIN_MS,
    );
    await expectWorkerRecovers();
  });

  it('while PocketSphinx is decoding a chunk: the decoder process exits, the task is cancelled', async () => {
    const worker = await workerPid();
    const task = await svc.upload(minute.path);
    let decoding: number | undefined;
    // A resident decoder uses no CPU while it waits for a chunk; one whose CPU time climbs is decoding.
    const idleTicks = new Map<number, number>();
    await svc.until(
      'a decoder busy with a chunk',
      async () => {
        for (const pid of enginesOf(worker)) {
          const ticks = cpuTicks(pid);
          const base = idleTicks.get(pid);
          if (base === undefined) idleTicks.set(pid, ticks);
          else if (ticks - base >= 5) decoding = pid;
        }
        return decoding !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const plan = await svc.readStore((s) => s.getPlan(task.id));
    expect(plan.chunks.some((c) => c.checkpoint === null)).toBe(true);
    await cancel(task.id);

    await waitForExit(decoding as number, GONE_WITHIN_MS);
    expect(ffmpegOf(worker)).toEqual([]);
    expect((await svc.task(task.id)).status).toBe('cancelled');
    // Nothing was recognised after the cancel: the plan and its checkpoints went with it.
    expect((await svc.readStore((s) => s.getPlan(task.id))).chunks).toEqual([]);
    await expectWorkerRecovers();
  });
});
