/**
 * Signing in against the real API in real Chromium: a sign-in made while the start-up check of a
 * stale saved token is still on its way survives that check's late 401 (the race is forced by
 * holding the check's response, not hoped for), a page load logs no failed request, and focus lands
 * on the content after signing in.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/server.js';
import { launchBrowser, startUiServer } from './support.js';

let s: TestServer;
let browser: Browser;

beforeAll(async () => {
  s = await startUiServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('web UI sign-in', () => {
  it('keeps a sign-in made while the start-up check of a stale saved token is still answering', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A token from an earlier visit that the server no longer accepts.
    await context.addInitScript(() => {
      if (!sessionStorage.getItem('seeded')) {
        localStorage.setItem('earshot.token', 'revoked-token');
        sessionStorage.setItem('seeded', '1');
      }
      // Counts answers whose body the page has read, so the test knows when the app has seen one.
      const text = Response.prototype.text;
      const w = window as unknown as { bodiesRead: string[] };
      w.bodiesRead = [];
      Response.prototype.text = async function (this: Response) {
        const body = await text.call(this);
        w.bodiesRead.push(`${this.status} ${new URL(this.url).pathname}`);
        return body;
      };
    });
    let releaseStaleCheck = () => {};
    const staleCheckHeld = new Promise<void>((resolve) => {
      void page.route('**/v1/tasks?*', async (route) => {
        if (route.request().headers().authorization !== 'Bearer revoked-token') return route.continue();
        resolve();
        await new Promise<void>((release) => {
          releaseStaleCheck = release;
        });
        await route.continue();
      });
    });
    await page.goto(s.url);
    await staleCheckHeld;
    // The form is usable while the saved token is being checked: type and submit a good token.
    await page.getByLabel('API token').fill(s.tokens.alice as string);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('drop-zone').waitFor();
    // Now the start-up check answers 401, after the new sign-in.
    releaseStaleCheck();
    await page.waitForFunction(() =>
      (window as unknown as { bodiesRead: string[] }).bodiesRead.includes('401 /v1/tasks'),
    );
    // Let every task the 401 queued run, then look: still signed in, the new token kept.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    await expect(page.getByTestId('sign-in-form').count()).resolves.toBe(0);
    await expect(page.getByTestId('drop-zone').isVisible()).resolves.toBe(true);
    await expect(page.evaluate(() => localStorage.getItem('earshot.token'))).resolves.toBe(s.tokens.alice);
    await context.close();
  });

  it('loads without a failed request in the console, and focuses the content after signing in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') failed.push(m.text());
    });
    await page.goto(s.url);
    await page.getByTestId('sign-in-form').waitFor();
    expect(failed).toEqual([]);

    await page.getByLabel('API token').fill(s.tokens.alice as string);
    await page.keyboard.press('Enter');
    await page.getByTestId('drop-zone').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'main');
    // And a reload with the saved token logs nothing either.
    await page.reload();
    await page.getByTestId('drop-zone').waitFor();
    await page.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor();
    expect(failed).toEqual([]);
    await context.close();
  });
});
