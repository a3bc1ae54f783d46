/**
 * Correcting a transcript in the web UI, against a real `earshot serve` (child process, real SQLite,
 * real PocketSphinx worker) in real headless Chromium: a word is corrected while the recording keeps
 * playing, the download carries the fix, History reverts it; a save based on an outdated revision is
 * refused with the user's text kept; the shortcuts, their help dialog and `?t=&hl=` links work.
 * One finished task (a real LibriVox recording) serves every test. Every wait is on a page or server
 * condition, never a fixed sleep. With EARSHOT_SCREENSHOTS=DIR it also writes the editor and History
 * screenshots of the docs into DIR.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../../src/core/transcript.js';
import { form, until } from '../../api/support.js';
import {
  type ChildServer,
  checkPhoneLayout,
  launchPersistent,
  lowContrastText,
  RECORDING,
  signIn,
  startChildServer,
} from './support.js';

const SHOTS = process.env.EARSHOT_SCREENSHOTS ? path.resolve(process.env.EARSHOT_SCREENSHOTS) : null;

let tmp: string;
let server: ChildServer;
let context: BrowserContext;
let taskId: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-web-edit-'));
  server = await startChildServer();
  // Playback is started by the test itself (not a click), which Chromium's autoplay rule would refuse.
  context = await launchPersistent(path.join(tmp, 'profile'), ['--autoplay-policy=no-user-gesture-required']);
  const res = await fetch(`${server.url}/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: form(new Uint8Array(await readFile(RECORDING)), path.basename(RECORDING)),
  });
  expect(res.status).toBe(202);
  taskId = ((await res.json()) as { id: string }).id;
  await until(async () => (await api<{ status: string }>(`/v1/tasks/${taskId}`)).status === 'succeeded', 110_000);
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function api<T>(pathname: string): Promise<T> {
  const res = await fetch(`${server.url}${pathname}`, { headers: { authorization: `Bearer ${server.token}` } });
  expect(res.status, pathname).toBe(200);
  return (await res.json()) as T;
}

/** Opens the task's page (`suffix`: a `?t=&hl=` query) and waits for its text and the player's metadata. */
async function openTask(suffix = ''): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, server.url, server.token);
  await page.goto(`${server.url}/#/tasks/${taskId}${suffix}`);
  await page.getByTestId('segment').first().waitFor();
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="player"]') as HTMLMediaElement)?.readyState >= 1,
  );
  return page;
}

const playerState = (page: Page) =>
  page.evaluate(() => {
    const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
    return { time: media.currentTime, paused: media.paused };
  });

/** Waits until the player's position has moved on from where it is now while it keeps playing. */
async function expectPlaying(page: Page): Promise<void> {
  const before = await playerState(page);
  expect(before.paused).toBe(false);
  await page.waitForFunction((t) => {
    const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
    return !media.paused && media.currentTime !== t;
  }, before.time);
}

async function downloadSrt(page: Page): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-srt').click()]);
  return readFile((await download.path()) as string, 'utf8');
}

const MARKER = 'Zebrafixed';

/** The text of the editing controls on show: editor, markers, history, conflict notice, shortcut help. */
const EDIT_UI = [
  '.segment-editor button',
  '.segment-editor .hint',
  '.segment-editor label',
  '.segment__edited',
  '.segment__edit',
  '.badge--edited',
  '.edit-mode .hint',
  '.edit-bar button',
  '.history button',
  '.history p',
  '.conflict p',
  '.conflict label',
  '.conflict button',
  '.shortcut-help .hint',
  '.shortcut-help dd',
  '.shortcut-help kbd',
].join(', ');

/** What is on show reads at 4.5:1 or better in the light and the dark theme. */
async function expectReadable(page: Page): Promise<void> {
  for (const colorScheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme });
    await expect(lowContrastText(page, EDIT_UI), colorScheme).resolves.toEqual([]);
    // The check measured something: under an impossible ratio, every element shown fails.
    expect((await lowContrastText(page, EDIT_UI, 22)).length).toBeGreaterThan(0);
  }
}

describe('web UI: editing a transcript', () => {
  it('corrects a word while the recording plays; the SRT carries it; History reverts it', async () => {
    const page = await openTask();
    // The recording is 7 s: looped, it plays for as long as the test needs. Pauses are counted.
    await page.evaluate(async () => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      (window as unknown as { pauses: number }).pauses = 0;
      media.addEventListener('pause', () => {
        (window as unknown as { pauses: number }).pauses += 1;
      });
      media.loop = true;
      await media.play();
    });
    await expectPlaying(page);

    await page.getByTestId('edit-mode').click();
    await expect(page.getByTestId('edit-mode').getAttribute('aria-pressed')).resolves.toBe('true');
    const segment = page.getByTestId('segment').first();
    const word = segment.locator('[data-testid="segment-text"] [data-start]').nth(1);
    const original = (await word.textContent()) ?? '';
    await word.click();
    const editor = segment.getByTestId('segment-editor-text');
    await editor.waitFor();
    // The clicked word is selected, so typing replaces just that word.
    await expect(
      editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd)),
    ).resolves.toBe(original);
    await expectReadable(page);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'transcript-edit-desktop.png') });
    await page.keyboard.type(MARKER);
    await page.keyboard.press('Enter');
    await segment.getByTestId('segment-text').filter({ hasText: MARKER }).waitFor();
    await expect(page.getByTestId('edited-badge').textContent()).resolves.toBe('Edited · revision 1');
    await page.getByTestId('announcer').filter({ hasText: 'Saved as revision 1.' }).waitFor();
    await segment.getByTestId('segment-edited').waitFor();
    await expectReadable(page);

    // Editing neither paused nor stopped the recording.
    await expectPlaying(page);
    await expect(page.evaluate(() => (window as unknown as { pauses: number }).pauses)).resolves.toBe(0);

    const served = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    expect(served.segments[0]?.text.split(' ')[1]).toBe(MARKER);
    expect(await downloadSrt(page)).toContain(MARKER);

    // Copy all: the edited text reaches the clipboard, and the announcer says so.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByTestId('copy-text').click();
    await page.getByTestId('announcer').filter({ hasText: 'copied to the clipboard' }).waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(served.text);

    await page.getByTestId('history-button').click();
    const panel = page.getByTestId('history-panel');
    await panel.locator('[data-testid="revision"][data-revision="1"][aria-current="true"]').waitFor();
    await panel.locator('[data-testid="revision"][data-revision="0"]').getByTestId('revert').click();
    await page.getByTestId('edited-badge').filter({ hasText: 'revision 2' }).waitFor();
    await segment.getByTestId('segment-text').filter({ hasText: original }).waitFor();
    await expect(page.getByTestId('segments').textContent()).resolves.not.toContain(MARKER);
    await expect(page.getByTestId('segment-edited').count()).resolves.toBe(0);
    await panel
      .locator('[data-testid="revision"][data-revision="2"][aria-current="true"]')
      .filter({ hasText: 'Reverted to revision 0' })
      .waitFor();
    expect(await downloadSrt(page)).not.toContain(MARKER);
    await expectReadable(page);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'transcript-history-desktop.png') });

    await checkPhoneLayout(context, page.url(), ['edit-mode', 'history-button', 'shortcuts-button', 'download-srt']);
    // On a phone the open editor fits the screen's width too.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('segment-edit').first().click();
    const save = page.getByTestId('segment-editor-save');
    await save.waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.getByTestId('segment-editor').boundingBox();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 999) <= 390).toBe(true);
    await page.close();
  });

  it('refuses a save based on an outdated revision, keeps the text, and reloads the newest', async () => {
    const [a, b] = [await openTask(), await openTask()];
    const edit = async (page: Page, text: string) => {
      await page.getByTestId('edit-mode').click();
      await page.getByTestId('segment-edit').first().click();
      const editor = page.getByTestId('segment-editor-text');
      await editor.fill(text);
      await editor.press('Enter');
    };
    const fromA = `tab a ${Date.now()}`;
    await edit(a, fromA);
    await a.getByTestId('segment-text').first().filter({ hasText: fromA }).waitFor();

    const fromB = `tab b ${Date.now()}`;
    await edit(b, fromB);
    const conflict = b.getByTestId('edit-conflict');
    await conflict.waitFor();
    await expect(conflict.getAttribute('role')).resolves.toBe('alert');
    await expect(conflict.textContent()).resolves.toContain(
      'This transcript was changed in another tab or by someone else. Reload to see the latest version.',
    );
    // B's text stays on screen, to be copied: in the notice and in the still-open editor.
    await expect(b.getByTestId('edit-conflict-text').inputValue()).resolves.toBe(fromB);
    await expect(b.getByTestId('segment-editor-text').inputValue()).resolves.toBe(fromB);
    await expectReadable(b);
    // The server kept A's.
    const served = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    expect(served.segments[0]?.text).toBe(fromA);

    await b.getByTestId('edit-conflict-reload').click();
    await b.getByTestId('segment-text').first().filter({ hasText: fromA }).waitFor();
    await expect(b.getByTestId('edit-conflict-text').inputValue()).resolves.toBe(fromB);
    await Promise.all([a.close(), b.close()]);
  });

  it('lists the shortcuts in a dialog; j, l, k, n and p move the player; a ?t=&hl= link marks its segment', async () => {
    const page = await openTask();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await expect(help.textContent()).resolves.toContain('Back 5 seconds');
    await expectReadable(page);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // j: back 5 s, from wherever the player is (paused here, and it stays paused).
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
          media.addEventListener('seeked', () => resolve(), { once: true });
          media.currentTime = 6;
        }),
    );
    await page.keyboard.press('j');
    await page.waitForFunction(() => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      return Math.abs(media.currentTime - 1) < 0.3;
    });
    await expect(playerState(page)).resolves.toMatchObject({ paused: true });

    // n: to the next segment's start.
    const starts = await page
      .getByTestId('segment')
      .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-start'))));
    const next = starts.find((s) => s > 1.05);
    expect(next).toBeDefined();
    await page.keyboard.press('n');
    await page.waitForFunction((to) => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      return Math.abs(media.currentTime - to) < 0.05;
    }, next as number);
    // p: back to the segment before; l: forward 5 s from there.
    const previous = starts.filter((x) => x < (next as number) - 1).at(-1) as number;
    await page.keyboard.press('p');
    await page.waitForFunction((to) => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      return Math.abs(media.currentTime - to) < 0.05;
    }, previous);
    await page.keyboard.press('l');
    await page.waitForFunction((to) => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      return Math.abs(media.currentTime - to) < 0.3;
    }, previous + 5);

    // k: play, k again: pause. Typing in a field is not a shortcut.
    await page.keyboard.press('k');
    await page.waitForFunction(() => !(document.querySelector('[data-testid="player"]') as HTMLMediaElement).paused);
    await page.keyboard.press('k');
    await page.waitForFunction(() => (document.querySelector('[data-testid="player"]') as HTMLMediaElement).paused);
    await page.getByTestId('transcript-search').fill('');
    await page.getByTestId('transcript-search').press('k');
    await expect(page.getByTestId('transcript-search').inputValue()).resolves.toBe('k');
    await expect(playerState(page)).resolves.toMatchObject({ paused: true });
    await page.close();

    // A search result's link: the player is at t, its segment marked with the words highlighted.
    const served = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    const target = served.segments.at(-1);
    const hl = target?.words.at(-1)?.word ?? '';
    expect(hl.length).toBeGreaterThan(0);
    const at = Number(((target?.start ?? 0) + 0.1).toFixed(2));
    const linked = await openTask(`?t=${at}&hl=${encodeURIComponent(hl)}`);
    await linked.waitForFunction((t) => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement;
      return Math.abs(media.currentTime - t) < 0.05;
    }, at);
    const mark = linked.locator('[data-testid="segment"][data-linked="true"]');
    await expect(mark.count()).resolves.toBe(1);
    await expect(mark.getAttribute('data-start')).resolves.toBe(String(target?.start));
    await expect(mark.locator('.word--match').allTextContents()).resolves.toContain(hl);
    await linked.close();
  });

  it('splits a segment at the cursor (Alt+Enter), merges it back, and names its speaker', async () => {
    const page = await openTask();
    // The page asks for no transcript back (Prefer: return=minimal) and applies its edits itself.
    const saves: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'PATCH' && r.url().endsWith(`/v1/tasks/${taskId}/transcript`))
        saves.push(r.status());
    });
    const shown = () =>
      page.getByTestId('segment').evaluateAll((els) =>
        els.map((el) => ({
          start: Number(el.getAttribute('data-start')),
          speaker: el.querySelector('[data-testid="segment-speaker"]')?.textContent ?? null,
          words: Array.from(el.querySelectorAll('[data-word]')).map((w) => [
            w.textContent,
            Number(w.getAttribute('data-start')),
          ]),
        })),
      );
    const stored = (t: Transcript) =>
      t.segments.map((s) => ({
        start: s.start,
        speaker: s.speaker ?? null,
        words: s.words.map((w) => [w.word, w.start]),
      }));
    const before = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    const first = before.segments[0];
    expect(first?.words.length).toBeGreaterThan(2);
    await page.getByTestId('edit-mode').click();
    // The third word, clicked: the cursor goes to its start, and Alt+Enter splits before it.
    await page.getByTestId('segment').first().locator('[data-word="2"]').click();
    const editor = page.getByTestId('segment-editor-text');
    await editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.selectionStart, el.selectionStart));
    await editor.press('Alt+Enter');
    await expect.poll(() => page.getByTestId('segment').count()).toBe(before.segments.length + 1);
    // Saved: the editor closed with it.
    await expect(page.getByTestId('segment-editor').count()).resolves.toBe(0);
    const split = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    expect(split.segments[0]?.words.map((w) => w.word)).toEqual(first?.words.slice(0, 2).map((w) => w.word));

    // Merge with next, and a speaker, in one save.
    await page.getByTestId('segment-edit').first().click();
    // The editor opens with its text focused (the keyboard path starts there).
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'segment-editor-text');
    await page.getByTestId('segment-editor-speaker').fill('Narrator');
    await page.getByRole('button', { name: 'Merge with next' }).click();
    await expect.poll(() => page.getByTestId('segment').count()).toBe(before.segments.length);
    await expect(page.getByTestId('segment-speaker').first().textContent()).resolves.toBe('Narrator');
    const merged = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    expect(merged.segments[0]?.text).toBe(first?.text);
    expect(merged.segments[0]?.speaker).toBe('Narrator');
    expect(saves).toEqual([204, 204]);
    // What the page built from its own edits is what the server stored.
    await expect(shown()).resolves.toEqual(stored(merged));

    // The same speaker on the next segment, then renamed everywhere from the first one's editor.
    await page.getByTestId('segment-edit').nth(1).click();
    await page.getByTestId('segment-editor-speaker').fill('Narrator');
    await page.getByTestId('segment-editor-speaker').press('Enter');
    await expect.poll(() => page.getByTestId('segment-speaker').count()).toBe(2);
    await page.getByTestId('segment-edit').first().click();
    // Offered only once the name differs from the segment's own.
    await expect(page.getByTestId('segment-editor-rename').count()).resolves.toBe(0);
    await page.getByTestId('segment-editor-speaker').fill('Host');
    await page.getByTestId('segment-editor-rename').click();
    await expect.poll(() => page.getByTestId('segment-speaker').allTextContents()).toEqual(['Host', 'Host']);
    const renamed = await api<Transcript>(`/v1/tasks/${taskId}/transcript?format=json`);
    expect(renamed.segments.slice(0, 2).map((s) => s.speaker)).toEqual(['Host', 'Host']);
    expect(renamed.segments.filter((s) => s.speaker !== undefined)).toHaveLength(2);
    const history = await api<{ revisions: { operations: { op: string }[] }[] }>(
      `/v1/tasks/${taskId}/transcript/revisions`,
    );
    expect(history.revisions.at(-1)?.operations.map((o) => o.op)).toEqual(['rename_speaker']);
    await expect(shown()).resolves.toEqual(stored(renamed));

    // Unsaved text is not dropped by a click on another segment: the editor stays and says why.
    await page.getByTestId('segment-edit').first().click();
    await page.getByTestId('segment-editor-text').fill('not saved yet');
    await page.getByTestId('segment').nth(1).locator('[data-word="0"]').click();
    await page.getByTestId('segment-editor-hint').filter({ hasText: 'unsaved changes' }).waitFor();
    await expect(page.getByTestId('segment').first().getByTestId('segment-editor-text').inputValue()).resolves.toBe(
      'not saved yet',
    );
    await page.getByTestId('segment-editor-text').press('Escape');
    await page.getByTestId('segment').nth(1).locator('[data-word="0"]').click();
    await page.getByTestId('segment').nth(1).getByTestId('segment-editor-text').waitFor();
    await page.close();
  });
});
