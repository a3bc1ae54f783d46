/**
 * Summary and clean-up in the web UI, against a real `earshot serve` (child process, real SQLite,
 * real PocketSphinx worker) whose LLM is the loopback fake chat-completions server, in real headless
 * Chromium: ask for both at upload, read the summary, switch to the polished transcript and download
 * it; ask for a summary of a finished task from its page; after an edit, make the clean-up again.
 * What the page shows is compared with what the API serves, so the UI is checked, not the fake
 * model. Every wait is on a page condition.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transcript } from '../../../src/core/transcript.js';
import { FakeLlm, polishText } from '../../helpers/fake-llm.js';
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

let tmp: string;
let fake: FakeLlm;
let server: ChildServer;
let context: BrowserContext;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'earshot-web-llm-'));
  fake = await FakeLlm.start();
  server = await startChildServer({ env: { EARSHOT_LLM_BASE_URL: fake.url, EARSHOT_LLM_MODEL: 'fake-model' } });
  context = await launchPersistent(path.join(tmp, 'profile'));
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function api<T>(pathname: string): Promise<T> {
  const res = await fetch(`${server.url}${pathname}`, { headers: { authorization: `Bearer ${server.token}` } });
  expect(res.status, pathname).toBe(200);
  return (await res.json()) as T;
}

/** Uploads `file` from the home page with the two post-processing boxes set as given; opens its page. */
async function uploadAndOpen(page: Page, file: string, post: { summary: boolean; polish: boolean }): Promise<string> {
  await signInAt(page, server.url, server.token);
  for (const kind of ['summary', 'polish'] as const) {
    const box = page.getByTestId(`option-${kind}`);
    await box.setChecked(post[kind]);
  }
  const name = path.basename(file);
  await page.getByTestId('file-input').setInputFiles(file);
  await page
    .locator('[data-testid="task-row"][data-status="succeeded"]')
    .filter({ hasText: name })
    .waitFor({ timeout: 110_000 });
  await row(page, name).getByRole('link', { name }).click();
  await page.getByTestId('segment').first().waitFor();
  return decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');
}

const segmentTexts = (page: Page) =>
  page
    .getByTestId('segment-text')
    .evaluateAll((els) => els.map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim()));

/** A transcript's segments as the page renders them: from their words where there are any. */
const shownTexts = (t: Transcript) =>
  t.segments.map((s) =>
    (s.words.length > 0 ? s.words.map((w) => w.word).join(' ') : s.text).replace(/\s+/g, ' ').trim(),
  );

/** Waits until the page shows exactly `texts` as its segments. */
const showsSegments = (page: Page, texts: string[]) =>
  page.waitForFunction((want) => {
    const got = Array.from(document.querySelectorAll('[data-testid="segment-text"]'), (el) =>
      (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
    );
    return JSON.stringify(got) === JSON.stringify(want);
  }, texts);

interface SummaryView {
  status: string;
  result: { summary: string; key_points: string[]; model: string } | null;
}

describe('web UI: summary and clean-up', () => {
  it('asked for at upload: shows the summary, switches to the polished transcript and downloads it', async () => {
    const page = await context.newPage();
    const id = await uploadAndOpen(page, RECORDING, { summary: true, polish: true });

    const summaryText = page.getByTestId('summary-text');
    await summaryText.waitFor({ timeout: 30_000 });
    const served = await api<SummaryView>(`/v1/tasks/${id}/summary`);
    expect(served.status).toBe('succeeded');
    expect(served.result?.summary).toMatch(/^\d+ words from \S+ to \S+$/); // the fake model's answer
    await expect(summaryText.textContent()).resolves.toBe(served.result?.summary);
    await expect(page.getByTestId('summary-points').getByRole('listitem').allTextContents()).resolves.toEqual(
      served.result?.key_points,
    );
    await expect(page.getByTestId('artifact-summary').textContent()).resolves.toContain('fake-model');

    // The machine transcript is the default; Polished appears once the polish succeeded.
    const machine = await api<Transcript>(`/v1/tasks/${id}/transcript?format=json`);
    const polishedServed = await api<Transcript>(`/v1/tasks/${id}/transcript?format=json&variant=polished`);
    const polishedTexts = machine.segments.map((s) => polishText(s.text));
    expect(polishedServed.segments.map((s) => s.text)).toEqual(polishedTexts);
    await page.getByTestId('artifact-polish-ready').waitFor({ timeout: 30_000 });
    await expect(segmentTexts(page)).resolves.toEqual(shownTexts(machine));
    const polishedButton = page.getByRole('button', { name: 'Polished' });
    await expect(polishedButton.getAttribute('aria-pressed')).resolves.toBe('false');
    // Keyboard: focus the switch and press it with Enter.
    await polishedButton.focus();
    await page.keyboard.press('Enter');
    await expect(polishedButton.getAttribute('aria-pressed')).resolves.toBe('true');
    await showsSegments(page, shownTexts(polishedServed));
    expect(shownTexts(polishedServed)).not.toEqual(shownTexts(machine));

    // Downloads follow the chosen transcript.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-txt').click()]);
    expect(download.suggestedFilename()).toBe(path.basename(RECORDING).replace(/\.wav$/, '.polished.txt'));
    const txt = await readFile((await download.path()) as string, 'utf8');
    for (const text of polishedTexts) expect(txt).toContain(text);

    await checkPhoneLayout(context, page.url(), ['summary-text', 'variant-polished', 'download-txt']);

    // And back: the machine transcript was never overwritten.
    await page.getByRole('button', { name: 'Machine' }).click();
    await showsSegments(page, shownTexts(machine));
    await page.close();
  });

  it('asked for later: Summarise on a finished task shows the summary once made; a failed clean-up can be tried again', async () => {
    const page = await context.newPage();
    const id = await uploadAndOpen(page, path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav'), {
      summary: false,
      polish: false,
    });
    const before = fake.requests.length;
    // Nothing was asked for, so the page offers both.
    const summarise = page.getByRole('button', { name: 'Summarise' });
    await summarise.waitFor();
    await page.getByRole('button', { name: 'Clean up' }).waitFor();
    expect(fake.requests.length).toBe(before);

    // Every progress line the page shows, recorded on each DOM change. The model answers slowly, so
    // the running state lasts long enough to be drawn.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const line = document.querySelector('[data-testid="artifact-summary-progress"] p')?.textContent ?? '';
        if (line && seen.at(-1) !== line) seen.push(line);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    fake.faults = [{ kind: 'slow', gapMs: 1500 }];
    await summarise.click();
    const summaryText = page.getByTestId('summary-text');
    await summaryText.waitFor({ timeout: 30_000 });
    const served = await api<SummaryView>(`/v1/tasks/${id}/summary`);
    expect(served.result?.summary).toMatch(/^\d+ words from \S+ to \S+$/);
    await expect(summaryText.textContent()).resolves.toBe(served.result?.summary);
    expect(fake.requests.slice(before).map((r) => r.kind)).toContain('map');
    // Kept current by the task's event stream after the task had finished: waiting, then the window.
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen).toContain('Summarising: window 1 of 1');
    // No polish was asked for: still offered, and no Machine | Polished switch.
    await expect(page.getByRole('button', { name: 'Clean up' }).isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('variant-switch').count()).resolves.toBe(0);

    // A model that refuses (a 4xx is not retried): the failure is shown and can be tried again.
    fake.always = { kind: 'status', status: 400 };
    await page.getByRole('button', { name: 'Clean up' }).click();
    const failure = page.getByTestId('artifact-polish-error');
    await failure.waitFor({ timeout: 30_000 });
    await expect(failure.textContent()).resolves.toContain('400');
    await expect(page.getByTestId('variant-switch').count()).resolves.toBe(0);
    fake.always = null;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('artifact-polish-ready').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Polished' }).waitFor();
    await expect(page.getByTestId('artifact-polish-outdated').count()).resolves.toBe(0);

    // An edit leaves both made from an older revision: the page offers to make them again, and the
    // clean-up made again is the edited text's.
    const edited = 'an edited first segment';
    await page.getByTestId('edit-mode').click();
    await page.getByTestId('segment-edit').first().click();
    const editor = page.getByTestId('segment-editor-text');
    await editor.fill(edited);
    await editor.press('Enter');
    await page.getByTestId('edited-badge').filter({ hasText: 'revision 1' }).waitFor();
    await page.getByTestId('artifact-summary-outdated').waitFor();
    const outdated = page.getByTestId('artifact-polish-outdated');
    await outdated.getByRole('button', { name: 'Clean up again' }).click();
    // The old result is still drawn as succeeded until the re-queue arrives: wait for it to go first,
    // or the wait below could match it.
    await outdated.waitFor({ state: 'detached', timeout: 30_000 });
    await page
      .locator('[data-testid="artifact-polish"][data-status="succeeded"] [data-testid="artifact-polish-ready"]')
      .waitFor({ timeout: 30_000 });
    await expect(outdated.count()).resolves.toBe(0);
    const remade = await api<Transcript>(`/v1/tasks/${id}/transcript?format=json&variant=polished`);
    expect(remade.segments[0]?.text).toBe(polishText(edited));
    expect(await api<{ revision: number }>(`/v1/tasks/${id}/polish`)).toMatchObject({ revision: 1 });
    // The summary was not asked for again: still from revision 0, still offered.
    expect(await api<{ revision: number }>(`/v1/tasks/${id}/summary`)).toMatchObject({ revision: 0 });
    await page.getByTestId('artifact-summary-outdated').waitFor();
    await page.close();
  });
});
