import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { getCurrentTest } from 'vitest/suite';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; a browser is never downloaded (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium';
/** Why the browser tests cannot run here, or null when they can. */
export const noBrowser: string | null = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium), so the browser tests are skipped`;

/**
 * The describe of every browser test file: skipped with a notice where Chromium is missing, and
 * each test tried once more after a failure. Two busy cores running a server, Chromium and the rest
 * of the suite make a click occasionally land on a re-rendering widget; a real defect fails both
 * tries, and a test that needed the second is reported "(retry x1)" (.ci/run lists them).
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (noBrowser) console.warn(`${name}: ${noBrowser}`);
  describe.skipIf(noBrowser)(name, { retry: 1 }, body);
}

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  // Tests run as root in CI, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Chromium logs every HTTP error answer as a console error; those are checked against the test's expectations instead. */
const NETWORK_LOG = /^Failed to load resource: the server responded with a status of \d+/;

export interface BrowserTest {
  page: Page;
  /** Declares an HTTP error answer the test provokes on purpose (a wrong password, a call after logout). */
  expectHttpError(status: number, pathname: string): void;
}

/**
 * Runs one test in a fresh browser context (no cookies, no storage). It fails when the page logs
 * a console error, throws, or gets an HTTP error answer the test did not declare; on any failure
 * a screenshot is saved under test-results/e2e/.
 */
export async function inBrowser(browser: Browser, baseURL: string, name: string, body: (t: BrowserTest) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ baseURL, locale: 'zh-CN' });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected: Array<{ status: number; pathname: string }> = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !NETWORK_LOG.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const pathname = new URL(res.url()).pathname;
    if (!expected.some((e) => e.status === res.status() && e.pathname === pathname)) problems.push(`HTTP ${res.status()} ${res.request().method()} ${pathname}`);
  });
  try {
    await body({ page, expectHttpError: (status, pathname) => expected.push({ status, pathname }) });
    expect(problems, 'the browser console logged errors').toEqual([]);
  } catch (err) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    // A retry keeps the first try's picture: that one shows the failure, the retry often only its leftovers.
    const retry = getCurrentTest()?.result?.retryCount ?? 0;
    const file = path.join(SCREENSHOTS, `${name.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 80)}${retry > 0 ? `-retry${retry}` : ''}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw Object.assign(err as Error, { message: `${(err as Error).message}\n(screenshot: ${file}; page problems: ${JSON.stringify(problems)})` });
  } finally {
    await context.close();
  }
}

/**
 * Runs one test across several people at once, each in their own fresh browser context (a
 * customer and an agent never share cookies). Every page is checked like inBrowser's: a console
 * error, an uncaught exception or an undeclared HTTP error in any of them fails the test, and on
 * failure each page gets its own screenshot.
 */
export async function inBrowsers<K extends string>(browser: Browser, baseURL: string, name: string, who: readonly K[], body: (t: Record<K, BrowserTest>) => Promise<void>): Promise<void> {
  const problems: string[] = [];
  const open: Array<{ who: K; page: Page; close(): Promise<void> }> = [];
  const tests = {} as Record<K, BrowserTest>;
  try {
    for (const k of who) {
      const context = await browser.newContext({ baseURL, locale: 'zh-CN' });
      const page = await context.newPage();
      open.push({ who: k, page, close: () => context.close() });
      const expected: Array<{ status: number; pathname: string }> = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && !NETWORK_LOG.test(m.text())) problems.push(`${k}: console error: ${m.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`${k}: uncaught: ${err.message}`));
      page.on('response', (res) => {
        if (res.status() < 400) return;
        const pathname = new URL(res.url()).pathname;
        if (!expected.some((e) => e.status === res.status() && e.pathname === pathname)) problems.push(`${k}: HTTP ${res.status()} ${res.request().method()} ${pathname}`);
      });
      tests[k] = { page, expectHttpError: (status, pathname) => expected.push({ status, pathname }) };
    }
    await body(tests);
    expect(problems, 'a browser console logged errors').toEqual([]);
  } catch (err) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const files: string[] = [];
    for (const { who: k, page } of open) {
      const file = path.join(SCREENSHOTS, `${`${name}-${k}`.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 80)}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      files.push(file);
    }
    throw Object.assign(err as Error, { message: `${(err as Error).message}\n(screenshots: ${files.join(', ')}; page problems: ${JSON.stringify(problems)})` });
  } finally {
    for (const c of open) await c.close();
  }
}
