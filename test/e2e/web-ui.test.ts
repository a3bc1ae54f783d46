/**
 * The web UI against a real `earshot serve` (child process, real SQLite, real PocketSphinx worker) in
 * a real headless Chromium: sign in, upload a real recording, follow it live to done, play it from a
 * clicked segment and word, download SRT, and show a readable error for a file that is not audio.
 * Every wait is on a page (or server) condition, never a fixed sleep.
 *
 * With EARSHOT_SCREENSHOTS=DIR it also writes docs-style screenshots (upload page, a task in
 * progress, a transcript; desktop 1280x800 and phone 390x844) into DIR.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { parseSync } from 'subtitle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const RECORDING = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav');
const SHOTS = process.env.EARSHOT_SCREENSHOTS ? path.resolve(process.env.EARSHOT_SCREENSHOTS) : null;
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let tmp: string;
let server: ChildProcess;
let serverLog = '';
let baseUrl: string;
let token: string;
let context: BrowserContext;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once /ready answers 200; rejects early if the server process exits. */
async function waitForReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${serverLog}`)));
  });
  const poll = (async () => {
    while (Date.now() < deadline) {
      const ok = await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server not ready after ${timeoutMs} ms:\n${serverLog}`);
  })();
  await Promise.race([poll, exited]);
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) {
    await run('npx', ['vite', 'build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT });
  }
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-web-'));
  const dataDir = path.join(tmp, 'data');
  const env = { ...process.env, EARSHOT_DATA_DIR: dataDir, EARSHOT_LOG_LEVEL: 'warn', EARSHOT_AUTH: 'token' };
  const added = await run('node', [CLI, 'users', 'add', 'alice', '--data-dir', dataDir], { env });
  token = added.stdout.trim().split(/\s+/).at(-1) ?? '';
  expect(token.length).toBeGreaterThan(10);

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn('node', [CLI, 'serve', '--host', '127.0.0.1', '--port', String(port), '--workers', '1'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
  await waitForReady(baseUrl, server, 60_000);

  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: false, // --headless=new is in the args; Playwright must not add its own flag
    // Phones draw overlay scrollbars; classic ones would shift the phone screenshots' layout.
    args: SHOTS ? [...CHROMIUM_ARGS, '--hide-scrollbars'] : CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
});

afterAll(async () => {
  await context?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const hard = setTimeout(() => server.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(hard);
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Opens the app signed in (the profile may still hold the token from an earlier test). */
async function signIn(page: Page): Promise<void> {
  await page.goto(baseUrl);
  const tokenInput = page.getByLabel('API token');
  await page.getByTestId('drop-zone').or(tokenInput).waitFor();
  if (await tokenInput.isVisible()) {
    await tokenInput.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByTestId('drop-zone').waitFor();
}

function row(page: Page, name: string) {
  return page.getByTestId('task-row').filter({ has: page.getByRole('link', { name }) });
}

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

    const name = path.basename(RECORDING);
    await page.getByTestId('file-input').setInputFiles(RECORDING);
    await page.locator('[data-testid="upload-item"][data-state="done"]').waitFor();
    const task = row(page, name);
    await task.waitFor();
    await page
      .locator('[data-testid="task-row"][data-status="succeeded"]')
      .filter({ hasText: name })
      .waitFor({ timeout: 110_000 });
    await expect(task.getByTestId('task-status').textContent()).resolves.toBe('Done');
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
    if (wordCount > 2) {
      const word = words.nth(Math.floor(wordCount / 2));
      const wordStart = Number(await word.getAttribute('data-start'));
      await word.click();
      await page.waitForFunction((start) => {
        const t = (document.querySelector('[data-testid="player"]') as HTMLMediaElement).currentTime;
        return t >= start - 0.05 && t <= start + 1.5;
      }, wordStart);
    }

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

    // Sign out clears the stored token.
    await page.getByTestId('home-link').click();
    await page.getByTestId('sign-out-button').click();
    await page.getByTestId('sign-in-form').waitFor();
    await expect(page.evaluate(() => localStorage.getItem('earshot.token'))).resolves.toBeNull();
    await page.close();
  });

  it('shows a readable error for a file that is not audio (dropped onto the page)', async () => {
    const page = await context.newPage();
    await signIn(page);
    const files = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(
        new File(['This is a plain text file pretending to be an MP3.\n'.repeat(20)], 'x.mp3', { type: 'audio/mpeg' }),
      );
      return dt;
    });
    const target = page.getByTestId('drop-zone').locator('label');
    await target.dispatchEvent('dragover', { dataTransfer: files });
    await target.dispatchEvent('drop', { dataTransfer: files });
    const failed = page.locator('[data-testid="upload-item"][data-state="failed"]');
    await failed.waitFor();
    const message = (await failed.getByTestId('upload-error').textContent()) ?? '';
    expect(message).toContain('x.mp3');
    expect(message).toMatch(/not audio/i);
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
  await desktop.getByTestId('upload-dismiss').click();
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
