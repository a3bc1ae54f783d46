/**
 * The admin's Workers page in real Chromium against the real API: it lists the registry's workers
 * (host, pid, engine, slots, tasks, version, heartbeat age, state, stale), and Drain sets the flag
 * the worker reads at its next heartbeat. A non-admin sees a plain refusal, not an error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/server.js';
import { launchBrowser, signIn, startUiServer } from './support.js';

let s: TestServer;
let browser: Browser;
const REG = { pid: 4242, engine: 'pocketsphinx', slots: 4, version: '0.1.0' };

beforeAll(async () => {
  s = await startUiServer({ users: [{ name: 'alice' }, { name: 'root', role: 'admin' }] });
  await s.store.registerWorker({ ...REG, id: 'box-a:4242', host: 'box-a', leaseMs: 600_000 });
  // A worker whose lease ran out long ago (its process died without deregistering).
  await s.store.registerWorker({ ...REG, id: 'box-b:7', host: 'box-b', pid: 7, leaseMs: 1000 });
  await s.store.heartbeatWorker('box-a:4242', ['3f2a9c1e-0000-4000-8000-000000000000']);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('web UI: workers', () => {
  it('lists every registered worker and drains one', async () => {
    const page = await browser.newPage();
    await signIn(page, s.url, s.tokens.root as string);
    await page.getByTestId('nav-workers').click();
    const alive = page.locator('[data-testid="worker-row"][data-worker-id="box-a:4242"]');
    const dead = page.locator('[data-testid="worker-row"][data-worker-id="box-b:7"]');
    await expect.poll(() => dead.getAttribute('data-state'), { timeout: 30_000 }).toBe('stale');
    expect(await alive.textContent()).toMatch(/box-a.*4242.*pocketsphinx.*4.*3f2a9c1e.*0\.1\.0.*ago.*Running/);
    expect(await dead.getByTestId('worker-state').textContent()).toBe('Stale');
    expect(await dead.getByTestId('worker-drain').count()).toBe(0);

    await alive.getByTestId('worker-drain').click();
    await alive.getByTestId('worker-undrain').waitFor();
    expect(await alive.getByTestId('worker-state').textContent()).toBe('Draining');
    expect(await s.store.heartbeatWorker('box-a:4242', [])).toBe('draining');
    await page.close();
  });

  it('tells a non-admin the page is for administrators', async () => {
    const page = await browser.newPage();
    await signIn(page, s.url, s.tokens.alice as string);
    await page.goto(`${s.url}/#/workers`);
    await page.getByTestId('workers-forbidden').waitFor();
    expect(await page.getByTestId('workers-table').count()).toBe(0);
    await page.close();
  });
});
