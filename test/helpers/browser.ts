/**
 * Debian's Chromium driven by playwright-core, for the web tests. Never `npx playwright install`:
 * it downloads a browser, which this network refuses. Without /usr/bin/chromium the tests skip
 * loudly, except in CI (CI=true), where a missing browser fails them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** Where tests save screenshots; CI keeps this directory as an artifact. */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? join(process.cwd(), 'artifacts', 'screenshots');

const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') {
  throw new Error(`Chromium not found at ${CHROMIUM}: CI must run the browser tests (apt-get install -y chromium)`);
}

/** `describe` that runs only where Chromium is installed (and always in CI, where it must be). */
export const describeBrowser: typeof describe = available
  ? describe
  : (((name: string, ...rest: unknown[]) => {
      console.warn(`SKIPPED (no Chromium at ${CHROMIUM}): ${name}`);
      return (describe.skip as (...a: unknown[]) => void)(name, ...rest);
    }) as unknown as typeof describe);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

export interface SignedInPage {
  context: BrowserContext;
  page: Page;
  /** Requests to /api/ made since the last `resetRequests()`: `GET /api/user/wallet`. */
  requests: string[];
  /** The same requests with the time they were made (ms since the epoch) and the answer's status. */
  timed: { line: string; at: number; status: number | null }[];
  resetRequests(): void;
  /**
   * Resolves once the API is idle: no /api/ request in flight and none started or finished for
   * `quietMs` (the page's follow-up fetches come right after the answers that trigger them).
   */
  apiIdle(quietMs?: number): Promise<void>;
  /** Errors the page threw or logged. */
  pageErrors: string[];
}

/**
 * A fresh browser context signed in as `role` through the real sign-in form, on `path`
 * (`/app/#/wallet`). Every API request it makes is recorded.
 */
export async function signIn(browser: Browser, baseUrl: string, role: 'customer' | 'admin', email: string, password: string, path: string): Promise<SignedInPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  const requests: string[] = [];
  const timed: SignedInPage['timed'] = [];
  const pageErrors: string[] = [];
  const lines = new WeakMap<Request, SignedInPage['timed'][number]>();
  const inFlight = new Set<Request>();
  let lastApiActivity = Date.now();
  const settled = (r: Request) => {
    if (inFlight.delete(r)) lastApiActivity = Date.now();
  };
  context.on('requestfinished', settled);
  context.on('requestfailed', settled);
  context.on('request', (r: Request) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) {
      inFlight.add(r);
      lastApiActivity = Date.now();
    }
    if (!url.pathname.startsWith('/api/') && !url.pathname.startsWith('/socket.io')) return;
    const entry = { line: `${r.method()} ${url.pathname}${url.search}`, at: Date.now(), status: null };
    requests.push(entry.line);
    timed.push(entry);
    lines.set(r, entry);
  });
  context.on('response', (res) => {
    const entry = lines.get(res.request());
    if (entry) entry.status = res.status();
  });
  const watch = (p: Page) => {
    p.on('pageerror', (err) => pageErrors.push(err.message));
    p.on('console', (msg) => {
      // An API refusal the page handles (a 409 shown in a form) is logged by Chromium too; that is not a page error.
      if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) pageErrors.push(msg.text());
    });
  };
  watch(page);
  context.on('page', watch);
  const app = role === 'admin' ? 'cms' : 'app';
  await page.goto(`${baseUrl}/${app}/`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.shell');
  if (path !== `/${app}/`) await page.goto(`${baseUrl}${path}`);
  await page.waitForSelector('.shell');
  const apiIdle = async (quietMs = 1000) => {
    while (inFlight.size > 0 || Date.now() - lastApiActivity < quietMs) await new Promise((r) => setTimeout(r, 50));
  };
  return { context, page, requests, timed, resetRequests: () => void (requests.splice(0), timed.splice(0)), apiIdle, pageErrors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
