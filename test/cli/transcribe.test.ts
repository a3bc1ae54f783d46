import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { combineWer, wordErrorRate } from '../../src/core/wer.js';
import { LIBRIVOX_DIR, loadLibrivox } from '../engines/librivox.js';
import {
  makeEmpty,
  makeNonAudio,
  makeSilence,
  makeTruncated,
  makeUnsupportedCodec,
  synthSpeech,
} from '../helpers/audio-fixtures.js';
import { childEnv } from '../helpers/child-env.js';
import { CLI, type CliResult, runCli } from '../helpers/cli.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'earshot-cli-'));
});

describe('earshot transcribe (real PocketSphinx on real LibriVox speech)', () => {
  it('transcribes every clip in one run with a word error rate under 35%', async () => {
    const clips = loadLibrivox();
    const files = clips.map((c) => join(LIBRIVOX_DIR, `${c.id}.wav`));
    const dir = await mkdtemp(join(out, 'librivox-'));
    const res = await runCli(['transcribe', ...files, '-f', 'json', '-o', dir, '-c', '2']);
    expect(res.code, res.stderr).toBe(0);
    const results = [];
    for (const clip of clips) {
      const t = JSON.parse(await readFile(join(dir, `${clip.id}.json`), 'utf8')) as Transcript;
      expect(t.duration).toBeCloseTo(clip.seconds, 1);
      results.push(wordErrorRate(clip.reference, t.text));
    }
    // PocketSphinx with Debian's generic en-us LM measures ~28% on these clips (see docs/benchmarks.md).
    expect(combineWer(results).wer).toBeLessThan(0.35);
  });

  it('writes every format, and SRT/VTT parse with a real subtitle parser', async () => {
    const file = join(LIBRIVOX_DIR, 'sense_and_sensibility_01_austen_64kb-0870.wav');
    const dir = await mkdtemp(join(out, 'formats-'));
    const res = await runCli(['transcribe', file, '-f', 'json,srt,vtt,txt', '-o', dir]);
    expect(res.code, res.stderr).toBe(0);
    const base = join(dir, 'sense_and_sensibility_01_austen_64kb-0870');
    const json = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Transcript;
    const words = json.segments.flatMap((s) => s.words.map((w) => w.word));
    for (const ext of ['srt', 'vtt']) {
      const cues = parseSync(await readFile(`${base}.${ext}`, 'utf8')).filter((n) => n.type === 'cue');
      expect(cues.length).toBeGreaterThan(0);
      const cueWords = cues.flatMap((c) => (c.type === 'cue' ? String(c.data.text).split(/\s+/) : []));
      expect(cueWords).toEqual(words);
    }
    expect((await readFile(`${base}.txt`, 'utf8')).trim().split(/\s+/)).toEqual(json.text.split(' '));
  });

  it("streams each chunk's segments to stdout in recording order as soon as it is recognised (--stream)", async () => {
    const file = join(LIBRIVOX_DIR, 'sense_and_sensibility_01_austen_64kb-0870.wav');
    // One chunk at a time, so engine call N is chunk N and the chunks finish in order.
    const args = ['transcribe', file, '--stream', '-o', '-', '-f', 'txt', '--max-chunk-seconds', '3', '-c', '1'];
    // The same run, SIGKILLed by the fault injector as it starts the third engine call: what the
    // first two chunks gave must already be on stdout. A CLI that printed only at the end prints nothing.
    const [full, cut] = await Promise.all([
      runCli(args),
      runCli(args, { EARSHOT_TEST_FAULTS: JSON.stringify({ crashOn: 3 }) }),
    ]);
    expect(full.code, full.stderr).toBe(0);
    const lines = linesOf(full.stdout);
    expect(lines.length).toBeGreaterThan(2);
    const cues = lines.map(parseStreamLine);
    const starts = cues.map((c) => c.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const c of cues) expect(c.end).toBeGreaterThan(c.start);

    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    const early = linesOf(cut.stdout);
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(lines.length);
    expect(early).toEqual(lines.slice(0, early.length));
  });

  it('gives an empty transcript for silence', async () => {
    const dir = await mkdtemp(join(out, 'silence-'));
    const res = await runCli(['transcribe', await makeSilence(5), '-f', 'json', '-o', dir]);
    expect(res.code, res.stderr).toBe(0);
    const [name] = await readdir(dir);
    const t = JSON.parse(await readFile(join(dir, name ?? ''), 'utf8')) as Transcript;
    expect(t.segments).toEqual([]);
    expect(t.duration).toBeCloseTo(5, 0);
  });
});

describe('earshot transcribe: several files in flight on one engine pool', () => {
  // The longest clip (7.1 s, three 3 s chunks) first, so shorter ones finish before it.
  const ids = ['0870', '0880', '0890', '0920', '0930'].map((n) => `sense_and_sensibility_01_austen_64kb-${n}`);
  const files = ids.map((id) => join(LIBRIVOX_DIR, `${id}.wav`));
  const chunked = ['--max-chunk-seconds', '3', '-c', '2'];
  let oneAtATime: string;

  beforeAll(async () => {
    oneAtATime = await mkdtemp(join(out, 'one-at-a-time-'));
    const res = await runCli(['transcribe', ...files, '-f', 'json,txt', '-o', oneAtATime, ...chunked], {
      EARSHOT_WORKER_TASKS: 1,
    });
    expect(res.code, res.stderr).toBe(0);
  });

  it('gives the same transcripts with several files at once as one at a time', async () => {
    const dir = await mkdtemp(join(out, 'parallel-'));
    // Default: 2 x engines = 4 files in flight.
    const res = await runCli(['transcribe', ...files, '-f', 'json,txt', '-o', dir, ...chunked]);
    expect(res.code, res.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual((await readdir(oneAtATime)).sort());
    for (const id of ids) {
      const [a, b] = await Promise.all([
        readFile(join(oneAtATime, `${id}.json`), 'utf8'),
        readFile(join(dir, `${id}.json`), 'utf8'),
      ]);
      const t = JSON.parse(b) as Transcript;
      expect(t.text.length, id).toBeGreaterThan(0);
      expect(t).toEqual(JSON.parse(a));
    }
  });

  it('prints each output whole and in input order with -o -', async () => {
    const res = await runCli(['transcribe', ...files, '-f', 'txt', '-o', '-', ...chunked]);
    expect(res.code, res.stderr).toBe(0);
    const expected = await Promise.all(ids.map((id) => readFile(join(oneAtATime, `${id}.txt`), 'utf8')));
    expect(res.stdout).toBe(expected.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join(''));
  });

  it('prefixes --stream lines with the file name, each file in recording order', async () => {
    const res = await runCli(['transcribe', ...files, '--stream', '-o', '-', ...chunked]);
    expect(res.code, res.stderr).toBe(0);
    const byFile = new Map<string, string[]>();
    for (const line of linesOf(res.stdout)) {
      const file = files.find((f) => line.startsWith(`${f}: `));
      expect(file, line).toBeDefined();
      byFile.set(file as string, [...(byFile.get(file as string) ?? []), line.slice((file as string).length + 2)]);
    }
    for (const [i, id] of ids.entries()) {
      const t = JSON.parse(await readFile(join(oneAtATime, `${id}.json`), 'utf8')) as Transcript;
      const cues = (byFile.get(files[i] as string) ?? []).map(parseStreamLine);
      expect(cues.map((c) => c.text).join(' ')).toBe(t.segments.map((s) => s.text).join(' '));
    }
  });

  it('finishes one file while another is stuck on an engine, and Ctrl-C aborts the one still in flight', async () => {
    // Two one-chunk clips, two engines; the first engine call hangs until aborted. Run one file
    // after the other, the stuck file would block the second for ever; run at once, the second is
    // written while the first still holds its engine.
    const pair = [files[1], files[4]] as string[];
    const dir = await mkdtemp(join(out, 'overlap-'));
    const res = await runCliUntil(
      ['transcribe', ...pair, '-f', 'txt', '-o', dir, '-c', '2'],
      { EARSHOT_TEST_FAULTS: JSON.stringify({ stallOn: [1] }) },
      /^wrote /m,
    );
    expect(res.code, res.stderr).toBe(130);
    const written = await readdir(dir);
    expect(written).toHaveLength(1);
    const stuck = pair.find(
      (f) =>
        !written.includes(
          f
            .split('/')
            .pop()
            ?.replace(/\.wav$/, '.txt') ?? '',
        ),
    );
    expect(res.stderr).toContain(`earshot: ${stuck}: `);
  });

  it('still writes every good file when one among them fails, and exits 1', async () => {
    const dir = await mkdtemp(join(out, 'mixed-parallel-'));
    const bad = await makeNonAudio();
    const res = await runCli([
      'transcribe',
      files[0] as string,
      bad,
      ...files.slice(1),
      '-f',
      'txt',
      '-o',
      dir,
      ...chunked,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.split('\n').filter((l) => l.startsWith('earshot:'))).toEqual([
      expect.stringMatching(new RegExp(`^earshot: ${bad}: `)),
    ]);
    expect((await readdir(dir)).sort()).toEqual(ids.map((id) => `${id}.txt`).sort());
    for (const id of ids) {
      expect(await readFile(join(dir, `${id}.txt`), 'utf8')).toBe(
        await readFile(join(oneAtATime, `${id}.txt`), 'utf8'),
      );
    }
  });
});

describe('earshot transcribe: bad input', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['a missing file', async () => '/nonexistent/lecture.mp3', /not found/i],
    ['a text file named .mp3', makeNonAudio, /audio|invalid|format/i],
    ['an empty file', makeEmpty, /empty/i],
    ['a truncated mp3', makeTruncated, /truncat|corrupt|invalid|decod/i],
    ['an unsupported codec', makeUnsupportedCodec, /codec|unsupported|decod/i],
  ];
  for (const [name, make, pattern] of cases) {
    it(`rejects ${name} with one clear line, exit 1 and no output file`, async () => {
      const input = await make();
      const dir = await mkdtemp(join(out, 'bad-'));
      const res = await runCli(['transcribe', input, '-f', 'json,srt', '-o', dir]);
      expect(res.code).toBe(1);
      const lines = res.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('earshot:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await readdir(dir)).toEqual([]);
    });
  }

  it('still transcribes the good files of a mixed batch, and exits 1', async () => {
    const dir = await mkdtemp(join(out, 'mixed-'));
    const good = await synthSpeech('The quick brown fox jumps over the lazy dog.');
    const res = await runCli(['transcribe', await makeNonAudio(), good, '-f', 'txt', '-o', dir]);
    expect(res.code).toBe(1);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('exits 2 on bad usage and 0 on --help', async () => {
    expect((await runCli(['transcribe', 'x.wav', '-f', 'docx'])).code).toBe(2);
    expect((await runCli(['transcribe'])).code).toBe(2);
    const help = await runCli(['transcribe', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--format/);
  });
});

const linesOf = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** One `--stream` line, `[HH:MM:SS.mmm --> HH:MM:SS.mmm] text`, as seconds; throws on anything else. */
function parseStreamLine(line: string): { start: number; end: number; text: string } {
  const m = /^\[(\d\d):(\d\d):(\d\d\.\d\d\d) --> (\d\d):(\d\d):(\d\d\.\d\d\d)\] (\S.*)$/.exec(line);
  if (m === null) throw new Error(`not a --stream line: ${JSON.stringify(line)}`);
  const seconds = (h?: string, min?: string, sec?: string) => Number(h) * 3600 + Number(min) * 60 + Number(sec);
  return { start: seconds(m[1], m[2], m[3]), end: seconds(m[4], m[5], m[6]), text: m[7] as string };
}

/** Runs the CLI and sends it SIGINT (Ctrl-C) once its stderr matches `when`. */
function runCliUntil(args: string[], settings: Record<string, string>, when: RegExp): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv({ EARSHOT_LOG_FORMAT: 'json', ...settings }),
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A CLI that never prints what is awaited must not outlive its failed test.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
  });
}
