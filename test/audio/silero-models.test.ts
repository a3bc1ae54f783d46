import { afterAll, describe, expect, it } from 'vitest';
import { decodeToPcm } from '../../src/audio/decode.js';
import { sileroModels } from '../../src/audio/silero-models.js';
import { SpeechDetector, type SpeechRegion } from '../../src/audio/vad.js';

/** Real recorded speech (LibriVox readings shipped with PocketSphinx's test data). */
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb';

async function pcmOf(path: string): Promise<Int16Array> {
  const parts: Buffer[] = [];
  for await (const chunk of decodeToPcm(path) as AsyncIterable<Buffer>) parts.push(chunk);
  const all = Buffer.concat(parts);
  return new Int16Array(all.buffer, all.byteOffset, all.length / 2);
}

/** Every frame's speech probability and the regions found, on a detector from the process's models. */
async function analyse(pcm: Int16Array): Promise<{ probs: number[]; regions: SpeechRegion[] }> {
  const detector = await SpeechDetector.create();
  try {
    const frames = [...(await detector.push(pcm))];
    const tail = await detector.flush();
    frames.push(...tail.frames);
    const regions = frames.flatMap((f) => (f.ended ? [f.ended] : []));
    if (tail.lastRegion) regions.push(tail.lastRegion);
    return { probs: frames.map((f) => f.prob), regions };
  } finally {
    await detector.release();
  }
}

describe('Silero models reused across detectors', () => {
  afterAll(() => sileroModels.clear());

  it('a reused model, after another recording, finds exactly what a freshly loaded one does', async () => {
    const first = await pcmOf(`${LIBRIVOX}-0870.wav`);
    const second = await pcmOf(`${LIBRIVOX}-0890.wav`);
    await sileroModels.clear();

    const fresh = await analyse(second);
    expect(sileroModels.idleCount).toBe(1);
    // The same model now hears another recording, leaving its recurrent state dirty...
    await analyse(first);
    expect(sileroModels.idleCount).toBe(1);
    // ...and is handed to the next detector with that state reset.
    const reused = await analyse(second);

    expect(fresh.regions.length).toBeGreaterThan(0);
    expect(reused.regions).toEqual(fresh.regions);
    expect(reused.probs).toEqual(fresh.probs);
  });

  it('keeps a bounded number idle and frees the rest', async () => {
    await sileroModels.clear();
    const detectors = await Promise.all(Array.from({ length: 6 }, () => SpeechDetector.create()));
    await Promise.all(detectors.map((d) => d.release()));
    expect(sileroModels.idleCount).toBe(4);
  });
});
