/**
 * The library and search views against a real `earshot serve` (child process, real SQLite, real
 * PocketSphinx worker) in a real headless Chromium: two real recordings are transcribed, then
 * - search: a phrase PocketSphinx recognised in the second one (read from its stored transcript at
 *   test time, never hard-coded) is searched from the task page; the hit shows title, time and the
 *   marked words, and opens that transcript with the player at the hit's moment (± 0.5 s), its
 *   segment marked and the phrase's words highlighted;
 * - library: rename in place (Enter saves, Esc cancels), filter by name and date, sort, all kept in
 *   the URL across a reload; select both, download them as one zip, delete them after a confirm.
 * Every wait is on a page (or server) condition, never a fixed sleep.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../../src/core/transcript.js';
import type { TestServer } from '../../helpers/server.js';
import {
  type ChildServer,
  checkPhoneLayout,
  LIBRIVOX,
  launchBrowser,
  launchPersistent,
  lowContrastText,
  row,
  signIn,
  startChildServer,
  startUiServer,
  zipEntryNames,
} from './support.js';

const run = promisify(execFile);
const clip = (n: string) => path.join(LIBRIVOX, `sense_and_sensibility_01_austen_64kb-${n}.wav`);
const FIRST = clip('0870');
/** Three clips in one file (made in beforeAll): several segments, so a hit can lie seconds in. */
const SECOND_CLIPS = ['0880', '0890', '0920'].map(clip);
const SECOND_NAME = 'austen-three-clips.wav';
const FIRST_NAME = path.basename(FIRST);
let SECOND = '';
const TITLE = 'Dashwood chapter one';

interface TaskView {
  id: string;
  source_name: string;
  title: string | null;
  word_count: number | null;
  duration_seconds: number | null;
}
interface SearchHit {
  task_id: string;
  start: number;
  snippet: string;
}

let tmp: string;
let server: ChildServer;
let context: BrowserContext;
const ids = { first: '', second: '' };

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-library-'));
  SECOND = path.join(tmp, SECOND_NAME);
  const inputs = SECOND_CLIPS.flatMap((f) => ['-i', f]);
  const filter = `${SECOND_CLIPS.map((_, i) => `[${i}:a]`).join('')}concat=n=${SECOND_CLIPS.length}:v=0:a=1[a]`;
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[a]', SECOND]);
  server = await startChildServer();
  context = await launchPersistent(path.join(tmp, 'profile'));
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The API as another client (alice) sees it. */
async function api<T>(pathname: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${server.url}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${server.token}`, ...init.headers },
  });
  if (!res.ok) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The player's clock, m:ss (what the UI shows for a time). */
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
const tokens = (text: string) => text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
const rowNames = (page: Page) => page.getByTestId('task-link').allTextContents();

/** Every visible text matching `selector` reads at 4.5:1 or better, in the light and the dark theme. */
async function expectReadable(page: Page, selector: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await lowContrastText(page, selector), colorScheme).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function openHome(): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, server.url, server.token);
  return page;
}

describe('web UI: library and search', () => {
  it('transcribes two recordings and lists each with its length and word count', async () => {
    const page = await openHome();
    await page.getByTestId('file-input').setInputFiles([FIRST, SECOND]);
    for (const name of [FIRST_NAME, SECOND_NAME]) {
      await page
        .locator('[data-testid="task-row"][data-status="succeeded"]')
        .filter({ hasText: name })
        .waitFor({ timeout: 150_000 });
    }
    ids.first = (await row(page, FIRST_NAME).getAttribute('data-task-id')) ?? '';
    ids.second = (await row(page, SECOND_NAME).getAttribute('data-task-id')) ?? '';
    expect(ids.first).not.toBe('');
    expect(ids.second).not.toBe('');
    for (const id of [ids.first, ids.second]) {
      const task = await api<TaskView>(`/v1/tasks/${id}`);
      expect(task.word_count ?? 0).toBeGreaterThan(0);
      const line = page.locator(`[data-testid="task-row"][data-task-id="${id}"]`);
      await expect(line.getByTestId('task-words').textContent()).resolves.toBe(`${task.word_count} words`);
      await expect(line.getByTestId('task-duration').textContent()).resolves.toMatch(
        new RegExp(`${clock(task.duration_seconds ?? -1)}$`),
      );
    }
    await page.close();
  });

  it('finds a phrase of the second recording and opens its transcript at that moment', async () => {
    // Two adjacent words of one segment of the second transcript that the first one does not say.
    type Transcript = { segments: { text: string }[] };
    const second = await api<Transcript>(`/v1/tasks/${ids.second}/transcript?format=json`);
    const first = await api<Transcript>(`/v1/tasks/${ids.first}/transcript?format=json`);
    const firstText = ` ${first.segments.flatMap((s) => tokens(s.text)).join(' ')} `;
    // Later segments first, so the seek to the hit is a real move when there are several.
    const pairs = [...second.segments].reverse().flatMap((s) => {
      const words = tokens(s.text);
      return words.slice(1).map((w, i) => [words[i] as string, w]);
    });
    const pair = pairs.find(([a, b]) => !firstText.includes(` ${a} ${b} `) && `${a}${b}`.length >= 5);
    expect(pair, `a phrase in ${JSON.stringify(second.segments)}`).toBeDefined();
    const phrase = (pair as string[]).join(' ');
    const q = `"${phrase}"`;
    const expected = await api<{ hits: SearchHit[] }>(`/v1/search?${new URLSearchParams({ q })}`);
    const apiHit = expected.hits.find((h) => h.task_id === ids.second);
    expect(apiHit).toBeDefined();
    const hitStart = (apiHit as SearchHit).start;
    // Seconds into the recording, so landing there is a seek the link made, not where the player starts.
    expect(hitStart).toBeGreaterThan(1);

    const page = await openHome();
    await page.getByTestId('search-input').fill(q);
    await page.getByTestId('search-input').press('Enter');
    await page.waitForURL((url) => url.hash === `#/search?${new URLSearchParams({ q })}`);
    const hit = page.locator(`[data-testid="search-hit"][data-task-id="${ids.second}"]`);
    await hit.waitFor();
    await expect(page.getByTestId('search-hit').count()).resolves.toBe(expected.hits.length);
    await expect(hit.getByTestId('search-hit-title').textContent()).resolves.toBe(SECOND_NAME);
    await expect(hit.getByTestId('search-hit-time').textContent()).resolves.toBe(`at ${clock(hitStart)}`);
    // The snippet's text as the API sent it, its «marked» words as <mark> elements.
    const snippet = (apiHit as SearchHit).snippet;
    await expect(hit.getByTestId('search-hit-snippet').textContent()).resolves.toBe(snippet.replace(/[«»]/g, ''));
    const marked = (await hit.locator('mark').allTextContents()).map((m) => m.toLowerCase());
    expect(marked).toEqual([...snippet.matchAll(/«([^»]*)»/g)].map((m) => (m[1] as string).toLowerCase()));
    expect(marked.join(' ')).toContain(phrase);
    // A reload lands on the same results.
    await page.reload();
    await hit.waitFor();

    await checkPhoneLayout(context, page.url(), ['search-input', 'search-hit-link']);
    // Title, time, snippet and its marks read at 4.5:1 or better in both themes.
    await expectReadable(page, '[data-testid="search-hit"], [data-testid="search-hit"] *');

    // The hit opens that transcript at the hit's moment, the phrase to highlight in the link.
    await hit.getByTestId('search-hit-link').click();
    await page.waitForURL((url) => url.hash.startsWith(`#/tasks/${ids.second}?`));
    const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    expect(Number(params.get('t'))).toBe(hitStart);
    expect(params.get('hl')).toBe(phrase);
    await expect(page.locator('#task-title').textContent()).resolves.toBe(SECOND_NAME);
    // There the player is at the hit's moment, its segment marked, the phrase's words highlighted.
    await page.waitForFunction((t) => {
      const media = document.querySelector('[data-testid="player"]') as HTMLMediaElement | null;
      return media !== null && media.readyState >= 1 && Math.abs(media.currentTime - t) <= 0.5;
    }, hitStart);
    const linked = page.locator('[data-testid="segment"][data-linked="true"]');
    await expect(linked.count()).resolves.toBe(1);
    await expect(linked.getAttribute('data-start')).resolves.toBe(String(hitStart));
    const highlighted = (await linked.locator('.word--match').allTextContents()).map((w) => w.toLowerCase());
    for (const word of phrase.split(' ')) expect(highlighted).toContain(word);
    await page.close();
  });

  it('renames, filters, sorts, downloads and deletes a selection, keeping the view in the URL', async () => {
    const page = await openHome();
    const patches: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push(r.url());
    });
    await row(page, FIRST_NAME).waitFor();
    await row(page, SECOND_NAME).waitFor();
    // A second tab on the same list: it follows the rename from the event stream, without a reload.
    const other = await openHome();
    await row(other, FIRST_NAME).waitFor();

    // Rename: Enter saves (one PATCH), the row shows the title and still names the file.
    await row(page, FIRST_NAME).getByTestId('task-rename').click();
    const input = page.getByTestId('task-title-input');
    await expect(input.inputValue()).resolves.toBe(FIRST_NAME);
    await input.fill(TITLE);
    await input.press('Enter');
    const renamed = page.locator(`[data-testid="task-row"][data-task-id="${ids.first}"]`);
    await renamed.getByRole('link', { name: TITLE, exact: true }).waitFor();
    await expect(renamed.getByTestId('task-file-name').textContent()).resolves.toBe(FIRST_NAME);
    await expect(api<TaskView>(`/v1/tasks/${ids.first}`)).resolves.toMatchObject({ title: TITLE });
    await other
      .locator(`[data-testid="task-row"][data-task-id="${ids.first}"]`)
      .getByRole('link', { name: TITLE, exact: true })
      .waitFor();
    await other.close();
    // Focus is back on Rename, so the keyboard user is where they were.
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('task-rename');
    // Esc cancels: nothing is sent, the name stays.
    await row(page, SECOND_NAME).getByTestId('task-rename').click();
    await input.fill('Never saved');
    await input.press('Escape');
    await input.waitFor({ state: 'detached' });
    await row(page, SECOND_NAME).waitFor();
    expect(patches).toHaveLength(1);
    await expect(api<TaskView>(`/v1/tasks/${ids.second}`)).resolves.toMatchObject({ title: null });

    // Filter by part of the title (typing is debounced into the URL); a reload keeps it.
    await page.getByTestId('filter-text').fill('Dashwood');
    await page.waitForURL((url) => url.hash === '#/?q=Dashwood');
    await expect.poll(() => rowNames(page)).toEqual([TITLE]);
    await page.reload();
    await expect.poll(() => rowNames(page)).toEqual([TITLE]);
    await expect(page.getByTestId('filter-text').inputValue()).resolves.toBe('Dashwood');
    await page.getByTestId('filter-clear').click();
    await page.waitForURL((url) => url.hash === '#/');
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(2);

    // Dates: nothing was added tomorrow; both were added today (the browser's local days).
    const day = (offset: number) =>
      page.evaluate((o) => {
        const d = new Date(Date.now() + o * 86_400_000);
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      }, offset);
    // Each step changes what is listed, so none passes on the list before it.
    const rows = () => page.getByTestId('task-row').count();
    await page.getByTestId('filter-from').fill(await day(1));
    await expect.poll(rows).toBe(0);
    await page.getByTestId('filter-from').fill(await day(0));
    await expect.poll(rows).toBe(2);
    await page.getByTestId('filter-to').fill(await day(-1));
    await expect.poll(rows).toBe(0);
    await page.getByTestId('filter-to').fill(await day(0));
    await expect.poll(rows).toBe(2);
    await page.getByTestId('filter-clear').click();
    await page.waitForURL((url) => url.hash === '#/');

    // Sort by name (A→Z regardless of case: "austen-…", a file name, before "Dashwood …", a title),
    // the other way round, and by length (the three clips are longer than the one): each order differs
    // from another, so none can pass by chance. The URL keeps the order across a reload.
    await page.getByTestId('filter-sort').selectOption('title');
    await page.waitForURL((url) => url.hash === '#/?sort=title&order=asc');
    await expect.poll(() => rowNames(page)).toEqual([SECOND_NAME, TITLE]);
    await page.getByTestId('filter-sort').selectOption('duration');
    await page.waitForURL((url) => url.hash === '#/?sort=duration&order=asc');
    await expect.poll(() => rowNames(page)).toEqual([TITLE, SECOND_NAME]);
    await page.getByTestId('filter-sort').selectOption('title');
    await page.waitForURL((url) => url.hash === '#/?sort=title&order=asc');
    await expect.poll(() => rowNames(page)).toEqual([SECOND_NAME, TITLE]);
    await page.getByTestId('filter-order').selectOption('desc');
    await page.waitForURL((url) => url.hash === '#/?sort=title&order=desc');
    await expect.poll(() => rowNames(page)).toEqual([TITLE, SECOND_NAME]);
    await page.reload();
    await expect.poll(() => rowNames(page)).toEqual([TITLE, SECOND_NAME]);
    await expect(page.getByTestId('filter-sort').inputValue()).resolves.toBe('title');

    await checkPhoneLayout(context, page.url(), ['filter-text', 'filter-sort', 'select-all', 'bulk-delete']);
    await expectReadable(page, '.filter-bar label, .bulk *, .task-title *, .task__meta *');

    // Select both, download them as one SRT zip: the bytes the server sent hold two .srt entries.
    await page.getByTestId('select-all').check();
    await expect(page.getByTestId('selected-count').textContent()).resolves.toBe('2 selected');
    await page.getByTestId('bulk-format').selectOption('srt');
    const [response, download] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/tasks/export'),
      page.waitForEvent('download'),
      page.getByTestId('bulk-download').click(),
    ]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({
      ids: expect.arrayContaining([ids.first, ids.second]),
      format: 'srt',
    });
    // The saved file is the response's bytes (fetched with the token, saved from a Blob); Chromium's
    // DevTools keeps no body for a streamed download, so the file is what is read.
    const names = zipEntryNames(new Uint8Array(await readFile((await download.path()) as string)));
    // Each entry is named after the task's title, or its file name without the extension.
    expect(names.sort()).toEqual([`${TITLE}.srt`, `${path.parse(SECOND_NAME).name}.srt`]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    await page.getByTestId('bulk-message').filter({ hasText: 'Downloaded 2 transcripts' }).waitFor();

    // Delete asks first: Esc keeps both; confirming deletes both in one request.
    const deletes: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/tasks/delete') deletes.push(r.url());
    });
    const dialog = page.getByTestId('bulk-delete-dialog');
    await page.getByTestId('bulk-delete').click();
    await dialog.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(deletes).toHaveLength(0);
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(2);
    await page.getByTestId('bulk-delete').click();
    await page.getByTestId('bulk-delete-confirm').click();
    await page.getByTestId('tasks-empty').waitFor();
    await expect(page.getByTestId('bulk-message').textContent()).resolves.toBe('Deleted 2 tasks.');
    expect(deletes).toHaveLength(1);
    await expect(api<{ total: number }>('/v1/tasks')).resolves.toMatchObject({ total: 0 });
    await page.close();
  });
});

/**
 * Many finished transcripts at once (stored as a saved live session is, through the real store and
 * its search index, no recognition needed): search results come in pages, the task list pages keep
 * the filter, and transcript text that looks like markup stays text.
 */
describe('web UI: search pages and list pages', () => {
  let s: TestServer;
  let browser: Browser;
  const LECTURES = 25;
  const MARKUP = '<img src=x onerror="window.injected=1"> needle <b>bold</b>';

  beforeAll(async () => {
    s = await startUiServer();
    browser = await launchBrowser();
    const finished = (sourceName: string, text: string) => {
      const transcript: Transcript = {
        language: 'en',
        duration: 4,
        segments: [{ start: 1.5, end: 3.5, text, words: [] }],
        text,
      };
      return s.store.addFinished(
        {
          id: randomUUID(),
          userId: s.users.alice?.id ?? '',
          priority: 0,
          sourceName,
          mediaPath: '/nowhere',
          mediaBytes: 1,
          options: { language: 'en', formats: ['json'] },
          callbackUrl: null,
          maxAttempts: 1,
          durationSeconds: 4,
        },
        transcript,
      );
    };
    for (let i = 1; i <= LECTURES; i += 1) {
      await finished(`lecture-${String(i).padStart(2, '0')}.wav`, `a needle in lecture ${i}`);
    }
    await finished('markup.wav', MARKUP);
  });

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows more results on request, and snippet text that looks like markup as text', async () => {
    const page = await browser.newPage();
    await signIn(page, s.url, s.tokens.alice as string);
    // Straight from a bookmark-style URL.
    await page.goto(`${s.url}/#/search?q=needle`);
    const hits = page.getByTestId('search-hit');
    await expect.poll(() => hits.count()).toBe(20);
    await page.getByTestId('search-more').click();
    await expect.poll(() => hits.count()).toBe(LECTURES + 1);
    await page.getByTestId('search-more').waitFor({ state: 'detached' });
    // Every hit once: the second page continued the first.
    const keys = await hits.evaluateAll((els) => els.map((e) => e.getAttribute('data-task-id')));
    expect(new Set(keys).size).toBe(LECTURES + 1);

    const markup = hits.filter({ hasText: 'markup.wav' });
    await expect(markup.getByTestId('search-hit-snippet').textContent()).resolves.toBe(MARKUP);
    await expect(markup.locator('img, b').count()).resolves.toBe(0);
    await expect(markup.locator('mark').allTextContents()).resolves.toEqual(['needle']);
    await expect(page.evaluate(() => (window as unknown as { injected?: number }).injected)).resolves.toBeUndefined();
    await page.close();
  });

  it('keeps the name filter on the next page of the task list', async () => {
    const page = await browser.newPage();
    await signIn(page, s.url, s.tokens.alice as string);
    await page.getByTestId('filter-text').fill('lecture');
    await page.waitForURL((url) => url.hash === '#/?q=lecture');
    // The counts are of the filtered list (the unfiltered one also fills a page of 20).
    await expect.poll(() => page.getByTestId('filter-all').textContent()).toBe(`All${LECTURES}`);
    await expect(page.getByTestId('task-row').count()).resolves.toBe(20);
    await page.getByTestId('page-next').click();
    await page.waitForURL((url) => url.hash === '#/?q=lecture&page=2');
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(LECTURES - 20);
    await expect(page.getByTestId('filter-text').inputValue()).resolves.toBe('lecture');
    // Selecting all selects this page's rows only.
    await page.getByTestId('select-all').check();
    await expect(page.getByTestId('selected-count').textContent()).resolves.toBe(`${LECTURES - 20} selected`);
    await page.close();
  });
});
