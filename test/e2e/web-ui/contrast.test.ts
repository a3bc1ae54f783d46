/**
 * Every button of the UI is readable in every state: the WCAG contrast ratio of its text on its
 * background, from Chromium's computed colours (opacity and the backgrounds behind it composited), is
 * at least 4.5:1 normal, under the pointer, with keyboard focus, and disabled, in the light and the
 * dark theme. Hover and focus are forced through the DevTools protocol, the way DevTools' ":hov"
 * panel does, so no pointer position or timing is involved.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/server.js';
import { createTaskAs, launchBrowser, row, signIn, startUiServer } from './support.js';

const MIN_RATIO = 4.5;
const STATES: Record<string, string[]> = {
  normal: [],
  hover: ['hover'],
  'focus-visible': ['focus', 'focus-visible'],
};

/**
 * Runs in the page with `this` = the element: composites the backgrounds from the root down, then the
 * element's own background and text colour (each scaled by the element's opacity) on top, and returns
 * the WCAG 2 contrast ratio of the two results.
 */
const CONTRAST_FN = `function () {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) throw new Error('unexpected colour ' + c);
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const chain = [];
  for (let n = this.parentElement; n; n = n.parentElement) chain.unshift(n);
  let backdrop = { r: 255, g: 255, b: 255, a: 1 };
  for (const n of chain) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c.a > 0) backdrop = over(c, backdrop);
  }
  const style = getComputedStyle(this);
  const opacity = Number(style.opacity);
  const own = parse(style.backgroundColor);
  const bg = own.a > 0 ? over({ ...own, a: own.a * opacity }, backdrop) : backdrop;
  const text = parse(style.color);
  const fg = over({ ...text, a: text.a * opacity }, bg);
  const lum = (c) => {
    const ch = (v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const box = this.getBoundingClientRect();
  return {
    ratio: (hi + 0.05) / (lo + 0.05),
    visible: box.width > 2 && box.height > 2,
    label: (this.getAttribute('data-testid') || this.textContent.trim().slice(0, 30)) + ' [' + this.className + ']',
    disabled: this.matches(':disabled'),
    colours: style.color + ' on ' + style.backgroundColor + (opacity < 1 ? ' at opacity ' + opacity : ''),
  };
}`;

interface Measured {
  ratio: number;
  visible: boolean;
  label: string;
  disabled: boolean;
  colours: string;
}

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

/** Measures every visible button (and link or label styled as one) in each state; returns what it saw. */
async function measureButtons(page: Page, where: string): Promise<{ problems: string[]; seen: Set<string> }> {
  await page.mouse.move(0, 0); // "normal" means not under the real pointer either
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const query = async (selector: string) =>
    (await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector })).nodeIds;
  // Danger buttons first: the delete confirmation reverts after a few seconds.
  const danger = await query('.button--danger');
  const nodeIds = [...danger, ...(await query('button, .button')).filter((id) => !danger.includes(id))];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const nodeId of nodeIds) {
    const { object } = await cdp.send('DOM.resolveNode', { nodeId });
    for (const [state, forced] of Object.entries(STATES)) {
      await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: forced });
      const { result } = await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId as string,
        functionDeclaration: CONTRAST_FN,
        returnByValue: true,
      });
      const m = result.value as Measured;
      if (!m.visible) break;
      const name = m.disabled ? 'disabled' : state;
      seen.add(`${m.label.includes('danger') ? 'danger' : m.label.includes('primary') ? 'primary' : 'plain'} ${name}`);
      if (m.ratio < MIN_RATIO) {
        problems.push(`${where}: ${m.label} ${name}: ${m.ratio.toFixed(2)}:1 (${m.colours})`);
      }
      if (m.disabled) break; // hover and focus styles never apply to a disabled button
    }
    await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: [] });
  }
  await cdp.detach();
  return { problems, seen };
}

const createTask = (name: string): Promise<string> => createTaskAs(s, name);

describe('web UI contrast', () => {
  it('every button state reads at 4.5:1 or better in the light and the dark theme', async () => {
    const failedId = await createTask('failed.wav');
    const claimed = await s.store.claim('test-worker', 60_000);
    expect(claimed?.id).toBe(failedId);
    await s.store.fail(failedId, 'test-worker', { code: 'engine_error', message: 'it broke', retryable: false });
    await createTask('waiting.wav');

    const problems: string[] = [];
    const seen = new Set<string>();
    const note = (r: { problems: string[]; seen: Set<string> }) => {
      problems.push(...r.problems);
      for (const x of r.seen) seen.add(x);
    };
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme });
      const page = await context.newPage();
      await page.goto(s.url);
      await page.getByTestId('sign-in-form').waitFor();
      note(await measureButtons(page, `${colorScheme} sign-in`));

      await signIn(page, s.url, s.tokens.alice as string);
      await row(page, 'failed.wav').getByTestId('task-retry').waitFor();
      // The delete confirmation (the danger button) lasts a few seconds: it is measured first.
      await row(page, 'waiting.wav').getByTestId('task-delete').click();
      const confirm = page.getByTestId('task-delete-confirm');
      await confirm.waitFor();
      note(await measureButtons(page, `${colorScheme} home`));

      await row(page, 'waiting.wav').getByRole('link', { name: 'waiting.wav' }).click();
      await page.getByTestId('download-srt').waitFor();
      note(await measureButtons(page, `${colorScheme} task page`));

      await page.getByTestId('nav-live').click();
      await page.getByTestId('live-start').waitFor();
      note(await measureButtons(page, `${colorScheme} live page`));
      await context.close();
    }
    expect(problems).toEqual([]);
    // The check covered what it claims to.
    for (const kind of [
      'primary normal',
      'primary hover',
      'primary focus-visible',
      'danger normal',
      'danger hover',
      'danger focus-visible',
      'plain normal',
      'plain hover',
      'plain focus-visible',
      'plain disabled',
    ]) {
      expect(seen, kind).toContain(kind);
    }
  });
});
