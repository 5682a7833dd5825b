/** Settings whose value depends on others: self top-up follows the demo, a provider needs both halves, where files go. */
import { describe, expect, it } from 'vitest';
import { ConfigError, filesDirOf, loadConfig } from '../../src/csms/config.ts';

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

describe('firmware and diagnostics files', () => {
  it('keeps them beside the SQLite file, in ./data/files with PostgreSQL, in a temporary directory with :memory:, or where FIRMWARE_DIR says', () => {
    expect(filesDirOf(loadConfig({}, {}))).toBe('./data/files');
    expect(filesDirOf(loadConfig({ dbPath: '/var/lib/csms/csms.db' }, {}))).toBe('/var/lib/csms/files');
    expect(filesDirOf(loadConfig({ dbPath: 'csms.db' }, {}))).toBe('./files');
    expect(filesDirOf(loadConfig({ dbPath: ':memory:' }, {}))).toBeNull();
    expect(filesDirOf(loadConfig({ dbPath: ':memory:' }, { DATABASE_URL: 'postgres://u@db/csms' }))).toBe('./data/files');
    expect(filesDirOf(loadConfig({}, { FIRMWARE_DIR: '/srv/firmware' }))).toBe('/srv/firmware');
  });

  it('takes size limits as positive integers and PUBLIC_URL as an http(s) URL', () => {
    expect(loadConfig({}, {})).toMatchObject({ firmwareMaxBytes: 256 * 1024 * 1024, diagnosticsMaxBytes: 32 * 1024 * 1024 });
    expect(loadConfig({}, { DIAGNOSTICS_MAX_BYTES: '1000', PUBLIC_URL: 'https://csms.example/base' })).toMatchObject({ diagnosticsMaxBytes: 1000, publicUrl: 'https://csms.example/base' });
    expect(() => loadConfig({}, { FIRMWARE_MAX_BYTES: '0' })).toThrow(/FIRMWARE_MAX_BYTES/);
    expect(() => loadConfig({}, { PUBLIC_URL: 'csms.example' })).toThrow(/PUBLIC_URL/);
  });
});
