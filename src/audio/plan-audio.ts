import { BoundedQueue } from '../core/async/bounded-queue.js';
import { AbortedError } from '../core/errors/aborted.error.js';
import type { ChunkPlan } from '../core/task.js';
import { SAMPLE_RATE } from '../core/task.js';
import { ChunkPlanner, type ChunkPlannerOptions } from './chunk-planner.js';
import { decodeToPcm } from './decode.js';
import { PcmSpool } from './pcm-spool.js';
import { SpeechDetector, type SpeechDetectorOptions } from './vad.js';

/**
 * Planned chunks an analysis may hold for its consumer before decoding pauses. Memory is not the
 * reason for a bound (plans are three numbers, the PCM is on disk), so for a file it is generous:
 * analysis runs far ahead of recognition (decode + VAD cost about a twentieth of recognising), the
 * plan is complete early, and an attempt resumed after a crash then skips VAD and decodes only the
 * part still to recognise (bench/resume.ts: with 4 plans ahead, a server killed at 80% re-analysed
 * the whole recording and restart-to-done went from 26% to 42% of an uninterrupted run). 1000
 * chunks is over 8 hours at 30 s. A live source, whose audio arrives in real time, passes a small one.
 */
export const PLANS_AHEAD = 1000;

/**
 * Planned chunks an analysis holds before its consumer calls `runAhead()`. Until the first chunks
 * are recognised, decode + VAD (at normal priority) would take a core from the engines recognising
 * them (at a lower one) and delay the first words by seconds; one plan in hand keeps a freed engine
 * from waiting for the planner.
 */
export const FIRST_PLANS_AHEAD = 1;

/** Options shared by full analysis and replaying a stored plan. */
export interface SpoolingOptions {
  /** Where the decoded PCM goes; the file is deleted by `close()`. */
  spoolPath: string;
  /** Stops decoding (ffmpeg is killed); iteration then rejects with AbortedError. */
  signal?: AbortSignal;
  /** Duration from probeMedia, if known; lets decoding detect truncated files. */
  durationSeconds?: number | null;
  /** Seconds decoded so far (for progress and ETA), after every block of about 2 s. */
  onProgress?: (decodedSeconds: number) => void;
}

export interface PlanAudioOptions extends SpoolingOptions, ChunkPlannerOptions {
  /** VAD hysteresis and threads; defaults suit speech. */
  vad?: SpeechDetectorOptions;
  /** Planned chunks held for the consumer before decoding pauses, once it calls `runAhead()`; default PLANS_AHEAD. */
  plansAhead?: number;
  /** The same bound before `runAhead()`; default FIRST_PLANS_AHEAD (never more than `plansAhead`). */
  firstPlansAhead?: number;
}

export interface ReplayPlanOptions extends SpoolingOptions {
  /** Decode from here (whole seconds keep sample positions exact); earlier samples cannot be read. */
  startSeconds?: number;
}

/**
 * A recording being decoded once into a spool file, read as the async iterable of its planned
 * chunks, in index order (iterate it once). A chunk is yielded as soon as it is final, while
 * decoding continues; its samples can then be read with `readRange` (which waits for them to reach
 * the disk). The loop ends only once the whole recording is decoded, so `totalSamples` is known
 * then. Decoding errors (BadAudioError, AbortedError) are thrown by the loop and fail pending reads.
 * Leaving the loop early stops decoding. The caller owns the spool: `close()` it, also on failure.
 */
export interface PlannedAudio extends AsyncIterable<ChunkPlan> {
  /** Samples [startSample, endSample) of the recording, waiting until they are decoded. */
  readRange(startSample: number, endSample: number): Promise<Int16Array>;
  /** Length of the recording in samples once it is fully decoded; null until then. */
  readonly totalSamples: number | null;
  /**
   * The consumer's first chunks are done: from now on the analysis may run its full bound ahead
   * (PLANS_AHEAD) instead of the small one it starts with. Idempotent.
   */
  runAhead(): void;
  /**
   * Every chunk of the recording, once the analysis has planned them all, usually long before they
   * are recognised (the analysis runs up to PLANS_AHEAD chunks ahead). Rejects when decoding fails
   * or is stopped. A task stores this as its complete plan, so an attempt resumed after a crash
   * replays the plan instead of analysing the whole recording again.
   */
  readonly planned: Promise<readonly ChunkPlan[]>;
  /** Stops decoding, fails pending reads with AbortedError, deletes the spool file. Idempotent. */
  close(): Promise<void>;
}

/** Hands one planned chunk to the consumer, waiting while it has enough of them. */
type Push = (plan: ChunkPlan) => Promise<void>;
/** Decodes into `spool`, pushing plans as they are made; resolves with the samples spooled. */
type Producer = (spool: PcmSpool, signal: AbortSignal, push: Push) => Promise<number>;

class SpooledAudio implements PlannedAudio {
  private readonly spool: PcmSpool;
  private readonly plans: BoundedQueue<ChunkPlan>;
  private readonly stop = new AbortController();
  private total: number | null = null;
  private iterated = false;
  /** Every plan pushed so far: three numbers per chunk, a few thousand at most for a long day. */
  private readonly all: ChunkPlan[] = [];
  readonly planned: Promise<readonly ChunkPlan[]>;

  /**
   * `offset`: the recording's sample at which decoding starts (spool sample 0). `capacity`: plans
   * held before `runAhead()` (`first`) and after (`full`).
   */
  constructor(
    spoolPath: string,
    private readonly offset: number,
    private readonly capacity: { first: number; full: number },
    signal: AbortSignal | undefined,
    produce: Producer,
  ) {
    this.spool = new PcmSpool(spoolPath);
    this.plans = new BoundedQueue(Math.min(capacity.first, capacity.full));
    const decoding = signal ? AbortSignal.any([signal, this.stop.signal]) : this.stop.signal;
    const producing = produce(this.spool, decoding, (plan) => {
      this.all.push(plan);
      return this.plans.push(plan);
    });
    this.planned = producing.then(() => this.all);
    // Nobody may be waiting for `planned` (a failed or stopped run): its rejection is reported by the loop.
    this.planned.catch(() => undefined);
    producing.then(
      (spooled) => {
        this.total = spooled + offset;
        this.plans.end();
      },
      (err: unknown) => this.plans.fail(err),
    );
  }

  get totalSamples(): number | null {
    return this.total;
  }

  readRange(startSample: number, endSample: number): Promise<Int16Array> {
    return this.spool.readRange(startSample - this.offset, endSample - this.offset);
  }

  [Symbol.asyncIterator](): AsyncIterator<ChunkPlan> {
    if (this.iterated) throw new Error('the chunks of a PlannedAudio can be iterated only once');
    this.iterated = true;
    return {
      next: () => this.plans.next(),
      return: async () => {
        this.stop.abort(new AbortedError('the consumer stopped reading chunks'));
        return this.plans.return();
      },
    };
  }

  runAhead(): void {
    this.plans.raise(this.capacity.full);
  }

  async close(): Promise<void> {
    const closed = new AbortedError('audio closed');
    this.stop.abort(closed);
    // Fails a loop still reading (rather than ending it as if the recording were complete) and
    // unblocks a producer waiting for room, so the VAD is released.
    this.plans.fail(closed);
    await this.spool.close();
  }
}

/**
 * Decodes `path` once and, in the same pass, spools the PCM to disk, runs the VAD and plans chunks.
 * Decoding pauses while `firstPlansAhead` planned chunks wait for the consumer, and once it calls
 * `runAhead()` while `plansAhead` do, so analysis runs ahead of recognition by a bounded amount. A
 * recording without speech yields no chunks.
 */
export function planAudio(path: string, opts: PlanAudioOptions): PlannedAudio {
  return new SpooledAudio(
    opts.spoolPath,
    0,
    { first: opts.firstPlansAhead ?? FIRST_PLANS_AHEAD, full: opts.plansAhead ?? PLANS_AHEAD },
    opts.signal,
    async (spool, signal, push) => {
      // The model loads first: a decode stream created earlier could error with nobody listening yet.
      const detector = await SpeechDetector.create(opts.vad);
      try {
        const pcm = decodeToPcm(path, { signal, expectedSeconds: opts.durationSeconds });
        const planner = new ChunkPlanner(opts);
        const emit = async (plans: ChunkPlan[]): Promise<void> => {
          for (const plan of plans) await push(plan);
        };
        const totalSamples = await spool.consume(pcm, {
          // Awaited by the spool: a full plan queue stops the spool reading, and so ffmpeg decoding.
          onSamples: async (samples) => {
            for (const frame of await detector.push(samples)) await emit(planner.push(frame));
          },
          onProgress: (written) => opts.onProgress?.(written / SAMPLE_RATE),
        });
        const tail = await detector.flush();
        for (const frame of tail.frames) await emit(planner.push(frame));
        await emit(planner.finish(totalSamples, tail.lastRegion));
        return totalSamples;
      } finally {
        await detector.release();
      }
    },
  );
}

/**
 * A resumed task's stored (complete) plan with the audio decoded again, without VAD or planning,
 * from `startSeconds`. The plan is already in memory, so its chunks are yielded at once; reading
 * one waits for its samples. The loop ends when decoding does.
 */
export function replayPlan(path: string, plan: readonly ChunkPlan[], opts: ReplayPlanOptions): PlannedAudio {
  const startSeconds = opts.startSeconds ?? 0;
  return new SpooledAudio(
    opts.spoolPath,
    startSeconds * SAMPLE_RATE,
    // Nothing to analyse, so nothing to hold back: every plan is handed over at once.
    { first: Math.max(1, plan.length), full: Math.max(1, plan.length) },
    opts.signal,
    async (spool, signal, push) => {
      const pcm = decodeToPcm(path, {
        signal,
        expectedSeconds: opts.durationSeconds,
        ...(startSeconds > 0 ? { startSeconds } : {}),
      });
      const pushAll = async (): Promise<void> => {
        for (const chunk of plan) await push(chunk);
      };
      const [spooled] = await Promise.all([
        spool.consume(pcm, { onProgress: (written) => opts.onProgress?.(written / SAMPLE_RATE) }),
        pushAll(),
      ]);
      return spooled;
    },
  );
}

/**
 * `planAudio` run to the end: every chunk and the recording's length. On failure the spool is
 * closed (its file deleted) before the error is rethrown; on success the caller owns `audio`.
 */
export async function analyseAudio(
  path: string,
  opts: PlanAudioOptions,
): Promise<{ audio: PlannedAudio; chunks: ChunkPlan[]; totalSamples: number }> {
  const audio = planAudio(path, opts);
  audio.runAhead();
  try {
    const chunks: ChunkPlan[] = [];
    for await (const chunk of audio) chunks.push(chunk);
    return { audio, chunks, totalSamples: audio.totalSamples as number };
  } catch (err: unknown) {
    await audio.close();
    throw err;
  }
}
