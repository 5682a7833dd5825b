/**
 * The tariff shown is the tariff billed, in the browser: a charge point without a tariff reads Free
 * on every page of the CMS and the app, and its session costs nothing; a priced session shows what
 * is left of the balance while it runs, and its receipt keeps the prices it started with after the
 * tariff changes. Real CSMS, real chargers, Debian's Chromium.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { login, waitFor } from '../../helpers/csms.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';
import { ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

describeBrowser('what a charge point costs, on every page', () => {
  let f: WebFixture;
  let admin: SignedInPage;
  let alice: SignedInPage;
  let free: TestCharger;
  const FREE = `FREE-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false });
    await f.t.store.chargePoints.create({ id: FREE, stationId: f.stationId, tariffId: null, connectors: 1, registrationStatus: 'Accepted' });
    free = await aTestCharger(f.t, FREE, { connectors: 1 });
    await f.t.settle();
    admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/');
    alice = await signIn(f.browser, f.base, 'customer', f.alice.email, PASSWORD, '/app/');
  }, 60_000);
  afterAll(async () => {
    expect(admin?.pageErrors ?? [], 'errors in the CMS').toEqual([]);
    expect(alice?.pageErrors ?? [], 'errors in the app').toEqual([]);
    await f?.close();
  });

  it('a point without a tariff is Free in the CMS list and detail, the app, and on the bill', { timeout: 60_000 }, async () => {
    const cms = admin.page;
    await cms.goto(`${f.base}/cms/#/points`);
    await cms.waitForSelector(`[data-testid=point-${FREE}] [data-testid=tariff]`);
    expect(await cms.textContent(`[data-testid=point-${FREE}] [data-testid=tariff]`)).toBe('Free');
    expect(await cms.textContent(`[data-testid=point-${f.ids.A}] [data-testid=tariff]`)).toBe('Standard AC');
    await cms.goto(`${f.base}/cms/#/points/${FREE}`);
    await cms.waitForSelector('[data-testid=tariff]');
    expect(await cms.textContent('[data-testid=tariff]')).toBe('Free');

    const app = alice.page;
    await app.goto(`${f.base}/app/#/stations`);
    await app.waitForSelector(`[data-testid=point-${FREE}] [data-testid=price]`);
    expect(await app.textContent(`[data-testid=point-${FREE}] [data-testid=price]`)).toBe('Free');
    expect(await app.textContent(`[data-testid=point-${f.ids.A}] [data-testid=price]`)).toBe('€0.35/kWh');
    await app.goto(`${f.base}/app/#/chargers/${FREE}`);
    await app.waitForSelector('[data-testid=tariff]');
    expect(await app.textContent('[data-testid=tariff]')).toBe('Free');

    // Charging there costs nothing: not the default tariff, not a session fee.
    const token = await login(f.t, f.alice.email, PASSWORD);
    expect((await f.t.api('/api/user/charging/start', { token, body: { chargePointId: FREE, connectorId: 1 } })).status).toBe(202);
    const tx = await waitFor(() => free.transaction);
    await free.meter(8000, 11_000, 600);
    await f.t.settle();
    await app.goto(`${f.base}/app/#/session`);
    await app.waitForSelector('[data-testid=session-cost]');
    expect(await app.textContent('[data-testid=session-cost]')).toContain('Free: no tariff');
    expect(await app.$('[data-testid=balance-left]')).toBeNull();
    free.stopWith = { meterStopWh: 8000, atS: 700 };
    expect((await f.t.api('/api/user/charging/stop', { token, body: { sessionId: tx.transactionId } })).status).toBe(202);
    const receipt = `[data-receipt-of="${tx.transactionId}"]`;
    await app.waitForSelector(`${receipt} [data-testid=receipt-total]`);
    expect(await app.textContent(`${receipt} [data-testid=receipt-tariff]`)).toBe('Free (no tariff)');
    expect(await app.textContent(`${receipt} [data-testid=receipt-total]`)).toBe('€0.00');
    expect(await f.t.store.sessions.get(tx.transactionId)).toMatchObject({ costMinor: 0, tariff: null });
    expect(await f.t.store.wallet.balance(f.alice.id)).toBe(5000);
  });

  it('a priced session shows the balance left while it runs and keeps its prices on the receipt when the tariff changes', { timeout: 60_000 }, async () => {
    const app = alice.page;
    const charger = f.chargers.A;
    const token = await login(f.t, f.alice.email, PASSWORD);
    expect((await f.t.api('/api/user/charging/start', { token, body: { chargePointId: f.ids.A, connectorId: 1 } })).status).toBe(202);
    const tx = await waitFor(() => charger.transaction);
    // 10 kWh at 0.35 + 0.50 fee = 4.00 of the 50.00 in the wallet.
    await charger.meter(tx.meterStartWh + 10_000, 11_000, 600);
    await f.t.settle();
    await app.goto(`${f.base}/app/#/session`);
    await app.waitForSelector('[data-testid=balance-left]');
    await app.waitForFunction(() => document.querySelector('[data-testid=balance-left]')?.textContent?.includes('€46.00'));
    await screenshot(app, 'app-session-balance-left');

    // The operator raises the price mid-session: this session keeps the price it started with.
    const tariff = (await f.t.store.tariffs.list()).find((t) => t.name === 'Standard AC')!;
    await f.t.store.tariffs.update(tariff.id, { name: 'Standard AC (new)', pricePerKwh: 99 });
    charger.stopWith = { meterStopWh: tx.meterStartWh + 10_000, atS: 700 };
    expect((await f.t.api('/api/user/charging/stop', { token, body: { sessionId: tx.transactionId } })).status).toBe(202);
    const receipt = `[data-receipt-of="${tx.transactionId}"]`;
    await app.waitForSelector(`${receipt} [data-testid=receipt-total]`);
    expect(await app.textContent(`${receipt} [data-testid=receipt-tariff]`)).toBe('Standard AC');
    expect(await app.textContent(`${receipt} [data-testid=receipt-energy]`)).toBe('10.00 kWh × €0.35/kWh = €3.50');
    expect(await app.textContent(`${receipt} [data-testid=receipt-fee]`)).toBe('€0.50');
    expect(await app.textContent(`${receipt} [data-testid=receipt-total]`)).toBe('€4.00');
    await screenshot(app, 'app-session-receipt');
    expect(await f.t.store.wallet.balance(f.alice.id)).toBe(5000 - 400);
  });
});
