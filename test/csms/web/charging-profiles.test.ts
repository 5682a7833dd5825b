/**
 * The CMS point detail's Smart Charging card in Chromium: the TxProfile load management installed
 * and the count of profiles the charger did not confirm appear live; the form sets a profile; "Clear all profiles" sends
 * ClearChargingProfile and empties the list; the composite schedule is shown as the charger answered.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aBootNotification, aStartTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { loadProfileId } from '../../../src/csms/domain/load-manager.ts';
import { describeBrowser, launchChromium, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import type { Browser } from 'playwright-core';

describeBrowser('charging profiles on the CMS point detail', () => {
  let t: TestCsms;
  let browser: Browser;
  let admin: SignedInPage;
  let charger: OcppConnection<any, any, unknown>;
  const cleared: unknown[] = [];
  let answer = 'Accepted';

  beforeAll(async () => {
    t = await startCsms();
    browser = await launchChromium();
    const station = await t.store.stations.create({ name: 'Depot', gridLimitW: 7_400 });
    await aChargePoint(t.store, { id: 'WEB-SC', stationId: station.id, connectors: 1, priority: 2 });
    charger = await t.connect('WEB-SC');
    charger.handle('SetChargingProfile' as any, () => ({ status: answer }) as any);
    charger.handle('ClearChargingProfile' as any, (req: unknown) => {
      cleared.push(req);
      return { status: 'Accepted' } as any;
    });
    charger.handle('GetCompositeSchedule' as any, () => ({ status: 'Accepted', connectorId: 1, scheduleStart: '2030-01-01T00:00:00.000Z', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } }) as any);
    await charger.call('BootNotification', aBootNotification());
    admin = await signIn(browser, t.info.httpUrl, 'admin', 'admin@ev-csms.local', 'admin-password', '/cms/');
  }, 60_000);
  afterAll(async () => {
    expect(admin?.pageErrors ?? [], 'errors in the page').toEqual([]);
    await browser?.close();
    await t?.close();
  });

  it('shows installed and unconfirmed profiles, clears them and shows the composite schedule', { timeout: 60_000 }, async () => {
    const { page } = admin;
    await page.goto(`${t.info.httpUrl}/cms/#/points/WEB-SC`);
    await page.waitForSelector('[data-testid=charging-profiles]');
    expect(await page.textContent('[data-testid=profiles-priority]')).toContain('2');

    const customer = await aCustomer(t.store, { balance: 5000 });
    const { transactionId } = await charger.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag: customer.idTag! }));
    const row = `[data-testid=profile-${loadProfileId(transactionId)}]`;
    // Polling at the detail interval (embedded mode): the row appears without a reload.
    await page.waitForSelector(row, { timeout: 15_000 });
    expect(await page.textContent(row)).toMatch(/TxProfile.*tx \d+.*0 s: 7400 W.*csms: load management/s);

    // A profile the charger refuses is counted on the card.
    answer = 'Rejected';
    const res = await t.api('/api/charger/set-charging-profile', {
      token: await login(t, 'admin@ev-csms.local', 'admin-password'),
      body: { chargePointId: 'WEB-SC', connectorId: 0, csChargingProfiles: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'ChargePointMaxProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }] } } },
    });
    expect(res.status).toBe(200);
    await page.waitForFunction(() => document.querySelector('[data-testid=profiles-unconfirmed] .stat-value')?.textContent === '1', undefined, { timeout: 15_000 });
    await screenshot(page, 'cms-point-charging-profiles');

    await page.click('[data-testid=composite-schedule]');
    await page.waitForSelector('[data-testid=composite-result]');
    expect(await page.textContent('[data-testid=composite-result]')).toContain('0 s: 7400 W');

    // The form sets a one-period profile: the next free id, kept once the charger accepts it.
    answer = 'Accepted';
    await page.fill('input[name=limit]', '16');
    await page.selectOption('select[name=unit]', 'A');
    await page.click('[data-testid=profile-set]');
    await page.waitForSelector('[data-testid=profile-1]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid=profile-1]')).toMatch(/TxDefaultProfile.*Absolute: 0 s: 16 A/);
    expect(await page.textContent('[data-testid=profiles-installed] .stat-value')).toBe('2');

    page.once('dialog', (d) => void d.accept());
    await page.click('[data-testid=profiles-clear-all]');
    await waitFor(() => cleared.length === 1);
    expect(cleared).toEqual([{}]);
    await page.waitForSelector(row, { state: 'detached', timeout: 15_000 });
    expect(await page.textContent('[data-testid=charging-profiles]')).toContain('No charging profile installed.');
  });
});
