/**
 * The Live page against a real `earshot serve` (child process, real worker, real PocketSphinx in
 * stream mode, real Silero VAD) in real headless Chromium, whose fake microphone plays real LibriVox
 * speech (the five clips with pauses, once: `%noloop`). The whole browser path is real: getUserMedia,
 * the AudioWorklet's PCM16 at 24 kHz, base64 appends over the WebSocket with the token as subprotocol.
 * Every wait is on a page or server condition, never a fixed sleep.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../../src/core/transcript.js';
import { wordErrorRate } from '../../../src/core/wer.js';
import { type SpeechFile, writeLibrivoxSession } from '../../helpers/live-speech.js';
import { type ChildServer, launchBrowser, signIn, startChildServer } from './support.js';

/** As test/cli/listen.test.ts: batch PocketSphinx measures ~0.33 on these clips, this audio path included. */
const MAX_WER = 0.45;
const PHONE = { width: 390, height: 844 };

let tmp: string;
let server: ChildServer;
let speech: SpeechFile;
let browser: Browser;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-live-ui-'));
  // 16 kHz mono 16-bit PCM WAV: a format Chromium's fake capture device reads (it resamples itself).
  speech = await writeLibrivoxSession(path.join(tmp, 'speech.wav'), { tailSeconds: 3 });
  server = await startChildServer();
  browser = await launchBrowser([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${speech.path}%noloop`,
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function api<T>(pathname: string): Promise<T> {
  const res = await fetch(`${server.url}${pathname}`, { headers: { authorization: `Bearer ${server.token}` } });
  if (!res.ok) throw new Error(`GET ${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const lineTexts = (page: Page) => page.getByTestId('live-line').locator('.live-line__text').allTextContents();

describe('web UI: live transcription', () => {
  it('transcribes the microphone live on a phone-sized screen, then links the saved task', async () => {
    const context = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await signIn(page, server.url, server.token);
    await page.getByTestId('nav-live').click();
    const start = page.getByTestId('live-start');
    await start.waitFor();
    await expect.poll(() => page.getByTestId('live-save').isChecked()).toBe(true);
    // Fits the phone: no sideways scrolling, and a Start button big enough for a thumb (44 px).
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect((await start.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);

    // Keyboard: the button is reachable and works with Enter.
    await start.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="live-phase"][data-phase="live"]').waitFor({ timeout: 30_000 });
    // The level meter moves with the speech.
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('[data-testid="live-level"] > div')?.dataset.level) > 0.3,
      undefined,
      { timeout: 30_000 },
    );

    // Wait until the turn of the last clip has been finished: a final line ending past its middle.
    const last = speech.clips.at(-1) as SpeechFile['clips'][number];
    await page.waitForFunction(
      (mid) =>
        Array.from(document.querySelectorAll('[data-testid="live-line"] .live-line__time')).some((el) => {
          const m = /→ (\d+):(\d+\.\d)/.exec(el.textContent ?? '');
          return m !== null && Number(m[1]) * 60 + Number(m[2]) >= mid;
        }),
      (last.start + last.end) / 2,
      { timeout: 120_000 },
    );
    const texts = await lineTexts(page);
    expect(texts.length).toBeGreaterThanOrEqual(speech.clips.length);
    expect(wordErrorRate(speech.reference, texts.join(' ')).wer).toBeLessThan(MAX_WER);
    for (const time of await page.getByTestId('live-line').locator('.live-line__time').allTextContents()) {
      expect(time).toMatch(/^\d{2}:\d{2}\.\d → \d{2}:\d{2}\.\d$/);
    }

    await page.getByTestId('live-stop').click();
    const link = page.getByTestId('live-task-link');
    await link.waitFor({ timeout: 60_000 });
    const href = (await link.getAttribute('href')) ?? '';
    const taskId = decodeURIComponent(/^#\/tasks\/(.+)$/.exec(href)?.[1] ?? '');
    expect(taskId).not.toBe('');
    await expect
      .poll(async () => (await api<{ status: string }>(`/v1/tasks/${encodeURIComponent(taskId)}`)).status, {
        timeout: 60_000,
      })
      .toBe('succeeded');
    const saved = await api<Transcript>(`/v1/tasks/${encodeURIComponent(taskId)}/transcript?format=json`);
    expect(wordErrorRate(speech.reference, saved.text).wer).toBeLessThan(MAX_WER);

    await link.click();
    await page.getByTestId('download-srt').waitFor();
    await context.close();
  }, 240_000);

  it('says so clearly when the microphone is refused', async () => {
    // No fake UI: headless Chromium answers the permission prompt with a refusal.
    const strict = await launchBrowser(['--use-fake-device-for-media-stream']);
    try {
      const page = await strict.newPage();
      await signIn(page, server.url, server.token);
      await page.getByTestId('nav-live').click();
      await page.getByTestId('live-start').click();
      const error = page.getByTestId('live-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/microphone access was denied/i);
      // Nothing is left running: Start is offered again.
      await page.getByTestId('live-start').waitFor();
    } finally {
      await strict.close();
    }
  }, 60_000);
});
