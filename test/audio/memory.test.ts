import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longSpeech } from '../helpers/audio-fixtures.js';

const run = promisify(execFile);

interface ChildReport {
  audioSeconds: number;
  chunks: number;
  elapsedMs: number;
  warmRssMB: number;
  maxRssMB: number;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-mem-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Analyses `media` in a fresh Node process (its own heap and maxRSS). */
async function analyseInChild(media: string, name: string): Promise<ChildReport> {
  const child = join(import.meta.dirname, 'analyse-child.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, media, join(dir, `${name}.pcm`)]);
  return JSON.parse(stdout) as ChildReport;
}

describe('analysis memory', () => {
  it('does not grow with the length of the recording', async () => {
    const short = await longSpeech(1);
    const long = await longSpeech(8);
    const a = await analyseInChild(short.path, 'short');
    const b = await analyseInChild(long.path, 'long');
    console.log(JSON.stringify({ short: a, long: b }));
    expect(b.audioSeconds - a.audioSeconds).toBeGreaterThan(6 * 60);
    // Holding the decoded audio would add 14 MB between the warm-up point (30 s) and the end of
    // the long recording; measured growth is 0-3 MB (GC timing).
    expect(b.maxRssMB - b.warmRssMB).toBeLessThan(6);
    // Across processes startup noise is a few MB either way, hence the looser bound.
    expect(b.maxRssMB - a.maxRssMB).toBeLessThan(10);
  });
});
