import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { MAX_WAV_DATA_BYTES, WAV_HEADER_BYTES, wavHeader } from '../audio/wav-header.js';
import type { Task } from '../core/task.js';
import { fullText, OUTPUT_FORMATS, type OutputFormat, type Segment, type Transcript } from '../core/transcript.js';
import { createMediaDir, removeMediaDir } from '../services/media-files.js';
import type { MediaStore } from '../storage/media-store.js';
import type { TaskStore } from '../store/task.store.js';

/** Who the saved task belongs to and how it is shown. */
export interface SaveOptions {
  userId: string;
  /** The task's display name. */
  sourceName: string;
  language: string;
  /** Formats listed on the task; default every format (all are served either way). */
  formats?: OutputFormat[];
}

/** The stored file's fixed name inside the task's media directory. */
const FILE_NAME = 'input.wav';
const BYTES_PER_SAMPLE = 2;

type State = 'recording' | 'saving' | 'saved' | 'discarded';

/**
 * A live session's audio and final turns, kept by the API process when the client asked to save
 * the session (`?save=true`), and turned into an ordinary succeeded task at the end: its media is
 * `${dataDir}/media/<taskId>/input.wav` (PCM16 mono at the client's rate, as received) and its
 * transcript the session's completed turns, so every transcript format, the media endpoint, the task
 * list and the UI work as for an upload.
 *
 * Memory: audio goes straight to a file stream; only what the disk has not taken yet stays in
 * memory (`pendingBytes`), and the caller stops reading its socket above its bound. Turns are kept
 * in memory, one Segment per completed turn: every turn covers audio received since the one before,
 * so their number and size grow only with the session's audio, which the session length
 * (liveMaxSessionSeconds) bounds.
 *
 * The owner ends every recording with exactly one of `save()` or `discard()`; until then the
 * directory exists on disk.
 */
export class SessionRecording {
  private state: State = 'recording';
  /** Sample bytes written to the stream (header excluded); always a whole number of samples. */
  private dataBytes = 0;
  /** The odd byte of a message that split a sample, joined to the next message. */
  private carry: Buffer | null = null;
  private readonly turns: Segment[] = [];
  /** The first write error; the stream is then destroyed and save() rejects with it. */
  private failure: Error | null = null;
  private saving: Promise<Task | null> | null = null;

  private constructor(
    private readonly dataDir: string,
    readonly taskId: string,
    readonly sampleRate: number,
    readonly mediaPath: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /**
   * Creates the task's media directory and `input.wav` with a header whose sizes are placeholders
   * (patched by save()). The rate is the client's input rate and is fixed from here on, so open the
   * recording when the first audio arrives (a session may change its rate only before that).
   */
  static async open(dataDir: string, taskId: string, sampleRate: number): Promise<SessionRecording> {
    const dir = await createMediaDir(dataDir, taskId);
    const mediaPath = path.join(dir, FILE_NAME);
    try {
      const stream = createWriteStream(mediaPath, { flags: 'wx' });
      await once(stream, 'open');
      // The largest sizes until the real ones are known: a reader of an unfinished file (the server
      // died mid-session) then reads to its end, as for a streamed WAV, instead of seeing no audio.
      stream.write(wavHeader(sampleRate, MAX_WAV_DATA_BYTES));
      return new SessionRecording(dataDir, taskId, sampleRate, mediaPath, stream);
    } catch (err) {
      // EEXIST: the file is another recording's or task's ('wx' never overwrites); leave it be.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await removeMediaDir(dataDir, taskId);
      throw err;
    }
  }

  /** Audio bytes accepted into the file so far, as seconds of session time. */
  get recordedSeconds(): number {
    return this.dataBytes / BYTES_PER_SAMPLE / this.sampleRate;
  }

  /** Bytes handed to write() that the disk has not taken yet (held in memory). */
  get pendingBytes(): number {
    return this.stream.writableLength;
  }

  /**
   * Appends PCM16 LE mono samples at the recording's rate. The buffer must not be changed
   * afterwards (it is queued, not copied). A message may split a sample; its odd byte waits for
   * the next one. Ignored after save() or discard() began, after a write error (save() reports
   * it), and past the most a WAV can hold (about 24 h at 24 kHz), where the recording stops.
   */
  write(pcm: Buffer): void {
    if (this.state !== 'recording' || this.failure !== null || pcm.length === 0) return;
    const bytes = this.carry === null ? pcm : Buffer.concat([this.carry, pcm]);
    const odd = bytes.length % BYTES_PER_SAMPLE;
    this.carry = odd === 0 ? null : bytes.subarray(bytes.length - odd);
    const room = MAX_WAV_DATA_BYTES - this.dataBytes;
    const take = Math.min(bytes.length - odd, room - (room % BYTES_PER_SAMPLE));
    if (take <= 0) return;
    this.dataBytes += take;
    this.stream.write(take === bytes.length ? bytes : bytes.subarray(0, take));
  }

  /**
   * Keeps a completed turn (times in session seconds, as the worker reports them). Turns with no
   * text are left out: a caption with nothing in it is noise. Ignored after save() or discard() began.
   */
  addTurn(segment: Segment): void {
    if (this.state !== 'recording') return;
    const text = segment.text.trim();
    if (text !== '') this.turns.push({ ...segment, text });
  }

  /**
   * Ends the file, writes the real sizes into its header and stores the session as a succeeded
   * task (TaskStore.addFinished) with the turns as its transcript. With `media`, the file is put
   * into that store first and the task keeps its key (a store other than this node's disk gets a
   * copy, and the local file goes); without, the task keeps the file's path. Resolves null, leaving
   * nothing on disk, when no audio was recorded. On any failure the media directory (and anything
   * put into `media`) is removed before the error propagates, so no file outlives a task that was
   * not stored. Call once.
   */
  save(store: TaskStore, options: SaveOptions, media?: MediaStore): Promise<Task | null> {
    if (this.state !== 'recording') return Promise.reject(new Error(`the recording is already ${this.state}`));
    this.state = 'saving';
    this.saving = this.finishAndStore(store, options, media).then(
      (task) => {
        this.state = 'saved';
        return task;
      },
      async (err: unknown) => {
        this.state = 'discarded';
        await this.removeFiles();
        await media?.remove(this.taskId).catch(() => undefined);
        throw err;
      },
    );
    return this.saving;
  }

  /**
   * Drops the audio and turns and removes the media directory. Idempotent; after save() began it
   * waits for the save and leaves a saved task's media alone (it belongs to the task now).
   */
  async discard(): Promise<void> {
    if (this.saving !== null) {
      await this.saving.catch(() => undefined);
      return;
    }
    if (this.state === 'discarded') return;
    this.state = 'discarded';
    await this.removeFiles();
  }

  private async finishAndStore(store: TaskStore, options: SaveOptions, media?: MediaStore): Promise<Task | null> {
    await this.endStream();
    if (this.failure !== null) throw this.failure;
    if (this.dataBytes === 0) {
      await removeMediaDir(this.dataDir, this.taskId);
      return null;
    }
    await this.writeFinalHeader();
    const duration = this.recordedSeconds;
    const segments = this.turns.filter((s) => s.start < duration).sort((a, b) => a.start - b.start || a.end - b.end);
    const transcript: Transcript = { language: options.language, duration, segments, text: fullText(segments) };
    const stored = media
      ? await media.putFile(this.taskId, this.mediaPath)
      : { key: this.mediaPath, bytes: WAV_HEADER_BYTES + this.dataBytes };
    const task = await store.addFinished(
      {
        id: this.taskId,
        userId: options.userId,
        priority: 0,
        sourceName: options.sourceName,
        mediaPath: stored.key,
        mediaBytes: stored.bytes,
        options: { language: options.language, formats: options.formats ?? [...OUTPUT_FORMATS] },
        callbackUrl: null,
        // Never run, so never retried; the store still requires at least one attempt.
        maxAttempts: 1,
        durationSeconds: duration,
      },
      transcript,
    );
    if (stored.key !== this.mediaPath) await removeMediaDir(this.dataDir, this.taskId);
    return task;
  }

  /** Flushes and closes the file (or, after an error, just closes it); resolves once the descriptor is closed. */
  private async endStream(): Promise<void> {
    const s = this.stream;
    if (s.closed) return;
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    if (this.failure === null && !s.destroyed) s.end();
    else s.destroy();
    await closed;
  }

  /** Writes the real sizes (the whole header, rewritten in place) and syncs before the task says succeeded. */
  private async writeFinalHeader(): Promise<void> {
    const file = await open(this.mediaPath, 'r+');
    try {
      await file.write(wavHeader(this.sampleRate, this.dataBytes), 0, WAV_HEADER_BYTES, 0);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  private async removeFiles(): Promise<void> {
    this.stream.destroy();
    await this.endStream();
    await removeMediaDir(this.dataDir, this.taskId);
  }
}
