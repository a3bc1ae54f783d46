/**
 * Shared setup of the web UI suites: a fresh build of the UI, real headless Chromium, and the ways the
 * suites reach a server (an in-process API over real SQLite, or `earshot serve` as a child process).
 */
import { execFile } from 'node:child_process';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CLIP, call, form, json } from '../../api/support.js';
import { type StartServerOptions, startServer, type TestServer } from '../../helpers/server.js';
import { type ServiceOptions, startService } from '../../helpers/service/index.js';

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const WEB_ROOT = path.join(ROOT, 'dist/web');
export const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
export const RECORDING = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav');
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

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/web unless it is newer than every file of src/web, so a suite never tests a stale UI.
 * Suites run in parallel: an exclusive lock file makes one build while the others wait for it (a
 * Vite build empties dist/web first, which a running server must not see).
 */
export async function ensureWebBuild(): Promise<void> {
  const lock = path.join(ROOT, 'dist/.web-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) await rm(lock, { force: true }); // left by a killed run
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const built = await stat(path.join(WEB_ROOT, 'index.html')).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    const sources = Math.max(await newestMtime(path.join(ROOT, 'src/web')), 0);
    if (built <= sources) {
      await run('npx', ['vite', 'build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT });
    }
  } finally {
    await rm(lock, { force: true });
  }
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: false, // --headless=new is in the args; Playwright must not add its own flag
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/** Persistent profile (needed for the docs screenshots' scrollbar flag and downloads). */
export async function launchPersistent(profileDir: string, extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: false,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
}

/** The API in this process over real SQLite, serving the built UI; no workers (tests play them). */
export async function startUiServer(opts: StartServerOptions = {}): Promise<TestServer> {
  await ensureWebBuild();
  return startServer({ webRoot: WEB_ROOT, ...opts });
}

/** Opens the app and signs in with `token` unless the page is signed in already. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  const tokenInput = page.getByLabel('API token');
  // While a saved token is being tried the form is up too; wait for that check to end first.
  const form = page.getByTestId('sign-in-form').filter({ hasNot: page.getByTestId('sign-in-checking') });
  await page.getByTestId('drop-zone').or(form).waitFor();
  if (await form.isVisible()) {
    await tokenInput.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByTestId('drop-zone').waitFor();
}

export function row(page: Page, name: string) {
  return page.getByTestId('task-row').filter({ has: page.getByRole('link', { name }) });
}

export interface ChildServer {
  url: string;
  token: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * `earshot serve` as a child process with one real worker and a user `alice`, through the shared e2e
 * service helper (clean environment, port 0, its own process group killed on stop); `opts.env` adds
 * settings (an LLM server, say).
 */
export async function startChildServer(opts: ServiceOptions = {}): Promise<ChildServer> {
  await ensureWebBuild();
  const svc = await startService(opts);
  return { url: svc.url, token: svc.tokens.alice, log: () => svc.output(), stop: () => svc.stop() };
}

/** Creates a task through the API (as alice), the way another client would; returns its id. */
export async function createTaskAs(s: TestServer, name: string): Promise<string> {
  const res = await call(s, 'POST', '/v1/tasks', {
    token: s.tokens.alice,
    body: form(new Uint8Array(await readFile(CLIP)), name),
  });
  if (res.status !== 202) throw new Error(`creating ${name}: expected 202, got ${res.status}`);
  return (await json<{ id: string }>(res)).id;
}

/**
 * On a phone-sized screen (390x844) the page must not scroll sideways, and each named control must
 * lie within the screen's width, so it can be reached by scrolling down only.
 */
export async function checkPhoneLayout(ctx: BrowserContext, url: string, testIds: string[]): Promise<void> {
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(url);
  for (const id of testIds) await phone.getByTestId(id).first().waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `horizontal overflow on ${url}`).toBeLessThanOrEqual(0);
  for (const id of testIds) {
    const box = await phone.getByTestId(id).first().boundingBox();
    expect(box, id).not.toBeNull();
    expect(box?.x ?? -1, id).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 0), id).toBeLessThanOrEqual(390);
  }
  await phone.close();
}

/**
 * The WCAG 2 contrast of the text of each visible element matching `selector`, against the
 * backgrounds composited behind it (the element's own included; opacity is not used by these
 * elements). Returns a line for each one under `min`, empty when all read well.
 */
export async function lowContrastText(page: Page, selector: string, min = 4.5): Promise<string[]> {
  return page.evaluate(
    ([sel, least]) => {
      type Rgba = { r: number; g: number; b: number; a: number };
      const parse = (c: string): Rgba => {
        const p = (/rgba?\(([^)]+)\)/.exec(c)?.[1] ?? '0 0 0 0')
          .split(/[\s,/]+/)
          .filter(Boolean)
          .map(Number);
        return { r: p[0] ?? 0, g: p[1] ?? 0, b: p[2] ?? 0, a: p.length > 3 ? (p[3] ?? 1) : 1 };
      };
      const over = (top: Rgba, bottom: Rgba): Rgba => ({
        r: top.r * top.a + bottom.r * (1 - top.a),
        g: top.g * top.a + bottom.g * (1 - top.a),
        b: top.b * top.a + bottom.b * (1 - top.a),
        a: 1,
      });
      const lum = (c: Rgba) => {
        const ch = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
      };
      const low: string[] = [];
      for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel as string))) {
        if (el.getClientRects().length === 0 || !(el.textContent ?? '').trim()) continue;
        const chain: Element[] = [];
        for (let n: Element | null = el; n; n = n.parentElement) chain.unshift(n);
        // A modal dialog sits on its backdrop, not on the page behind it.
        const dialog = chain.findIndex((n) => n instanceof HTMLDialogElement && n.open);
        let bg: Rgba = { r: 255, g: 255, b: 255, a: 1 };
        for (const n of dialog >= 0 ? chain.slice(dialog) : chain) {
          const c = parse(getComputedStyle(n).backgroundColor);
          if (c.a > 0) bg = over(c, bg);
        }
        const fg = over(parse(getComputedStyle(el).color), bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x) as [number, number];
        const ratio = (hi + 0.05) / (lo + 0.05);
        if (ratio < (least as number))
          low.push(`${el.className || el.tagName} "${el.textContent?.trim()}": ${ratio.toFixed(2)}:1`);
      }
      return low;
    },
    [selector, min] as const,
  );
}

/**
 * The entry names of a zip archive, read from its central directory (so a test can check an export
 * without a zip library): throws unless the bytes start with a local file header ("PK\3\4") and end
 * with an end-of-central-directory record whose entry count matches the entries found.
 */
export function zipEntryNames(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22 || view.getUint32(0, true) !== 0x04034b50) throw new Error('not a zip: no PK\\3\\4 header');
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i -= 1) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip: no end of central directory');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const names: string[] = [];
  for (let n = 0; n < count; n += 1) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error(`zip entry ${n}: bad central header`);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    names.push(new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}
