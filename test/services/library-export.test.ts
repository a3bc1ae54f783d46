import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { Task } from '../../src/core/task.js';
import type { Transcript } from '../../src/core/transcript.js';
import { LibraryService } from '../../src/services/library.service.js';
import type { TaskService } from '../../src/services/task.service.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { mulberry32 } from '../helpers/prng.js';

const TASKS = 12;
const SEGMENTS = 2000;

/** About 120 kB of text that compresses poorly: each entry is far larger than the streams' buffers. */
function transcriptFor(seed: number): Transcript {
  const rand = mulberry32(seed);
  const word = () => Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
  const segments = Array.from({ length: SEGMENTS }, (_, i) => ({
    start: i,
    end: i + 0.9,
    text: `${word()} ${word()} ${word()} ${word()} ${word()} ${word()} ${word()} ${word()}`,
    words: [],
  }));
  return { language: 'en', duration: SEGMENTS, segments, text: '' };
}

describe('LibraryService.exportZip', () => {
  it('loads each transcript only when its entry is reached, paced by the reader', async () => {
    const task = (i: number) =>
      ({
        id: `t${i}`,
        status: 'succeeded',
        title: `Talk ${i}`,
        sourceName: 'x.wav',
        finishedAt: 0,
        updatedAt: 0,
      }) as Task;
    let received = 0;
    const receivedAtLoad: number[] = [];
    const store = {
      get: async (id: string) => task(Number(id.slice(1))),
      getTranscript: async (id: string) => {
        receivedAtLoad.push(received);
        return transcriptFor(Number(id.slice(1)) + 1);
      },
    } as unknown as TaskStore;
    const library = new LibraryService({ store, tasks: {} as TaskService, log: createLogger('silent') });
    const ids = Array.from({ length: TASKS }, (_, i) => `t${i}`);

    const zip = await library.exportZip(ids, { admin: true }, 'txt');
    const chunks: Buffer[] = [];
    for await (const chunk of zip) {
      received += (chunk as Buffer).length;
      chunks.push(chunk as Buffer);
    }

    expect(receivedAtLoad).toHaveLength(TASKS);
    // Each transcript is loaded after the reader took most of the previous entry: one at a time.
    for (let i = 1; i < TASKS; i++) {
      expect((receivedAtLoad[i] ?? 0) - (receivedAtLoad[i - 1] ?? 0)).toBeGreaterThan(50_000);
    }
    const files = unzipSync(new Uint8Array(Buffer.concat(chunks)));
    expect(Object.keys(files)).toEqual(ids.map((_, i) => `Talk ${i}.txt`));
    expect(new TextDecoder().decode(files['Talk 3.txt'])).toContain(transcriptFor(4).segments[0]?.text);
  });
});
