/**
 * Headless Chromium for the report tests and bench/report.ts (Debian's /usr/bin/chromium through playwright-core; no browser is
 * ever downloaded). Throws with the cause when Chromium cannot start: a test that needs it fails loudly, never skips.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['TUNEKIT_CHROMIUM'] ?? '/usr/bin/chromium';

/** A started browser with its own profile directory; `close()` removes both. */
export interface Chromium {
  readonly browser: BrowserContext;
  /** A new page whose console errors and page errors are collected in `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set TUNEKIT_CHROMIUM`,
    );
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1300, height: 900 },
    });
  } catch (error) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not start Chromium (${CHROMIUM}): ${(error as Error).message}`);
  }
  return {
    browser: context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      // Report pages must work offline: any request to another origin is an error.
      await page.route(/^(?!file:|http:\/\/127\.0\.0\.1|data:|about:).*/, (route) => {
        errors.push(`network request to ${route.request().url()}`);
        return route.abort();
      });
      return { page, errors };
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the page exposes on `window.__tunekit` for tests. */
export interface PageState {
  readonly ready: boolean;
  readonly errors: string[];
  readonly renders: number;
  readonly trials: number;
  readonly tableRows: number;
  readonly tableDomRows: number;
  readonly featureMaps?: number;
  readonly charts: { readonly [id: string]: { readonly series: number; readonly points: number; readonly type: string | null } };
}

export async function pageState(page: Page): Promise<PageState> {
  // String expressions: the type check has no DOM types (tsconfig lib ES2023), and the page code is plain JS anyway.
  return (await page.evaluate('JSON.parse(JSON.stringify(window.__tunekit))')) as PageState;
}

/** True when the canvas of chart `id` has at least one non-blank pixel. */
export async function canvasPainted(page: Page, id: string): Promise<boolean> {
  const js = `(() => {
    const canvas = document.querySelector('#${id} canvas');
    if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  })()`;
  return (await page.evaluate(js)) === true;
}

export type { Browser, Page };

interface TkGlobal {
  __tunekit?: { ready: boolean; pending: number };
}

/** Waits until the page has built its DOM and registered its charts (window.__tunekit.ready). */
export async function waitReady(page: Page, timeout = 60_000): Promise<void> {
  // A function predicate: the page's CSP forbids eval, which string predicates would need.
  await page.waitForFunction(() => (globalThis as unknown as TkGlobal).__tunekit?.ready === true, null, { timeout, polling: 20 });
}

/** Waits until every registered chart is drawn (charts out of view are drawn in idle time). */
export async function waitAllDrawn(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const tk = (globalThis as unknown as TkGlobal).__tunekit;
      return tk?.ready === true && tk.pending === 0;
    },
    null,
    { timeout, polling: 20 },
  );
}
