/**
 * Paid top-ups end to end over real HTTP and a real SQLite file: the customer opens a checkout, a
 * provider stand-in (written here, signing with the shared secret as a real provider would) reads
 * the checkout URL and calls the webhook, and the wallet is credited exactly once per payment.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aCustomer, login, startCsms, type TestCsms } from '../../helpers/csms.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const CHECKOUT = 'https://pay.example.test/checkout?merchant=ev';

interface Payment {
  paymentId: string;
  customerId: number;
  amountMinor: number;
  currency: string;
  status: string;
}

/**
 * The provider's side: its hosted page reads the checkout URL (and checks the CSMS signed it), and
 * its webhook sender signs `${t}.${body}` with HMAC-SHA256, as docs/payments.md describes.
 */
function providerStandIn(baseUrl: string, secret = SECRET) {
  const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
  return {
    /** What the hosted page learns from the URL the customer arrives with. */
    open(url: string): Payment {
      const u = new URL(url);
      const q = (k: string) => u.searchParams.get(k) ?? '';
      const signed = [q('payment_id'), q('customer_id'), q('amount_minor'), q('currency'), q('return_url')].join('.');
      if (hmac(secret, `${q('t')}.checkout.${signed}`) !== q('sig')) throw new Error('checkout URL not signed by the CSMS');
      return { paymentId: q('payment_id'), customerId: Number(q('customer_id')), amountMinor: Number(q('amount_minor')), currency: q('currency'), status: 'paid' };
    },
    /** POSTs the webhook; `body` overrides the JSON text actually sent (after signing `signedBody`). */
    async deliver(payment: Payment, opts: { t?: number; key?: string; body?: string; header?: string | null } = {}): Promise<Response> {
      const signedBody = JSON.stringify(payment);
      const t = opts.t ?? Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (opts.header !== null) headers['payment-signature'] = opts.header ?? `t=${t},v1=${hmac(opts.key ?? secret, `${t}.${signedBody}`)}`;
      return fetch(`${baseUrl}/api/payments/webhook`, { method: 'POST', headers, body: opts.body ?? signedBody });
    },
  };
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('with a payment provider configured', () => {
  let t: TestCsms;
  let dir: string;
  let provider: ReturnType<typeof providerStandIn>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payments-'));
    t = await startCsms({ dbPath: join(dir, 'csms.db'), paymentWebhookSecret: SECRET, paymentCheckoutUrl: CHECKOUT });
    provider = providerStandIn(t.info.httpUrl);
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function aCheckout(amountMinor: number) {
    const user = await aCustomer(t.store);
    const token = await login(t, user.email, 'password-123');
    const res = await t.api('/api/user/wallet/checkout', { token, body: { amountMinor } });
    expect(res.status).toBe(200);
    const checkout = (await res.json()) as { paymentId: string; url: string };
    return { user, token, checkout, payment: provider.open(checkout.url) };
  }

  const balanceOf = async (customerId: number) => await t.store.wallet.balance(customerId);

  it('tells the pages that checkout exists and self top-up does not', async () => {
    expect(await (await t.api('/api/config')).json()).toMatchObject({ wallet: { checkout: true, selfTopup: false, currency: 'EUR' } });
  });

  it('sends the customer to the provider with the payment signed, and credits the wallet when the provider says it is paid', async () => {
    const { user, token, checkout, payment } = await aCheckout(2500);
    expect(checkout.url.startsWith('https://pay.example.test/checkout?merchant=ev&')).toBe(true);
    expect(payment).toMatchObject({ paymentId: checkout.paymentId, customerId: user.id, amountMinor: 2500, currency: 'EUR' });
    expect(new URL(checkout.url).searchParams.get('return_url')).toBe(`${t.info.httpUrl}/app/#/wallet`);
    expect(await balanceOf(user.id)).toBe(0);

    const res = await provider.deliver(payment);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, credited: true, paymentId: checkout.paymentId, status: 'paid', balanceMinor: 2500 });
    const ledger = (await (await t.api('/api/user/wallet/transactions', { token })).json()) as { items: any[] };
    expect(ledger.items).toEqual([expect.objectContaining({ kind: 'topup', amountMinor: 2500, externalId: `signed-webhook:${checkout.paymentId}`, actor: null })]);
  });

  it('credits a payment once however often it is delivered, one after another or at the same time', async () => {
    const { user, payment } = await aCheckout(1000);
    const first = await provider.deliver(payment);
    const again = await provider.deliver(payment);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await first.json()).toMatchObject({ credited: true });
    expect(await again.json()).toMatchObject({ credited: false, paymentId: payment.paymentId });
    expect(await balanceOf(user.id)).toBe(1000);

    const second = { ...payment, paymentId: `${payment.paymentId}-b`, amountMinor: 700 };
    const answers = await Promise.all(Array.from({ length: 12 }, () => provider.deliver(second)));
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
    const credited = (await Promise.all(answers.map((r) => r.json() as Promise<{ credited: boolean }>))).filter((b) => b.credited);
    expect(credited).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(1700);
    expect((await t.store.wallet.list(user.id)).map((e) => e.externalId)).toEqual([`signed-webhook:${second.paymentId}`, `signed-webhook:${payment.paymentId}`]);
  });

  it('refuses a wrong secret, a tampered body, a stale or future timestamp and a missing signature, crediting nothing', async () => {
    const { user, payment } = await aCheckout(1000);
    const now = Math.floor(Date.now() / 1000);
    const refusals: [string, Promise<Response>, string][] = [
      ['wrong secret', provider.deliver(payment, { key: 'another-secret-0123456789' }), 'CSMS_ERR_WEBHOOK_SIGNATURE'],
      ['tampered body', provider.deliver(payment, { body: JSON.stringify({ ...payment, amountMinor: 100_000 }) }), 'CSMS_ERR_WEBHOOK_SIGNATURE'],
      ['stale', provider.deliver(payment, { t: now - 301 }), 'CSMS_ERR_WEBHOOK_STALE'],
      ['future', provider.deliver(payment, { t: now + 400 }), 'CSMS_ERR_WEBHOOK_STALE'],
      ['no header', provider.deliver(payment, { header: null }), 'CSMS_ERR_WEBHOOK_SIGNATURE'],
      ['malformed header', provider.deliver(payment, { header: 'v1=abc' }), 'CSMS_ERR_WEBHOOK_SIGNATURE'],
    ];
    for (const [what, pending, code] of refusals) {
      const res = await pending;
      expect(res.status, what).toBe(400);
      expect(await errorCode(res), what).toBe(code);
    }
    expect(await balanceOf(user.id)).toBe(0);
    // Inside the window the same payment still goes through.
    expect((await provider.deliver(payment, { t: now - 200 })).status).toBe(200);
    expect(await balanceOf(user.id)).toBe(1000);
  });

  it('refuses a payment in another currency, ignores one not paid, and answers 404 for an unknown customer', async () => {
    const { user, payment } = await aCheckout(1000);
    const usd = await provider.deliver({ ...payment, currency: 'USD' });
    expect(usd.status).toBe(400);
    expect(await errorCode(usd)).toBe('CSMS_ERR_CURRENCY_MISMATCH');
    // Not paid, in whatever currency: nothing to credit, and a 200 so the provider stops retrying.
    expect(await (await provider.deliver({ ...payment, currency: 'USD', status: 'failed' })).json()).toMatchObject({ credited: false });
    const failed = await provider.deliver({ ...payment, status: 'failed' });
    expect(await failed.json()).toMatchObject({ received: true, credited: false, status: 'failed' });
    const stranger = await provider.deliver({ ...payment, paymentId: 'pay_other', customerId: 999_999 });
    expect(stranger.status).toBe(404);
    const unreadable = await provider.deliver({ ...payment, amountMinor: 'lots' as unknown as number });
    expect(await errorCode(unreadable)).toBe('CSMS_ERR_VALIDATION');
    expect(await balanceOf(user.id)).toBe(0);
  });

  it('checks the checkout amount and who asks', async () => {
    const user = await aCustomer(t.store);
    const token = await login(t, user.email, 'password-123');
    for (const amountMinor of [0, -1, 12.5, 1_000_001]) {
      const res = await t.api('/api/user/wallet/checkout', { token, body: { amountMinor } });
      expect(await errorCode(res), String(amountMinor)).toBe('CSMS_ERR_BAD_AMOUNT');
    }
    expect((await t.api('/api/user/wallet/checkout', { body: { amountMinor: 100 } })).status).toBe(401);
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    expect(await errorCode(await t.api('/api/user/wallet/checkout', { token: admin, body: { amountMinor: 100 } }))).toBe('CSMS_ERR_FORBIDDEN');
  });
});

describe('without a payment provider', () => {
  let t: TestCsms;
  beforeEach(async () => { t = await startCsms(); });
  afterEach(async () => { await t.close(); });

  it('answers checkout and the webhook with CSMS_ERR_PAYMENTS_NOT_CONFIGURED', async () => {
    const user = await aCustomer(t.store);
    const token = await login(t, user.email, 'password-123');
    const checkout = await t.api('/api/user/wallet/checkout', { token, body: { amountMinor: 1000 } });
    expect(checkout.status).toBe(501);
    expect(await errorCode(checkout)).toBe('CSMS_ERR_PAYMENTS_NOT_CONFIGURED');
    const payment = { paymentId: 'pay_1', customerId: user.id, amountMinor: 1000, currency: 'EUR', status: 'paid' };
    const webhook = await providerStandIn(t.info.httpUrl).deliver(payment);
    expect(await errorCode(webhook)).toBe('CSMS_ERR_PAYMENTS_NOT_CONFIGURED');
    expect(await t.store.wallet.balance(user.id)).toBe(0);
    expect(await (await t.api('/api/config')).json()).toMatchObject({ wallet: { checkout: false, selfTopup: false } });
  });

  it('lets the demo\'s customers add money themselves (--demo turns self top-up on)', async () => {
    await t.close();
    t = await startCsms({ demo: true });
    const user = await aCustomer(t.store);
    const token = await login(t, user.email, 'password-123');
    const res = await t.api('/api/user/wallet/topup', { token, body: { amount: 800 } });
    expect(res.status).toBe(200);
    expect(await t.store.wallet.balance(user.id)).toBe(800);
    expect(await (await t.api('/api/config')).json()).toMatchObject({ wallet: { selfTopup: true } });
  });
});
