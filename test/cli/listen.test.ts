/**
 * `earshot listen` against a real `earshot serve` (child process, real worker, real PocketSphinx in
 * stream mode, real Silero VAD) on real LibriVox speech: the five clips in one file with pauses
 * between them, so server VAD ends a turn at each.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/core/wer.js';
import { childEnv } from '../helpers/child-env.js';
import { CLI, runCli } from '../helpers/cli.js';
import { type SpeechFile, writeLibrivoxSession } from '../helpers/live-speech.js';
import { type Service, startService } from '../helpers/service/index.js';

/**
 * PocketSphinx with Debian's generic en-us model measures ~0.33 on these clips in batch mode; live
 * turns cut by VAD may lose a word at an edge. Far above the bound means the audio did not arrive
 * intact (wrong rate, byte order, dropped messages).
 */
const MAX_WER = 0.45;
const LINE = /^\[(\d{2}):(\d{2}\.\d) → (\d{2}):(\d{2}\.\d)\] (.+)$/;

let tmp: string;
let svc: Service;
let speech: SpeechFile;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-listen-'));
  speech = await writeLibrivoxSession(path.join(tmp, 'session.wav'));
  svc = await startService();
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Turn {
  start: number;
  end: number;
  text: string;
}

/** The finished turns printed on stdout; fails on any other line (stdout is not a TTY here). */
function turnsOf(stdout: string): { turns: Turn[]; taskId: string | null } {
  const turns: Turn[] = [];
  let taskId: string | null = null;
  for (const line of stdout.split('\n').filter(Boolean)) {
    const saved = /^saved as task (\S+)$/.exec(line);
    if (saved) {
      taskId = saved[1] as string;
      continue;
    }
    const m = LINE.exec(line);
    expect(m, `unexpected output line: ${JSON.stringify(line)}`).not.toBeNull();
    if (!m) continue;
    const [, sm, ss, em, es, text] = m;
    turns.push({ start: Number(sm) * 60 + Number(ss), end: Number(em) * 60 + Number(es), text: text as string });
  }
  return { turns, taskId };
}

function checkTurns(turns: Turn[], seconds: number): void {
  // Five clips with 1.5 s pauses: at least one turn each (a long pause inside a clip may add one).
  expect(turns.length).toBeGreaterThanOrEqual(5);
  let before = 0;
  for (const t of turns) {
    expect(t.start).toBeGreaterThanOrEqual(before - 0.05);
    expect(t.end).toBeGreaterThan(t.start);
    expect(t.end).toBeLessThanOrEqual(seconds + 0.1);
    before = t.end;
  }
}

describe('earshot listen (real server, real PocketSphinx, real LibriVox speech)', () => {
  it('sends a file as fast as the connection allows, prints each finished turn, and saves the session as a task', async () => {
    const res = await runCli([
      'listen',
      speech.path,
      '--server',
      svc.url,
      '--token',
      svc.tokens.alice as string,
      '--fast',
      '--save',
    ]);
    expect(res.code, res.stderr).toBe(0);
    // Not a TTY: no partial lines redrawn with \r, no escape codes.
    expect(res.stdout.includes('\r') || res.stdout.includes('\u001b')).toBe(false);
    const { turns, taskId } = turnsOf(res.stdout);
    checkTurns(turns, speech.seconds);
    const text = turns.map((t) => t.text).join(' ');
    expect(wordErrorRate(speech.reference, text).wer).toBeLessThan(MAX_WER);

    expect(taskId).toBeTruthy();
    await svc.waitForStatus(taskId as string, 'succeeded');
    const saved = await svc.transcript(taskId as string);
    expect(saved.duration).toBeCloseTo(speech.seconds, 0);
    expect(wordErrorRate(speech.reference, saved.text).wer).toBeLessThan(MAX_WER);
  }, 180_000);

  it('paces a file at real time by default, and reads raw PCM from stdin at --rate', async () => {
    const one = await writeLibrivoxSession(path.join(tmp, 'one.wav'), { clips: 1, tailSeconds: 1 });
    const started = performance.now();
    const paced = await runCli(['listen', one.path, '--server', svc.url, '--token', svc.tokens.alice as string]);
    const elapsed = (performance.now() - started) / 1000;
    expect(paced.code, paced.stderr).toBe(0);
    // Real time: the audio alone takes its own length to send (start-up and the last result add to it).
    expect(elapsed).toBeGreaterThanOrEqual(one.seconds * 0.95);
    const pacedText = turnsOf(paced.stdout)
      .turns.map((t) => t.text)
      .join(' ');
    expect(wordErrorRate(one.reference, pacedText).wer).toBeLessThan(MAX_WER);

    // stdin: the same clip as raw PCM16 LE at 16 kHz (the WAV's own samples, its 44-byte header skipped).
    const pcm = (await readFile(one.path)).subarray(44);
    const piped = await runWithStdin(
      ['listen', '-', '--rate', '16000', '--fast', '--server', svc.url, '--token', svc.tokens.alice as string],
      pcm,
    );
    expect(piped.code, piped.stderr).toBe(0);
    const pipedText = turnsOf(piped.stdout)
      .turns.map((t) => t.text)
      .join(' ');
    expect(wordErrorRate(one.reference, pipedText).wer).toBeLessThan(MAX_WER);
  }, 120_000);

  it('fails with a message and a non-zero exit when the server refuses the token', async () => {
    const res = await runCli(['listen', speech.path, '--server', svc.url, '--token', 'not-a-token', '--fast']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/401/);
    expect(res.stdout).toBe('');
  }, 60_000);
});

function runWithStdin(args: string[], input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv({ EARSHOT_LOG_FORMAT: 'json' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
