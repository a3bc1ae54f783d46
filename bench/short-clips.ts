/**
 * Issue 11: throughput on short recordings. The 5 LibriVox clips shipped with PocketSphinx (3-7 s),
 * 8 copies each (40 files), transcribed
 *   - by `earshot serve` with its defaults (1 worker, 2 engines), all 40 submitted at once;
 *   - by `earshot transcribe -c 2` over the 40 files;
 *   - by the raw engine, `pocketsphinx_continuous -infile F` (as bench/rtf.ts runs it), 2 at a time;
 * and one 5-second clip as `POST /v1/tasks?wait=true` against the raw engine on that clip.
 * Usage: npx tsx bench/short-clips.ts [copies=8] [singleRuns=5]
 */
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CLI, log, rawEngineArgs, type Service, startService, timed, treeCpuSeconds } from './lib.js';

const CLIPS_DIR = '/usr/share/pocketsphinx/test/data/librivox';
const CLIPS = ['0870', '0880', '0890', '0920', '0930'].map(
  (n) => `${CLIPS_DIR}/sense_and_sensibility_01_austen_64kb-${n}.wav`,
);
/** The 5.3-second clip. */
const SINGLE = CLIPS[2] as string;
const copies = Number(process.argv[2] ?? 8);
const singleRuns = Number(process.argv[3] ?? 5);

const rawArgs = rawEngineArgs;
const round = (x: number, d = 2) => Number(x.toFixed(d));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

// Distinct names, so the CLI writes one output per file.
const inputs = await mkdtemp(join(tmpdir(), 'earshot-bench-short-'));
const files: string[] = [];
for (let c = 0; c < copies; c++) {
  for (const clip of CLIPS) {
    const file = join(inputs, `c${c}-${basename(clip)}`);
    await copyFile(clip, file);
    files.push(file);
  }
}
const load: Record<string, number[]> = {};
/** CPU seconds per phase (bench/lib.ts `treeCpuSeconds`): the work done, which load does not change much. */
const cpu: Record<string, number> = {};
const noteLoad = (phase: string) => {
  load[phase] = loadavg().map((x) => round(x));
};

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * `niceness`: the raw engine at Earshot's file-engine priority (nice 10, FILE_WORK_NICENESS) as well as
 * at 0: on a machine shared with other work, a niced engine gets less CPU, whatever its own efficiency.
 */
async function rawParallel(niceness = 0): Promise<number> {
  const start = performance.now();
  const cpuStart = await treeCpuSeconds('self');
  await pool(files, 2, async (f) => {
    if (niceness === 0) await timed('pocketsphinx_continuous', rawArgs(f));
    else await timed('nice', ['-n', String(niceness), 'pocketsphinx_continuous', ...rawArgs(f)]);
  });
  cpu[`raw${niceness === 0 ? '' : 'Nice10'}`] ??= round((await treeCpuSeconds('self')) - cpuStart, 1);
  return (performance.now() - start) / 1000;
}

async function waitCreate(svc: Service, file: string): Promise<{ status: number; finishedAt: number }> {
  const form = new FormData();
  form.set('file', new Blob([await readFile(file)]), basename(file));
  const res = await fetch(`${svc.url}/v1/tasks?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${svc.token}` },
    body: form,
  });
  const body = (await res.json()) as { task: { status: string; finished_at: string } };
  if (res.status !== 200 || body.task.status !== 'succeeded') {
    throw new Error(`${file}: ${res.status} ${JSON.stringify(body)}`);
  }
  return { status: res.status, finishedAt: Date.parse(body.task.finished_at) };
}

// --- the raw engine, before (and again after) the others: the machine is shared, so its load drifts
noteLoad('rawStart');
log('raw pocketsphinx_continuous, 2 at a time...');
const rawBefore = round(await rawParallel());
noteLoad('rawNicedStart');
log('raw pocketsphinx_continuous at nice 10, 2 at a time...');
const rawNiced = round(await rawParallel(10));

// --- the service: 40 at once, then single clips -------------------------------------------------
const svc = await startService(await mkdtemp(join(tmpdir(), 'earshot-bench-short-data-')));
let serve: { lastSucceededSeconds: number; lastAnsweredSeconds: number };
let singleServe: number[] = [];
try {
  await waitCreate(svc, SINGLE); // warm-up: the worker's lazy loads
  noteLoad('serveStart');
  log(`serve: ${files.length} clips at once...`);
  const serveCpuStart = await treeCpuSeconds(svc.proc.pid as number);
  const sent = Date.now();
  const done = await Promise.all(files.map((f) => waitCreate(svc, f)));
  const answered = Date.now();
  cpu.serve = round((await treeCpuSeconds(svc.proc.pid as number)) - serveCpuStart, 1);
  serve = {
    lastSucceededSeconds: round((Math.max(...done.map((d) => d.finishedAt)) - sent) / 1000),
    lastAnsweredSeconds: round((answered - sent) / 1000),
  };
  log(`serve: ${JSON.stringify(serve)}`);
  for (let i = 0; i < singleRuns; i++) {
    const t = performance.now();
    await waitCreate(svc, SINGLE);
    singleServe.push(performance.now() - t);
  }
} finally {
  await svc.stop();
}
singleServe = singleServe.map((x) => round(x / 1000));

// --- the raw engine on the single clip ----------------------------------------------------------
const singleRaw: number[] = [];
for (let i = 0; i < singleRuns; i++)
  singleRaw.push(round((await timed('pocketsphinx_continuous', rawArgs(SINGLE))).seconds));

// --- the CLI -------------------------------------------------------------------------------------
noteLoad('cliStart');
log('earshot transcribe -c 2 ...');
const out = await mkdtemp(join(tmpdir(), 'earshot-bench-short-out-'));
let cliSeconds: number | null = null;
let cliError: string | null = null;
const cliCpuStart = await treeCpuSeconds('self');
try {
  cliSeconds = round(
    (await timed(process.execPath, [CLI, 'transcribe', '-c', '2', '-o', out, '--no-progress', ...files])).seconds,
  );
} catch (err) {
  cliError = (err as Error).message.slice(0, 200);
}
cpu.cli = round((await treeCpuSeconds('self')) - cliCpuStart, 1);
noteLoad('rawAgainStart');
log('raw pocketsphinx_continuous again, 2 at a time...');
const rawAfter = round(await rawParallel());
noteLoad('end');
const rawSeconds = round((rawBefore + rawAfter) / 2);

const audioSeconds = 8 * 24.73 * (copies / 8);
console.log(
  JSON.stringify({
    bench: 'short-clips',
    files: files.length,
    audioSeconds: round(audioSeconds, 1),
    raw2way: { seconds: rawSeconds, runs: [rawBefore, rawAfter], nice10Seconds: rawNiced },
    serve: {
      ...serve,
      speedupVsRaw: round(rawSeconds / serve.lastSucceededSeconds),
      speedupVsRawNice10: round(rawNiced / serve.lastSucceededSeconds),
    },
    cli: { seconds: cliSeconds, speedupVsRaw: cliSeconds ? round(rawSeconds / cliSeconds) : null, error: cliError },
    single: {
      clipSeconds: 5.3,
      waitRequestSeconds: round(median(singleServe)),
      rawSeconds: round(median(singleRaw)),
      runs: { serve: singleServe, raw: singleRaw },
    },
    cpuSeconds: {
      ...cpu,
      serveVsRaw: cpu.raw && cpu.serve ? round(cpu.raw / cpu.serve) : null,
      cliVsRaw: cpu.raw && cpu.cli ? round(cpu.raw / cpu.cli) : null,
    },
    loadavg: load,
  }),
);
