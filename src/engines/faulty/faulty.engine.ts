import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { EngineError } from '../../core/errors/index.js';
import type { Segment } from '../../core/transcript.js';
import { abortedError, raceAbort, throwIfAborted } from '../abort.js';
import type { Engine, RecognizeOptions } from '../engine.js';

/**
 * Faults to inject, for tests of queue mechanics only (retries, leases, crash recovery). Calls are
 * numbered from 1 across every instance sharing one `FaultCounter` (createEngineFactory shares one
 * per factory, i.e. per worker process).
 */
export interface FaultConfig {
  /** Wait this long before each call, so tests can catch a task mid-run. */
  delayMs?: number;
  /** The first K calls fail with EngineError (without reaching the real engine). */
  failFirst?: number;
  /** These call numbers fail with EngineError. */
  failOn?: number[];
  /** On this call number the whole process SIGKILLs itself, like an OOM kill or a segfault. */
  crashOn?: number;
  /**
   * These call numbers hang until their signal aborts them, like a stuck engine. A test that must
   * interrupt a task mid-run stalls the calls after the ones it wants done, so the interruption lands
   * at that point whatever the machine's load (a delay only makes it likely).
   */
  stallOn?: number[];
}

const faultSchema = z
  .object({
    delayMs: z.number().int().min(0).max(600_000).optional(),
    failFirst: z.number().int().min(0).optional(),
    failOn: z.array(z.number().int().min(1)).optional(),
    crashOn: z.number().int().min(1).optional(),
    stallOn: z.array(z.number().int().min(1)).optional(),
  })
  .strict();

/** The log message of a stalled call (with its number as `call`). */
export const STALL_MSG = 'injected fault: engine call stalls';

/** Environment variable holding a FaultConfig as JSON; unset in production. */
export const FAULTS_ENV = 'EARSHOT_TEST_FAULTS';

/**
 * Parses `EARSHOT_TEST_FAULTS`. Returns null when unset or empty; throws a readable Error on bad
 * JSON or unknown keys, so a typo fails the process at boot instead of silently injecting nothing.
 */
export function parseFaultConfig(json: string | undefined): FaultConfig | null {
  if (json === undefined || json.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${FAULTS_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = faultSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${FAULTS_ENV} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Call numbering shared by the decorators of one factory. */
export interface FaultCounter {
  calls: number;
}

/**
 * Wraps a real engine and injects the configured faults. It never produces text of its own: a
 * call either fails, crashes the process, or returns exactly what the wrapped engine returned.
 */
export class FaultyEngine implements Engine {
  readonly name: string;

  constructor(
    private readonly inner: Engine,
    private readonly faults: FaultConfig,
    private readonly counter: FaultCounter = { calls: 0 },
  ) {
    this.name = inner.name;
  }

  load(): Promise<void> {
    return this.inner.load();
  }

  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    throwIfAborted(opts.signal);
    this.counter.calls += 1;
    const call = this.counter.calls;
    if (this.faults.crashOn === call) process.kill(process.pid, 'SIGKILL');
    if (this.faults.stallOn?.includes(call)) {
      // Announced on stdout as a log record, so a test can wait until its stalls are in place.
      process.stdout.write(
        `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: STALL_MSG, call })}\n`,
      );
      // A promise that never settles: only the abort ends the call.
      await raceAbort(new Promise<never>(() => {}), opts.signal);
    }
    if (this.faults.delayMs !== undefined && this.faults.delayMs > 0) {
      try {
        await sleep(this.faults.delayMs, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch (err) {
        if (opts.signal?.aborted) throw abortedError(opts.signal);
        throw err;
      }
    }
    if (call <= (this.faults.failFirst ?? 0) || this.faults.failOn?.includes(call)) {
      throw new EngineError(`injected fault: call ${call} fails (${FAULTS_ENV})`);
    }
    return this.inner.recognize(pcm, opts);
  }

  release(): Promise<void> {
    return this.inner.release();
  }
}
