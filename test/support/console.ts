import { afterAll, beforeAll, expect } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { inBrowser, inBrowsers, launchChromium, type BrowserTest } from './browser.ts';
import { http, kefuEnv, killAll, loginOver, removeTempDirs, runKefu, startKefu, tempDataDir, type Server } from './process.ts';
import { DEMO_PASSWORD } from './kefu.ts';

/**
 * The shared frame of the console's browser tests: one `kefu start` (call-center preset with its
 * demo staff, on its own data directory) and one Chromium per file. Call it inside `describe`; the
 * server and the browser exist from the file's first beforeAll on.
 */
export function consoleSuite(
  env: Record<string, string> = {},
  options: {
    /** Writes into the initialised data directory before the server starts (e.g. seeds volume with SQL); the database is closed again by then. */
    beforeStart?: (dataDir: string) => Promise<void>;
  } = {},
) {
  let server: Server | undefined;
  let browser: Browser | undefined;
  const started = () => {
    if (!server || !browser) throw new Error('consoleSuite: used before its beforeAll ran');
    return { server, browser };
  };

  beforeAll(async () => {
    const dataDir = tempDataDir();
    const vars = kefuEnv({ KEFU_DATA_DIR: dataDir, KEFU_PRESET: 'call-center', KEFU_DEMO: 'true', KEFU_DEMO_PASSWORD: DEMO_PASSWORD, ...env });
    if (options.beforeStart) {
      const init = await runKefu(['init', '--preset', vars.KEFU_PRESET!], vars);
      expect(init.code, init.stderr).toBe(0);
      await options.beforeStart(dataDir);
    }
    server = await startKefu(vars);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await killAll();
    removeTempDirs();
  });

  return {
    get server(): Server {
      return started().server;
    },
    /** One test in a fresh browser context (inBrowser of ./browser.ts). */
    run: (name: string, body: (t: BrowserTest) => Promise<void>) => inBrowser(started().browser, started().server.url, name, body),
    /** One test across several people, each in their own fresh browser context (inBrowsers of ./browser.ts). */
    runMany: <K extends string>(name: string, who: readonly K[], body: (t: Record<K, BrowserTest>) => Promise<void>) => inBrowsers(started().browser, started().server.url, name, who, body),
    /** A call over HTTP as a demo user (signed in for the call) that must succeed; answers the body. */
    api: async (as: string, method: string, url: string, body?: unknown) => {
      const base = started().server.url;
      const res = await http(base, method, url, { token: await loginOver(base, as, DEMO_PASSWORD), body });
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      return res.body;
    },
  };
}

/** Waits for the page to get there; the limit only guards against a hang (a first paint on a busy CI machine is slow). */
export const eventually = <T>(read: () => T | Promise<T>, timeout = 20_000) => expect.poll(read, { timeout });

export const navItems = (page: Page) => page.getByRole('navigation').getByRole('link').allInnerTexts();

/** Signs in on the login page from a fresh context (whose first session probe is answered 401) and lands on the console's home. */
export async function signIn({ page, expectHttpError }: BrowserTest, username: string, password = DEMO_PASSWORD) {
  expectHttpError(401, '/api/auth/me');
  await page.goto('/console/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.waitForURL(/\/console\/?$/);
}

/** Signs in, then opens the console screen at `path` (e.g. '/wallboard'). */
export async function signInAt(t: BrowserTest, path: string, username: string) {
  await signIn(t, username);
  await t.page.goto(`/console${path}`);
}

/**
 * Picks `option` in an antd Select (`select` is its combobox input). On a busy machine the first
 * click can land while the select re-renders (its options reloading) and leave the dropdown shut:
 * open it until the option shows. Only this select's own dropdown counts (the one holding the
 * listbox its input controls): another select's dropdown may still be fading out. A click that
 * lands as the dropdown closes selects nothing, so the pick counts once the select shows it.
 * `search` is typed into the select after opening it, for selects that search the server as one
 * types; those show something else once picked (an autocomplete fills in its own text), so they
 * are not checked, nor pickers that act and clear themselves (`acts: true`, e.g. inserting a canned reply).
 */
export async function chooseOption(page: Page, select: Locator, option: string, { exact = false, search, acts = false }: { exact?: boolean; search?: string; acts?: boolean } = {}) {
  // The whole select, not its (covered) search input, takes the click that opens it.
  const control = select.locator('xpath=ancestor-or-self::*[contains(concat(" ", @class, " "), " ant-select ")][1]');
  const items = async () => {
    const list = (await select.getAttribute('aria-controls')) ?? (await select.getAttribute('aria-owns'));
    const dropdown = page.locator('.ant-select-dropdown:visible').filter({ has: page.locator(`[id="${list}"]`) });
    return exact ? dropdown.getByTitle(option, { exact: true }) : dropdown.locator('.ant-select-item-option').filter({ hasText: option });
  };
  const shown = async () => acts || search !== undefined || (await control.innerText()).includes(option);
  await eventually(async () => {
    if ((await select.getAttribute('aria-expanded')) !== 'true') {
      // A click held up (the dialog still settling) must not spend the whole wait: try again on the next round.
      const opened = await control.click({ timeout: 2_000 }).then(
        () => true,
        () => false,
      );
      if (opened && search !== undefined) await select.fill(search, { timeout: 2_000 }).catch(() => undefined);
    }
    const found = await items();
    if ((await found.count()) === 0) return false;
    await found.first().click({ timeout: 2_000 }).catch(() => undefined);
    return shown();
  }, 30_000).toBe(true);
}

/**
 * Types a date-time into an antd picker and confirms it in the panel (Enter would submit the whole
 * form). The value counts once the panel has closed and the field still shows it: a confirmation
 * the picker did not take leaves the field empty, and is made again.
 */
export async function typeDateTime(page: Page, input: Locator, value: string) {
  await eventually(async () => {
    await input.fill(value);
    await page.locator('.ant-picker-dropdown:visible .ant-picker-ok button').click();
    await page.locator('.ant-picker-dropdown:visible').waitFor({ state: 'hidden' });
    return input.inputValue();
  }).toBe(value);
}
