/**
 * The CMS point detail shows the Local Authorization List version the charger holds against the
 * CSMS's current one, and follows a blocked customer's removal (LOCAL_LIST=on, real simulated chargers).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { waitFor } from '../../helpers/csms.ts';
import { aChargePoint } from '../builders.ts';
import { ADMIN, startWebFixture, type WebFixture } from './fixture.ts';

describeBrowser('the local list on the CMS point detail', () => {
  let f: WebFixture;
  let admin: SignedInPage;

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false, overrides: { localList: 'on', localListSyncIntervalS: 0.3, pollDetailMs: 300 } });
    admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/');
  }, 60_000);
  afterAll(async () => {
    expect(admin?.pageErrors ?? [], 'errors in the page').toEqual([]);
    await f?.close();
  });

  it('shows the charger in step at v1, then v2 once a blocked customer was removed', { timeout: 60_000 }, async () => {
    await waitFor(async () => (await f.t.store.localLists.get(f.ids.A))?.version === 1);
    const { page } = admin;
    await page.goto(`${f.base}/cms/#/points/${f.ids.A}`);
    await page.waitForSelector('[data-testid=point-local-list]');
    await page.waitForSelector('[data-testid=local-list-charger] >> text=v1');
    expect(await page.textContent('[data-testid=local-list-csms]')).toContain('v1');
    expect(await page.textContent('[data-testid=local-list-state]')).toContain('in step');

    await f.t.store.users.update(f.bob.id, { blocked: true });
    await page.waitForSelector('[data-testid=local-list-charger] >> text=v2', { timeout: 20_000 });
    expect(await page.textContent('[data-testid=local-list-charger]')).toContain('1 card(s)');
    await screenshot(page, 'cms-point-local-list');
  });

  it('says so when the charger holds fewer cards than there are (LocalAuthListMaxLength): truncated, how many left off', { timeout: 60_000 }, async () => {
    // A charger not connected: its record stays as saved (no round touches it).
    const cp = await f.t.store.chargePoints.create(aChargePoint());
    const wanted = await f.t.store.localLists.wanted(new Date().toISOString());
    await f.t.store.localLists.save({
      chargePointId: cp.id, version: 2, reportedVersion: 2, status: 'synced', detail: null, omitted: 3,
      entries: wanted.slice(0, 1), updatedAt: new Date().toISOString(),
    });
    const { page } = admin;
    await page.goto(`${f.base}/cms/#/points/${cp.id}`);
    await page.waitForSelector(`[data-testid=local-list-state] >> text=truncated: 3 card(s) left off`);
    expect(await page.textContent('[data-testid=local-list-state]')).toContain('in step');
  });
});
