/**
 * Wallets in Chromium: a customer pays through a payment provider (a stand-in page and webhook
 * sender on 127.0.0.1), a customer of an operator without provider or self top-up is told who
 * credits the wallet, and an admin credits and refunds in the CMS with a reason.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { aCustomer, startCsms } from '../../helpers/csms.ts';
import { ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

const SECRET = 'whsec-browser-0123456789abcdef';
const euro = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describeBrowser('wallet pages', () => {
  let f: WebFixture;
  let provider: Server;
  let providerUrl: string;
  const pages: SignedInPage[] = [];

  beforeAll(async () => {
    // The provider's hosted checkout page: here it only has to exist.
    provider = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Provider checkout</h1>'));
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    f = await startWebFixture({ rabbitmq: false, overrides: { paymentWebhookSecret: SECRET, paymentCheckoutUrl: `${providerUrl}/checkout` } });
  }, 60_000);
  afterAll(async () => {
    for (const p of pages) expect(p.pageErrors, 'errors in the page').toEqual([]);
    await f?.close();
    await new Promise((r) => provider?.close(r));
  });

  it('user panel: Pay sends the customer to the provider, and the paid amount is in the wallet when they come back', { timeout: 60_000 }, async () => {
    const alice = await signIn(f.browser, f.base, 'customer', f.alice.email, PASSWORD, '/app/#/wallet');
    pages.push(alice);
    const { page } = alice;
    await page.waitForSelector('[data-testid=wallet-pay]');
    expect(await page.locator('[data-testid=wallet-topup]').count()).toBe(0);
    await page.fill('input[name=payAmount]', '15');
    await Promise.all([page.waitForURL(/\/checkout\?/), page.click('[data-testid=wallet-pay] button[type=submit]')]);
    const url = new URL(page.url());
    expect(url.origin).toBe(providerUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ customer_id: String(f.alice.id), amount_minor: '1500', currency: 'EUR' });
    expect(await f.t.store.wallet.balance(f.alice.id)).toBe(5000);

    // The provider confirms the payment to the CSMS, signed with the shared secret.
    const body = JSON.stringify({ paymentId: url.searchParams.get('payment_id'), customerId: f.alice.id, amountMinor: 1500, currency: 'EUR', status: 'paid' });
    const t = Math.floor(Date.now() / 1000);
    const signature = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
    const res = await fetch(`${f.base}/api/payments/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'payment-signature': signature }, body });
    expect(res.status).toBe(200);

    await page.goto(url.searchParams.get('return_url')!);
    await page.waitForFunction((b) => document.querySelector('[data-testid=wallet-balance] .stat-value')?.textContent === b, euro(6500));
    expect(await page.textContent('[data-testid=wallet-transactions] tbody tr')).toContain('+€15.00');
    await screenshot(page, 'app-wallet-paid');
  });

  it('CMS: an admin credits and refunds with a reason, and the ledger shows who did it', { timeout: 60_000 }, async () => {
    const admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/#/customers');
    pages.push(admin);
    const { page } = admin;
    await page.click(`[data-testid=customer-${f.bob.id}] [data-testid=customer-wallet]`);
    await page.waitForSelector('.modal [data-testid=wallet-modal-balance]');
    await page.waitForFunction((b) => document.querySelector('[data-testid=wallet-modal-balance]')?.textContent === b, euro(3000));

    await page.selectOption('.modal select[name=kind]', 'credit');
    await page.fill('.modal input[name=amount]', '7.50');
    await page.fill('.modal input[name=reason]', 'Goodwill: charger out of order');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('[data-testid=customer-ledger] tbody tr[data-kind=credit]');
    const row = page.locator('[data-testid=customer-ledger] tbody tr[data-kind=credit]');
    expect(await row.textContent()).toContain('Goodwill: charger out of order');
    expect(await row.locator('[data-testid=actor]').textContent()).toBe(ADMIN.email);
    await page.waitForFunction((b) => document.querySelector('[data-testid=wallet-modal-balance]')?.textContent === b, euro(3750));

    // More than the wallet holds is refused in words, and nothing changes.
    await page.selectOption('.modal select[name=kind]', 'refund');
    await page.fill('.modal input[name=amount]', '100');
    await page.fill('.modal input[name=reason]', 'Paid back on request');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('.modal [role=alert] >> text=holds less than that');
    await page.fill('.modal input[name=amount]', '37.50');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('[data-testid=customer-ledger] tbody tr[data-kind=refund]');
    await page.waitForFunction((b) => document.querySelector('[data-testid=wallet-modal-balance]')?.textContent === b, euro(0));
    await screenshot(page, 'cms-customer-wallet');
    expect((await f.t.store.wallet.list(f.bob.id)).slice(0, 2).map((e) => [e.kind, e.amountMinor, e.note, e.actor])).toEqual([
      ['refund', -3750, 'Paid back on request', ADMIN.email],
      ['credit', 750, 'Goodwill: charger out of order', ADMIN.email],
    ]);

    await page.keyboard.press('Escape');
    await page.waitForFunction((b) => document.querySelector(`[data-testid=customer-${b.id}] [data-testid=balance]`)?.textContent === b.text, { id: f.bob.id, text: euro(0) });
  });

  it('user panel without a provider or self top-up: no form, a note that the operator credits the wallet', { timeout: 60_000 }, async () => {
    const t = await startCsms();
    try {
      const carol = await aCustomer(t.store, { balance: 1200 });
      const p = await signIn(f.browser, t.info.httpUrl, 'customer', carol.email, PASSWORD, '/app/#/wallet');
      pages.push(p);
      await p.page.waitForSelector('[data-testid=wallet-operator-note]');
      expect(await p.page.textContent('[data-testid=wallet-operator-note]')).toContain('Your operator credits this wallet');
      expect(await p.page.locator('[data-testid=wallet-topup], [data-testid=wallet-pay], input[name=amount]').count()).toBe(0);
      await p.page.waitForSelector('[data-testid=wallet-transactions] tbody tr');
      await p.context.close();
    } finally {
      await t.close();
    }
  });
});
