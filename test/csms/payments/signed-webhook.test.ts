/** The generic provider's signature scheme on its own, with a settable clock. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSignedWebhookProvider, parseSignatureHeader } from '../../../src/csms/payments/signed-webhook.ts';

const SECRET = 'whsec-unit-0123456789abcdef';
const NOW_S = 1_717_000_000;

function aProvider(nowS = NOW_S, toleranceS = 300) {
  return createSignedWebhookProvider({ secret: SECRET, checkoutUrl: 'https://pay.example.test/c', toleranceS, clock: { now: () => new Date(nowS * 1000) } });
}

/** Signed as a provider would, independently of the adapter's own helper. */
function signed(body: string, t = NOW_S, secret = SECRET): Record<string, string> {
  return { 'payment-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}` };
}

const payment = { paymentId: 'pay_1', customerId: 4, amountMinor: 1250, currency: 'EUR', status: 'paid' };
const body = JSON.stringify(payment);

describe('signed-webhook provider', () => {
  it('reads a correctly signed body, as a Buffer or a string', async () => {
    expect(await aProvider().parseWebhook(Buffer.from(body), signed(body))).toEqual(payment);
    expect(await aProvider().parseWebhook(body, signed(body))).toEqual(payment);
  });

  it('accepts any of several v1 (a secret being rotated), and none that is not hex of the right length', async () => {
    const good = signed(body)['payment-signature'].split('v1=')[1];
    const headers = { 'payment-signature': `t=${NOW_S},v1=${'0'.repeat(64)},v1=zz,v1=${good}` };
    expect(await aProvider().parseWebhook(body, headers)).toEqual(payment);
    await expect(aProvider().parseWebhook(body, { 'payment-signature': `t=${NOW_S},v1=${good.slice(0, 62)}` })).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_SIGNATURE', data: { reason: 'mismatch' } });
  });

  it('refuses a body changed by one byte, another secret, and the signature of another time', async () => {
    const headers = signed(body);
    await expect(aProvider().parseWebhook(body.replace('1250', '1251'), headers)).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_SIGNATURE' });
    await expect(aProvider().parseWebhook(body, signed(body, NOW_S, 'another-secret-0123456789'))).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_SIGNATURE' });
    const moved = { 'payment-signature': headers['payment-signature'].replace(`t=${NOW_S}`, `t=${NOW_S + 1}`) };
    await expect(aProvider().parseWebhook(body, moved)).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_SIGNATURE' });
  });

  it('refuses a replay outside the tolerance window, either side, and accepts its edge', async () => {
    const headers = signed(body);
    expect(await aProvider(NOW_S + 300).parseWebhook(body, headers)).toEqual(payment);
    expect(await aProvider(NOW_S - 300).parseWebhook(body, headers)).toEqual(payment);
    await expect(aProvider(NOW_S + 301).parseWebhook(body, headers)).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_STALE', data: { skewS: 301 } });
    await expect(aProvider(NOW_S - 301).parseWebhook(body, headers)).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_STALE' });
    await expect(aProvider(NOW_S + 20, 10).parseWebhook(body, headers)).rejects.toMatchObject({ code: 'CSMS_ERR_WEBHOOK_STALE' });
  });

  it('refuses a signed body that is not a payment with CSMS_ERR_VALIDATION naming the field', async () => {
    for (const [bad, field] of [
      [{ ...payment, amountMinor: 12.5 }, 'body.amountMinor'],
      [{ ...payment, currency: 'eur' }, 'body.currency'],
      [{ ...payment, status: 'done' }, 'body.status'],
      [{ ...payment, customerId: '4' }, 'body.customerId'],
      [{ ...payment, paymentId: '' }, 'body.paymentId'],
    ] as const) {
      const text = JSON.stringify(bad);
      await expect(aProvider().parseWebhook(text, signed(text)), field).rejects.toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field } });
    }
    await expect(aProvider().parseWebhook('not json', signed('not json'))).rejects.toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body' } });
  });

  it('parses the header loosely but needs t and v1', () => {
    expect(parseSignatureHeader(' t=12 , v1=ab ,v0=cd')).toEqual({ t: 12, v1: ['ab'] });
    expect(parseSignatureHeader('v1=ab')).toBeNull();
    expect(parseSignatureHeader('t=12')).toBeNull();
    expect(parseSignatureHeader('t=soon,v1=ab')).toBeNull();
  });

  it('builds a checkout URL on the provider\'s page that the page can verify', async () => {
    const checkout = await aProvider().createCheckout({ customerId: 4, amountMinor: 2000, currency: 'EUR', returnUrl: 'http://csms.test/app/#/wallet' });
    const url = new URL(checkout.url);
    expect(url.origin + url.pathname).toBe('https://pay.example.test/c');
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({ payment_id: checkout.paymentId, customer_id: '4', amount_minor: '2000', currency: 'EUR', return_url: 'http://csms.test/app/#/wallet', t: String(NOW_S) });
    const text = [q.payment_id, q.customer_id, q.amount_minor, q.currency, q.return_url].join('.');
    expect(q.sig).toBe(createHmac('sha256', SECRET).update(`${q.t}.checkout.${text}`).digest('hex'));
    const other = await aProvider().createCheckout({ customerId: 4, amountMinor: 2000, currency: 'EUR', returnUrl: 'x' });
    expect(other.paymentId).not.toBe(checkout.paymentId);
  });
});
