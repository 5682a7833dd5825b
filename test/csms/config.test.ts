/** Settings whose value depends on others: self top-up follows the demo, a provider needs both halves. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/csms/config.ts';

describe('wallet and payment settings', () => {
  it('keeps self top-up off unless asked for, and turns it on with the demo', () => {
    expect(loadConfig({}, {}).walletSelfTopup).toBe(false);
    expect(loadConfig({}, { WALLET_SELF_TOPUP: 'true' }).walletSelfTopup).toBe(true);
    expect(loadConfig({ demo: true }, {}).walletSelfTopup).toBe(true);
    expect(loadConfig({}, { CSMS_DEMO: 'true' }).walletSelfTopup).toBe(true);
    // Said outright, it wins over the demo's default.
    expect(loadConfig({ demo: true, walletSelfTopup: false }, {}).walletSelfTopup).toBe(false);
  });

  it('needs the webhook secret and the checkout URL together', () => {
    const both = loadConfig({}, { PAYMENT_WEBHOOK_SECRET: 'a-secret-of-16-chars', PAYMENT_CHECKOUT_URL: 'https://pay.example.test/c' });
    expect(both).toMatchObject({ paymentCheckoutUrl: 'https://pay.example.test/c', paymentWebhookToleranceS: 300 });
    expect(() => loadConfig({}, { PAYMENT_CHECKOUT_URL: 'https://pay.example.test/c' })).toThrow(/PAYMENT_WEBHOOK_SECRET: required when PAYMENT_CHECKOUT_URL is set/);
    expect(() => loadConfig({ paymentWebhookSecret: 'a-secret-of-16-chars' }, {})).toThrow(/PAYMENT_CHECKOUT_URL: required when --payment-webhook-secret is set/);
    expect(() => loadConfig({}, { PAYMENT_WEBHOOK_SECRET: 'short', PAYMENT_CHECKOUT_URL: 'https://x.test' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { PAYMENT_WEBHOOK_SECRET: 'a-secret-of-16-chars', PAYMENT_CHECKOUT_URL: 'ftp://x.test' })).toThrow(/PAYMENT_CHECKOUT_URL/);
  });

  it('takes the currency as an ISO 4217 code', () => {
    expect(loadConfig({}, {}).currency).toBe('EUR');
    expect(loadConfig({}, { CURRENCY: 'CHF' }).currency).toBe('CHF');
    expect(() => loadConfig({}, { CURRENCY: 'euro' })).toThrow(/CURRENCY/);
  });
});
