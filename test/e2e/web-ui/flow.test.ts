/**
 * The web UI against a real `earshot serve` (child process, real SQLite, real PocketSphinx worker) in
 * a real headless Chromium: sign in, upload a real recording, follow it live to done, play it from a
 * clicked segment and word, move on the timeline by keyboard, download SRT, and fit a phone screen.
 * Every wait is on a page (or server) condition, never a fixed sleep. Error and state pages are in
 * states.test.ts, sign-in in auth.test.ts, contrast in contrast.test.ts.
 *
 * With EARSHOT_SCREENSHOTS=DIR it also writes docs-style screenshots (upload page, a task in
 * progress, a transcript; desktop 1280x800 and phone 390x844) into DIR.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { parseSync } from 'subtitle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildServer,
  checkPhoneLayout,
  LIBRIVOX,
  launchPersistent,
  RECORDING,
  row,
  signIn as signInAt,
  startChildServer,
} from './support.js';

const run = promisify(execFile);
const SHOTS = process.env.EARSHOT_SCREENSHOTS ? path.resolve(process.env.EARSHOT_SCREENSHOTS) : null;

let tmp: string;
let server: ChildServer;
let baseUrl: string;
let token: string;
let context: BrowserContext;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-web-'));
  server = await startChildServer();
  baseUrl = server.url;
  token = server.token;
  expect(token.length).toBeGreaterThan(10);
  // Phones draw overlay scrollbars; classic ones would shift the phone screenshots' layout.
  context = await launchPersistent(path.join(tmp, 'profile'), SHOTS ? ['--hide-scrollbars'] : []);
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const signIn = (page: Page) => signInAt(page, baseUrl, token);

describe('web UI', () => {
  it('signs in, uploads, follows progress live, plays from the transcript and downloads SRT', async () => {
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByTestId('sign-in-form').waitFor();
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('sign-in-error').waitFor();
    await signIn(page);
    await page.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor();

    // What the page's EventSource receives, straight from the browser's network layer.
    const sse: string[] = [];
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.eventSourceMessageReceived', (e) => sse.push(e.eventName));
    await cdp.send('Network.enable');
    // Count list reads: with SSE working, the list is re-read on status changes only, never polled.
    let listReads = 0;
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === '/v1/tasks') listReads += 1;
    });

    // The list must never trail the upload panel: no "All 0" (or fewer than the rows shown) once an
    // upload has finished. Recorded on every DOM change, so a state that lasted one frame counts.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { countProblems: string[] }).countProblems = seen;
      const check = () => {
        const all = Number(document.querySelector('[data-testid="filter-all"] .chip__count')?.textContent ?? 'NaN');
        const done = document.querySelector('[data-testid="upload-item"][data-state="done"]') !== null;
        const rows = document.querySelectorAll('[data-testid="task-row"]').length;
        if ((done && !(all > 0)) || rows > all) seen.push(`All ${all}, ${rows} rows, upload done: ${done}`);
      };
      new MutationObserver(check).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    });
    const name = path.basename(RECORDING);
    await page.getByTestId('file-input').setInputFiles(RECORDING);
    const task = row(page, name);
    await task.waitFor();
    // A finished upload leaves the panel once its task is listed: uploads do not pile up.
    await expect.poll(() => page.getByTestId('upload-item').count(), { timeout: 30_000 }).toBe(0);
    await expect(
      page.evaluate(() => (window as unknown as { countProblems: string[] }).countProblems),
    ).resolves.toEqual([]);
    await page
      .locator('[data-testid="task-row"][data-status="succeeded"]')
      .filter({ hasText: name })
      .waitFor({ timeout: 110_000 });
    await expect(task.getByTestId('task-status').textContent()).resolves.toBe('Done');
    // Length of the recording and time taken, as the API reports them.
    await expect(task.getByTestId('task-duration').textContent()).resolves.toMatch(/0:07$/);
    await expect(task.getByTestId('task-processing-time').textContent()).resolves.toMatch(/^took \d+:\d\d$/);
    expect(sse).toContain('done');
    expect(listReads).toBeLessThan(12);

    // Reload keeps the session (token in localStorage) and the list.
    await page.reload();
    await row(page, name).waitFor();

    // Transcript view.
    await row(page, name).getByRole('link', { name }).click();
    await page.getByTestId('segment').first().waitFor();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="player"]') as HTMLMediaElement)?.readyState >= 1,
    );
    const segments = page.getByTestId('segment');
    const last = segments.last();
    const segStart = Number(await last.getAttribute('data-start'));
    const segEnd = Number(await last.getAttribute('data-end'));
    await last.getByTestId('segment-seek').click();
    await page.waitForFunction(
      ([start, end]) => {
        const t = (document.querySelector('[data-testid="player"]') as HTMLMediaElement).currentTime;
        return t >= (start as number) - 0.05 && t <= (end as number) + 1;
      },
      [segStart, segEnd],
    );
    // The segment under the playhead is highlighted.
    await page.locator('[data-testid="segment"][aria-current="true"]').waitFor();

    // Clicking a word seeks to that word.
    const words = page.locator('[data-testid="segment-text"] [data-start]');
    const wordCount = await words.count();
    expect(wordCount).toBeGreaterThan(2);
    const word = words.nth(Math.floor(wordCount / 2));
    const wordStart = Number(await word.getAttribute('data-start'));
    await word.click();
    await page.waitForFunction((start) => {
      const t = (document.querySelector('[data-testid="player"]') as HTMLMediaElement).currentTime;
      return t >= start - 0.05 && t <= start + 1.5;
    }, wordStart);

    // The header says how long the recording is and how long transcribing took.
    await expect(page.getByTestId('task-duration').textContent()).resolves.toMatch(/0:07$/);
    await expect(page.getByTestId('task-processing-time').textContent()).resolves.toMatch(/^took /);

    // Timeline keys move the position without starting playback.
    await page.evaluate(() => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).pause());
    await page.waitForFunction(() => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).paused);
    await seekPlayer(page, 0);
    await page.getByTestId('timeline').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).currentTime > 0.5,
    );
    await expect(
      page.evaluate(() => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).paused),
    ).resolves.toBe(true);

    // The timeline's clock truncates like the player's own (x.96 s reads x, not x+1).
    const at = await seekPlayer(page, 2.96);
    const label = page.getByTestId('timeline').locator('.timeline__labels span').first();
    await expect.poll(() => label.textContent(), { timeout: 30_000 }).toBe(`0:0${Math.floor(at)}`);

    // Search within the transcript.
    const firstWord = (await page.getByTestId('segment-text').first().textContent())?.trim().split(/\s+/)[0] ?? '';
    await page.getByTestId('transcript-search').fill(firstWord);
    await page
      .getByTestId('transcript-search-status')
      .filter({ hasText: /[1-9]\d* match/ })
      .waitFor();

    // SRT download (fetched with the Authorization header, saved from a Blob).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-srt').click()]);
    expect(download.suggestedFilename()).toBe(name.replace(/\.wav$/, '.srt'));
    const srt = await readFile((await download.path()) as string, 'utf8');
    const cues = parseSync(srt).filter((n) => n.type === 'cue');
    expect(cues.length).toBeGreaterThan(0);
    for (const cue of cues) {
      if (cue.type !== 'cue') continue;
      expect(cue.data.end).toBeGreaterThan(cue.data.start);
      expect(cue.data.text.trim().length).toBeGreaterThan(0);
    }

    await checkPhoneLayout(context, page.url(), ['player', 'timeline', 'download-srt', 'transcript-search']);
    await checkPhoneLayout(context, baseUrl, ['drop-zone', 'language-input', 'sign-out-button', 'task-link']);

    // Sign out clears the stored token.
    await page.getByTestId('home-link').click();
    await page.getByTestId('sign-out-button').click();
    await page.getByTestId('sign-in-form').waitFor();
    await expect(page.evaluate(() => localStorage.getItem('earshot.token'))).resolves.toBeNull();
    await page.close();
  });

  // Not a test: regenerates docs/screenshots (EARSHOT_SCREENSHOTS=docs/screenshots npx vitest run
  // test/e2e/web-ui.test.ts), reusing this file's real server and browser. Registered only when asked.
  if (SHOTS) {
    it('writes the documentation screenshots', { timeout: 300_000 }, async () => {
      await takeScreenshots(SHOTS);
    });
  }
});

/**
 * Two and a half minutes of real speech (the librivox clips, six times over): long enough for several
 * chunks, so the in-progress screenshot shows a moving percentage, speed and ETA.
 */
async function longRecording(): Promise<string> {
  const clips = ['0870', '0880', '0890', '0920', '0930'].map((n) =>
    path.join(LIBRIVOX, `sense_and_sensibility_01_austen_64kb-${n}.wav`),
  );
  const list = Array.from({ length: 6 }, () => clips).flat();
  const out = path.join(tmp, 'austen-chapter-1.wav');
  const inputs = list.flatMap((f) => ['-i', f]);
  const filter = `${list.map((_, i) => `[${i}:a]`).join('')}concat=n=${list.length}:v=0:a=1[a]`;
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[a]', out]);
  return out;
}

/** Seeks the (paused) player and resolves with where it landed once the seek is done. */
async function seekPlayer(page: Page, seconds: number): Promise<number> {
  return page.evaluate(
    (to) =>
      new Promise<number>((resolve) => {
        const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
        media.addEventListener('seeked', () => resolve(media.currentTime), { once: true });
        media.currentTime = to;
      }),
    seconds,
  );
}

async function takeScreenshots(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const desktop = await context.newPage();
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await signIn(desktop);
  await phone.goto(baseUrl);
  await phone.getByTestId('drop-zone').waitFor();
  await desktop.screenshot({ path: path.join(dir, 'upload-desktop.png') });
  await phone.screenshot({ path: path.join(dir, 'upload-phone.png') });

  const file = await longRecording();
  const name = path.basename(file);
  await desktop.getByTestId('file-input').setInputFiles(file);
  const running = (page: Page) =>
    page.locator('[data-testid="task-row"][data-status="processing"]').filter({ hasText: name });
  for (const page of [desktop, phone]) {
    await running(page).getByTestId('task-eta').waitFor({ timeout: 90_000 });
  }
  await running(phone).evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await desktop.screenshot({ path: path.join(dir, 'task-in-progress-desktop.png') });
  await phone.screenshot({ path: path.join(dir, 'task-in-progress-phone.png') });

  for (const page of [desktop, phone]) {
    await page.locator('[data-testid="task-row"][data-status="succeeded"]').filter({ hasText: name }).waitFor({
      timeout: 110_000,
    });
    await row(page, name).getByRole('link', { name }).click();
    await page.getByTestId('segment').nth(2).waitFor();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="player"]') as HTMLMediaElement)?.readyState >= 1,
    );
    // The phone shot shows the top of the page, so it plays from the first segment there.
    await page
      .getByTestId('segment-seek')
      .nth(page === phone ? 0 : 2)
      .click();
    await page.locator('[data-testid="segment"][aria-current="true"]').waitFor();
    await page.evaluate(() => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).pause());
    await page.getByTestId('transcript-search').fill('happy');
  }
  await desktop.screenshot({ path: path.join(dir, 'transcript-desktop.png') });
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.screenshot({ path: path.join(dir, 'transcript-phone.png') });
  await desktop.emulateMedia({ colorScheme: 'dark' });
  await desktop.screenshot({ path: path.join(dir, 'transcript-desktop-dark.png') });
  await desktop.close();
  await phone.close();
}
