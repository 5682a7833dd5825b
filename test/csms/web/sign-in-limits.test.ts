/**
 * The refusals of the password policy and the sign-in limits, as a person sees them on the sign-in
 * pages of both apps in Chromium: the server's message, whole, in the page's alert.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, launchChromium, screenshot } from '../../helpers/browser.ts';
import { aCustomer, startCsms, type TestCsms } from '../../helpers/csms.ts';
import { ADMIN, PASSWORD } from './fixture.ts';

describeBrowser('sign-in pages under the limits', () => {
  let t: TestCsms;
  let browser: Browser;

  beforeAll(async () => {
    // Two failures, then a minute's wait: long enough that the test never races the clock.
    t = await startCsms({ loginBackoffAfter: 2, loginBackoffBaseMs: 60_000 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(app: 'app' | 'cms'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${t.info.httpUrl}/${app}/`);
    return page;
  }

  /** Submits the form, waits for the API's answer and for the alert to say `expected`; returns the HTTP status. */
  async function submit(page: Page, email: string, password: string, expected: string): Promise<number> {
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/')), page.click('button[type=submit]')]);
    await page.waitForFunction((text) => document.querySelector('[role=alert]')?.textContent === text, expected);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    return response.status();
  }

  it('user panel: a common password at sign-up, then a throttled sign-in, each with its message', async () => {
    const page = await open('app');
    await page.click('text=Create account');
    await page.fill('input[name=name]', 'Polly Common');
    expect(await submit(page, 'polly@example.com', 'Password123', 'The password is too weak: it is one of the most common passwords, choose another')).toBe(400);
    expect(await t.store.users.findByEmail('polly@example.com')).toBeNull();

    const customer = await aCustomer(t.store);
    await page.click('text=Sign in');
    expect(await submit(page, customer.email, 'not-my-password', 'Email or password is wrong')).toBe(401);
    expect(await submit(page, customer.email, 'still-not-it', 'Email or password is wrong')).toBe(401);
    // The right password now waits too: the page says for how long.
    expect(await submit(page, customer.email, PASSWORD, 'Too many failed sign-ins for this account: try again in 1 minute')).toBe(429);
    expect(await page.locator('.shell').count()).toBe(0);
    await screenshot(page, 'app-sign-in-throttled');
    await page.context().close();
  });

  it('CMS: a throttled admin sign-in shows the same message', async () => {
    const page = await open('cms');
    for (let i = 0; i < 2; i++) expect(await submit(page, ADMIN.email, `wrong-${i}-password`, 'Email or password is wrong')).toBe(401);
    expect(await submit(page, ADMIN.email, ADMIN.password, 'Too many failed sign-ins for this account: try again in 1 minute')).toBe(429);
    expect(await page.locator('.shell').count()).toBe(0);
    await screenshot(page, 'cms-sign-in-throttled');
    await page.context().close();
  });
});
