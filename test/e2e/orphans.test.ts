/**
 * A worker never outlives its supervisor. The server is SIGKILLed (as the OOM killer would) at 20
 * moments spread over a worker's life: just after the server answers, when the worker process has
 * been forked, while its engine is loading, when it is idle, and while it recognises a task; then
 * nothing the run started may be left: no worker, no engine process. Every process of a test service
 * carries its data directory in its environment, which is how leftovers are found (the pids are not
 * enough: an orphan is re-parented and no longer a child of anything the test knows).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAGRAPHS, synthSpeech } from '../helpers/audio-fixtures.js';
import { mulberry32 } from '../helpers/prng.js';
import { childPids, type Service, startService } from '../helpers/service/index.js';

type Phase = 'answering' | 'forked' | 'engine-loading' | 'idle' | 'busy';
/**
 * Where the 20 kills land. Start-up is where orphans were born (the worker learnt of its parent's
 * death only after its engines had loaded), so most kills are there; steady state is also covered
 * by the crash-recovery tests.
 */
const SCHEDULE: readonly Phase[] = [
  ...Array.from({ length: 5 }, () => ['answering', 'forked', 'engine-loading'] as const).flat(),
  'idle',
  'busy',
  'answering',
  'idle',
  'busy',
];
/** A dead supervisor is noticed at once (IPC) or within a second (parent pid); engines die with the worker. */
const GONE_WITHIN_MS = 15_000;

/** Pids of live processes whose environment holds `marker` (a zombie has an empty environ). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function describeProcess(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').slice(0, 160)}`;
  } catch {
    return `${pid}: (gone)`;
  }
}

let svc: Service;
let speech: string;
let marker: string;

beforeAll(async () => {
  speech = await synthSpeech(PARAGRAPHS[0] as string);
  svc = await startService({
    // One engine keeps each start-up short; the delay keeps a claimed task busy long enough to kill.
    env: { EARSHOT_CONCURRENCY: 1, EARSHOT_MAX_CHUNK_SECONDS: 5 },
    faults: { delayMs: 400 },
    waitForWorkers: false,
  });
  marker = `EARSHOT_DATA_DIR=${svc.dataDir}`;
});

afterAll(async () => {
  await svc?.stop();
});

/** Waits until the run is at `phase`. */
async function reach(phase: Phase, random: () => number): Promise<void> {
  switch (phase) {
    case 'answering':
      // start() returned: /health answers. A random extra moment spreads kills over early start-up.
      await sleep(Math.floor(random() * 1500));
      return;
    case 'forked':
      await svc.waitForWorkers((ws) => ws.some((w) => w.pid !== null));
      return;
    case 'engine-loading': {
      const [pid] = await svc.workerPids();
      await svc.until('the worker to start its engine', async () => pid !== undefined && childPids(pid).length > 0, {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      return;
    }
    case 'idle':
      await svc.waitForWorkers((ws) => ws.length > 0 && ws.every((w) => w.state === 'idle'), 30_000);
      return;
    case 'busy':
      await svc.waitForWorkers((ws) => ws.length > 0 && ws.every((w) => w.state === 'idle'), 30_000);
      await svc.upload(speech);
      await svc.waitForWorkers((ws) => ws.some((w) => w.state === 'busy'), 30_000);
      return;
  }
}

describe('supervised workers never outlive the server', () => {
  it(`leaves no process behind after ${SCHEDULE.length} hard kills at every stage of a worker's life`, {
    // 20 server starts on a loaded 2-core machine.
    timeout: 300_000,
  }, async () => {
    const random = mulberry32(20261130);
    for (const [kill, phase] of SCHEDULE.entries()) {
      if (kill > 0) await svc.restart();
      await reach(phase, random);
      expect(processesWith(marker).length, `processes of the run at ${phase}`).toBeGreaterThan(0);
      await svc.kill('SIGKILL');
      let left: number[] = [];
      await svc.until(
        () =>
          `every process of the run to exit after a kill at ${phase} (kill ${kill + 1}); left:\n${left.map(describeProcess).join('\n')}`,
        async () => {
          left = processesWith(marker);
          return left.length === 0;
        },
        { timeoutMs: GONE_WITHIN_MS },
      );
    }
  });
});
