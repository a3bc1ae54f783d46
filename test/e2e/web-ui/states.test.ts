/**
 * What a new user meets around the happy path, in real Chromium against the real API (in process,
 * real SQLite and ffprobe, no workers: the test plays the worker through the store to fail a task):
 * uploads that cannot succeed, the language choice, leaving during an upload, failed and cancelled
 * tasks, retrying, and deleting.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP } from '../../api/support.js';
import type { TestServer } from '../../helpers/server.js';
import { createTaskAs, launchBrowser, row, signIn, startUiServer } from './support.js';

/** expect.poll gives up after 1 s by default; a loaded machine needs longer (it returns as soon as it holds). */
const POLL = { timeout: 30_000 };

let s: TestServer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  s = await startUiServer();
  browser = await launchBrowser();
  context = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

async function home(): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, s.url, s.tokens.alice as string);
  return page;
}

/** Drops files onto the drop zone the way a person does (drag and drop). */
async function drop(page: Page, files: { name: string; body: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.body], f.name, { type: 'audio/mpeg' }));
    return dt;
  }, files);
  const target = page.getByTestId('drop-zone').locator('label');
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

const createTask = (name: string): Promise<string> => createTaskAs(s, name);

describe('web UI states', () => {
  it('names the user’s file in upload errors and offers no retry for files that can only fail again', async () => {
    const page = await home();
    await drop(page, [
      { name: 'notes.mp3', body: 'This is a plain text file pretending to be an MP3.\n'.repeat(20) },
      { name: 'empty.m4a', body: '' },
    ]);
    const failed = page.locator('[data-testid="upload-item"][data-state="failed"]');
    await expect.poll(() => failed.count(), POLL).toBe(2);
    for (const name of ['notes.mp3', 'empty.m4a']) {
      const item = failed.filter({ hasText: name });
      const message = (await item.getByTestId('upload-error').textContent()) ?? '';
      expect(message).toContain(`"${name}"`);
      expect(message).toMatch(/not audio/i);
      expect(message).not.toMatch(/\binput\./);
      await expect(item.getByTestId('upload-retry').count()).resolves.toBe(0);
      await expect(item.getByTestId('upload-dismiss').count()).resolves.toBe(1);
    }
    await page.close();
  });

  it('offers only the languages the engine does, even when another was saved earlier', async () => {
    const page = await context.newPage();
    await page.goto(s.url);
    await page.evaluate(() =>
      localStorage.setItem('earshot.upload-options', JSON.stringify({ language: 'de', formats: ['json'] })),
    );
    await signIn(page, s.url, s.tokens.alice as string);
    const language = page.getByTestId('language-input');
    await expect.poll(() => language.evaluate((el) => el.tagName), POLL).toBe('SELECT');
    const offered = await language.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toEqual(['en']);
    await expect(language.inputValue()).resolves.toBe('en');
    await expect(page.getByTestId('language-hint').textContent()).resolves.toBe(
      'This server transcribes English only.',
    );
    // What is offered is what gets sent.
    const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/v1/tasks'));
    await page.getByTestId('file-input').setInputFiles(CLIP);
    const task = (await (await created).json()) as { options: { language: string } };
    expect(task.options.language).toBe('en');
    await page.close();
  });

  it('asks before leaving the page while an upload is running, and not after', async () => {
    const page = await home();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      void page.route('**/v1/tasks', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        resolve();
        await new Promise<void>((r) => {
          release = r;
        });
        await route.continue();
      });
    });
    // Chromium shows the leave dialog only on a page the person has interacted with.
    await page.getByTestId('language-input').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('file-input').setInputFiles(CLIP);
    await held;
    await page.locator('[data-testid="upload-item"][data-state="uploading"]').waitFor();
    const dialog = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const asked = await dialog;
    expect(asked.type()).toBe('beforeunload');
    await asked.dismiss(); // stay
    expect(page.isClosed()).toBe(false);

    release();
    await expect.poll(() => page.getByTestId('upload-item').count(), POLL).toBe(0); // done and listed
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.accept();
    });
    const closed = page.waitForEvent('close');
    await page.close({ runBeforeUnload: true });
    await closed;
    expect(dialogs).toEqual([]);
  });

  it('shows a failed task as failed: no "transcribing", the user’s file name, used attempts, visible retry', async () => {
    const id = await createTask('interview.m4a');
    // Earlier tests left tasks queued (no workers here): claim until this one, then give the rest back.
    const others: string[] = [];
    for (;;) {
      const claimed = await s.store.claim('test-worker', 60_000);
      if (claimed === null) throw new Error('the task was never claimed');
      if (claimed.id === id) break;
      others.push(claimed.id);
    }
    for (const other of others) await s.store.release(other, 'test-worker');
    await s.store.fail(id, 'test-worker', {
      code: 'engine_error',
      message: 'input.m4a: Invalid data found when processing input',
      retryable: false,
    });
    const page = await home();
    const task = row(page, 'interview.m4a');
    await task.locator('[data-testid="task-status"]', { hasText: 'Failed' }).waitFor();
    await expect(task.getByTestId('task-error').textContent()).resolves.toBe(
      'Failed: interview.m4a: Invalid data found when processing input',
    );
    await expect(task.getByTestId('task-attempts').textContent()).resolves.toBe('failed after 1 attempt');

    await task.getByRole('link', { name: 'interview.m4a' }).click();
    await page.getByTestId('downloads-hint').waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/Transcribing…|Downloads are ready once|input\.m4a/);
    await expect(page.getByTestId('downloads-hint').textContent()).resolves.toMatch(/the task failed/);

    await page.getByTestId('task-retry').click();
    await page.getByTestId('task-action-done').filter({ hasText: 'Queued again.' }).waitFor();
    await page.getByTestId('task-status').filter({ hasText: 'Queued' }).waitFor();
    await expect(page.getByTestId('downloads-hint').textContent()).resolves.toMatch(/ready once/);
    await page.close();
  });

  it('shows a cancelled task as cancelled, and a delete confirmation that reads well', async () => {
    await createTask('meeting.wav');
    const page = await home();
    await row(page, 'meeting.wav').getByRole('link', { name: 'meeting.wav' }).click();
    await page.getByTestId('task-cancel').click();
    await page.getByTestId('task-status').filter({ hasText: 'Cancelled' }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/Transcribing…|Downloads are ready once/);
    await expect(page.getByTestId('downloads-hint').textContent()).resolves.toMatch(/cancelled/);
    await expect(page.getByTestId('transcript-empty').textContent()).resolves.toMatch(/cancelled/);

    await page.getByTestId('task-delete').click();
    const confirm = page.getByTestId('task-delete-confirm');
    await expect(confirm.textContent()).resolves.toBe('Delete meeting.wav for good?');
    // What a sighted user reads: the file name is for screen readers only.
    const visible = await confirm.evaluate((el) =>
      Array.from(el.childNodes)
        .filter((n) => !(n instanceof HTMLElement && n.classList.contains('visually-hidden')))
        .map((n) => n.textContent)
        .join(''),
    );
    expect(visible).toBe('Delete for good?');
    await page.close();
  });
});

describe('web UI with an engine that takes any language', () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startUiServer({ config: { engine: 'openai' } });
  });
  afterAll(async () => {
    await open?.close();
  });

  it('has a free language field that explains a malformed code instead of sending it', async () => {
    const page = await context.newPage();
    await signIn(page, open.url, open.tokens.alice as string);
    const language = page.getByTestId('language-input');
    await expect.poll(() => language.evaluate((el) => el.tagName), POLL).toBe('INPUT');
    await language.fill('english!');
    await expect(page.getByTestId('language-hint').textContent()).resolves.toBe(
      'Enter a language code such as en, de or pt-BR.',
    );
    await expect(page.getByTestId('file-input').isDisabled()).resolves.toBe(true);
    await language.fill('pt-BR');
    await expect(page.getByTestId('file-input').isDisabled()).resolves.toBe(false);
    await page.close();
  });
});
