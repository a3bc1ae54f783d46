import { CHUNK_SECONDS_RANGE, settingDefault } from '../config/config.js';
import type { ChunkPlan } from '../core/task.js';
import { SAMPLE_RATE } from '../core/task.js';
import { type SpeechRegion, VAD_FRAME_SAMPLES, type VadFrame } from './speech-segmenter.js';

/**
 * Longest first chunks, in seconds, by chunk index; later chunks use the maximum. A chunk is
 * recognised (and its words shown) only once it is whole, and recognising 30 s takes several
 * CPU-seconds, so short first chunks bring a long recording's first words within seconds of the
 * upload (docs/benchmarks.md, issue 11). Only the first few are short: every cut costs a little
 * accuracy at its edges. By index only, so planning stays deterministic.
 */
export const FIRST_CHUNKS_MAX_SECONDS: readonly number[] = Object.freeze([6, 15]);

export interface ChunkPlannerOptions {
  /** Hard upper bound on a chunk's length. Default: EARSHOT_MAX_CHUNK_SECONDS's default. */
  maxChunkSeconds?: number;
  /**
   * Preferred lower bound: when a chunk must be cut, pauses that leave at least this much in it are
   * preferred. Only a preference (a long silence still ends a short chunk). Default 10 s, at most
   * half of the maximum.
   */
  minChunkSeconds?: number;
  /** A pause longer than this always ends a chunk, so long silences are never sent to the engine. Default 2 s. */
  maxGapSeconds?: number;
  /**
   * When speech runs past the maximum without any pause, it is split at the least speech-like frame
   * within this distance before the limit. Default min(5 s, a quarter of the maximum).
   */
  splitSearchSeconds?: number;
  /**
   * Lower maxima for the first chunks, by index (each capped by `maxChunkSeconds`; the other bounds
   * scale down with it). Default FIRST_CHUNKS_MAX_SECONDS; [] plans every chunk alike.
   */
  firstChunksMaxSeconds?: readonly number[];
}

/** The length bounds of one chunk, in samples. */
interface ChunkLimits {
  max: number;
  min: number;
  search: number;
}

/** A stretch of the current chunk: a closed speech region, or the one still in progress. */
interface Piece {
  startSample: number;
  endSample: number;
}

/**
 * The last `capacity` speech probabilities, by frame number. Only frames near the end of the
 * current chunk can become split points, so this bounds the planner's memory.
 */
class ProbRing {
  private readonly probs: Float32Array;
  private latest = -1;

  constructor(private readonly capacity: number) {
    this.probs = new Float32Array(capacity);
  }

  set(frame: number, prob: number): void {
    this.probs[frame % this.capacity] = prob;
    this.latest = Math.max(this.latest, frame);
  }

  get(frame: number): number | undefined {
    if (frame > this.latest || frame <= this.latest - this.capacity || frame < 0) return undefined;
    return this.probs[frame % this.capacity];
  }
}

/**
 * Plans recognition chunks from VAD output, incrementally: each chunk is returned as soon as no
 * later frame can change it, so recognition starts while decoding continues. Chunks cover speech
 * only (regions, merged across pauses up to `maxGapSeconds`), never exceed `maxChunkSeconds`, and
 * are cut in pauses, preferring the longest pause that leaves a chunk of at least
 * `minChunkSeconds`. Speech with no pause at all is split at the quietest frame just before the
 * limit. The first chunks have lower maxima (`firstChunksMaxSeconds`), so the first words are
 * ready early. Pure and deterministic: the same frames always give the same chunks, which is what
 * lets a resumed task re-plan and match the chunks it already checkpointed. Indexes are 0-based
 * and contiguous.
 */
export class ChunkPlanner {
  /** Bounds of chunk i, for i < limits.length - 1; the last entry holds for every later chunk. */
  private readonly limits: ChunkLimits[];
  private readonly maxGap: number;
  private readonly probs: ProbRing;
  private nextIndex = 0;
  private now = 0;
  /** Start of the current chunk: its first region's start, or a mid-speech split point. */
  private chunkStart: number | null = null;
  /** Closed regions of the current chunk, the first clipped to chunkStart. */
  private regions: Piece[] = [];

  constructor(opts: ChunkPlannerOptions = {}) {
    const maxSeconds = opts.maxChunkSeconds ?? settingDefault('maxChunkSeconds');
    if (!(maxSeconds >= CHUNK_SECONDS_RANGE.min)) {
      throw new RangeError(`maxChunkSeconds must be at least ${CHUNK_SECONDS_RANGE.min} (got ${maxSeconds})`);
    }
    const limitsFor = (seconds: number): ChunkLimits => {
      const search = opts.splitSearchSeconds ?? Math.min(5, seconds / 4);
      return {
        max: Math.round(seconds * SAMPLE_RATE),
        min: Math.round(Math.min(opts.minChunkSeconds ?? 10, seconds / 2) * SAMPLE_RATE),
        search: Math.max(VAD_FRAME_SAMPLES, Math.round(Math.min(search, seconds / 2) * SAMPLE_RATE)),
      };
    };
    const ramp = opts.firstChunksMaxSeconds ?? FIRST_CHUNKS_MAX_SECONDS;
    this.limits = [
      ...ramp.map((s) => limitsFor(Math.max(CHUNK_SECONDS_RANGE.min, Math.min(s, maxSeconds)))),
      limitsFor(maxSeconds),
    ];
    this.maxGap = Math.round(Math.max(0, opts.maxGapSeconds ?? 2) * SAMPLE_RATE);
    this.probs = new ProbRing(Math.ceil(Math.round(maxSeconds * SAMPLE_RATE) / VAD_FRAME_SAMPLES) + 4);
  }

  /** Bounds of the chunk being planned now. */
  private get current(): ChunkLimits {
    return this.limits[Math.min(this.nextIndex, this.limits.length - 1)] as ChunkLimits;
  }

  /** Consumes the next VAD frame; returns the chunks it made final (usually none). */
  push(frame: VadFrame): ChunkPlan[] {
    const out: ChunkPlan[] = [];
    this.probs.set(Math.floor(frame.startSample / VAD_FRAME_SAMPLES), frame.prob);
    this.now = Math.max(this.now, frame.startSample + VAD_FRAME_SAMPLES);
    if (frame.ended) this.addRegion(frame.ended);

    const last = this.regions.at(-1);
    if (last && (frame.openStart ?? this.now) - last.endSample > this.maxGap) {
      this.emit(out, last.endSample);
      this.regions = [];
      this.chunkStart = null;
    }
    this.enforceMax(out, frame.openStart);
    if (this.regions.length === 0 && frame.openStart === null) this.chunkStart = null;
    return out;
  }

  /** Ends planning: `lastRegion` is the region the VAD closed at the end of the stream. */
  finish(totalSamples: number, lastRegion: SpeechRegion | null): ChunkPlan[] {
    const out: ChunkPlan[] = [];
    this.now = Math.max(this.now, totalSamples);
    if (lastRegion) this.addRegion(lastRegion);
    this.enforceMax(out, null);
    const last = this.regions.at(-1);
    if (last) this.emit(out, last.endSample);
    this.regions = [];
    this.chunkStart = null;
    return out;
  }

  private addRegion(region: SpeechRegion): void {
    const start = Math.max(region.startSample, this.chunkStart ?? region.startSample);
    if (region.endSample <= start) return;
    this.chunkStart ??= start;
    this.regions.push({ startSample: start, endSample: region.endSample });
  }

  /** Cuts the current chunk until what is left fits in `max`. */
  private enforceMax(out: ChunkPlan[], openStart: number | null): void {
    for (;;) {
      const pieces: Piece[] = [...this.regions];
      if (openStart !== null) {
        const start = pieces.length > 0 ? openStart : Math.max(openStart, this.chunkStart ?? openStart);
        pieces.push({ startSample: start, endSample: Math.max(start, this.now) });
      }
      const first = pieces[0];
      const lastPiece = pieces.at(-1);
      if (!first || !lastPiece) return;
      const spanStart = this.chunkStart ?? first.startSample;
      if (lastPiece.endSample - spanStart <= this.current.max) return;

      const gap = this.pickGap(pieces, spanStart);
      if (gap !== null) {
        const left = pieces[gap] as Piece;
        this.chunkStart = spanStart;
        this.emit(out, left.endSample);
        this.regions = this.regions.slice(gap + 1);
        this.chunkStart = this.regions[0]?.startSample ?? null;
      } else {
        const cut = this.pickSplit(spanStart);
        this.chunkStart = spanStart;
        this.emit(out, cut);
        this.regions = this.regions
          .filter((r) => r.endSample > cut)
          .map((r) => ({ startSample: Math.max(r.startSample, cut), endSample: r.endSample }));
        const continues = this.regions.length > 0 || (openStart !== null && openStart < cut);
        this.chunkStart = continues ? cut : null;
      }
    }
  }

  /**
   * Index of the piece after which to cut, or null when no pause fits. Longest pause leaving at
   * least `min` wins (later on ties); failing that, the latest pause that fits at all.
   */
  private pickGap(pieces: readonly Piece[], spanStart: number): number | null {
    let best: number | null = null;
    let bestLength = -1;
    let latest: number | null = null;
    const { max, min } = this.current;
    for (let i = 0; i + 1 < pieces.length; i += 1) {
      const left = pieces[i] as Piece;
      const right = pieces[i + 1] as Piece;
      const length = left.endSample - spanStart;
      if (length > max || length <= 0) continue;
      latest = i;
      const pause = right.startSample - left.endSample;
      if (length >= min && pause >= bestLength) {
        best = i;
        bestLength = pause;
      }
    }
    return best ?? latest;
  }

  /** A cut point inside continuous speech: the middle of the least speech-like frame near the limit. */
  private pickSplit(spanStart: number): number {
    const { max, search } = this.current;
    const limit = spanStart + max;
    const firstFrame = Math.ceil((limit - search) / VAD_FRAME_SAMPLES);
    const lastFrame = Math.floor(limit / VAD_FRAME_SAMPLES) - 1;
    let cut = limit;
    let lowest = Number.POSITIVE_INFINITY;
    for (let f = Math.max(firstFrame, 0); f <= lastFrame; f += 1) {
      const p = this.probs.get(f);
      const at = f * VAD_FRAME_SAMPLES + VAD_FRAME_SAMPLES / 2;
      if (p !== undefined && p <= lowest && at > spanStart) {
        lowest = p;
        cut = at;
      }
    }
    return cut;
  }

  private emit(out: ChunkPlan[], endSample: number): void {
    const startSample = this.chunkStart;
    if (startSample === null || endSample <= startSample) return;
    out.push({ index: this.nextIndex, startSample, endSample });
    this.nextIndex += 1;
  }
}
