/**
 * A session the charger will not stop: in the CMS, "Stop session" is refused by the charger, the
 * page then offers to close it by hand with a reason, and the session ends closed by the admin,
 * billed once. A session that stopped reporting is flagged in the sessions list.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { login, waitFor } from '../../helpers/csms.ts';
import { ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

describeBrowser('closing a session by hand in the CMS', () => {
  let f: WebFixture;
  let admin: SignedInPage;

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false, overrides: { sessionStaleAfterS: 60 } });
    admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/');
  }, 60_000);
  afterAll(async () => {
    expect(admin?.pageErrors ?? [], 'errors in the page').toEqual([]);
    await f?.close();
  });

  it('offers "Close session" once the charger refuses RemoteStopTransaction, and closes it with the reason', { timeout: 60_000 }, async () => {
    const token = await login(f.t, f.bob.email, PASSWORD);
    const charger = f.chargers.B;
    const start = await f.t.api('/api/user/charging/start', { token, body: { chargePointId: f.ids.B, connectorId: 1 } });
    expect(start.status).toBe(202);
    const tx = await waitFor(() => charger.transaction);
    await charger.meter(tx.meterStartWh + 2000, 7000, 60);
    await f.t.settle();
    charger.sim.refusesRemoteStop = true;

    const { page } = admin;
    await page.goto(`${f.base}/cms/#/points/${f.ids.B}`);
    await page.waitForSelector('[data-testid=point-session]');
    await page.click(`text=Stop session #${tx.transactionId}`);
    const close = `[data-testid=close-session-${tx.transactionId}]`;
    await page.waitForSelector(close);
    await screenshot(page, 'cms-point-stop-refused');
    page.once('dialog', (dialog) => void dialog.accept('charger refuses to stop'));
    await page.click(close);
    await page.waitForSelector('[data-toast=success] >> text=closed');
    await waitFor(async () => (await f.t.store.sessions.get(tx.transactionId))!.status === 'completed');
    const session = (await f.t.store.sessions.get(tx.transactionId))!;
    expect(session).toMatchObject({ closedBy: 'admin', energyWh: 2000, closeNote: `charger refuses to stop (closed by ${ADMIN.email})` });
    expect((await f.t.store.wallet.list(f.bob.id)).filter((e) => e.kind === 'charge').map((e) => e.amountMinor)).toEqual([-session.costMinor]);
    await page.waitForFunction(() => !document.querySelector('[data-testid=point-session]'));

    // In the sessions list it reads as closed by an admin, with the reason on hover.
    await page.goto(`${f.base}/cms/#/sessions`);
    const row = `[data-testid=session-${tx.transactionId}]`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} [data-testid=session-state]`)).toContain('closed by an admin');
  });

  it('flags a session that stopped reporting, and lists it under "No report for a while"', { timeout: 60_000 }, async () => {
    const token = await login(f.t, f.alice.email, PASSWORD);
    const charger = f.chargers.A;
    const start = await f.t.api('/api/user/charging/start', { token, body: { chargePointId: f.ids.A, connectorId: 2 } });
    expect(start.status).toBe(202);
    const tx = await waitFor(() => charger.transaction);
    await f.t.settle();
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    await f.t.store.transaction(async () => {
      const s = (await f.t.store.sessions.get(tx.transactionId))!;
      await f.t.store.sessions.updateProgress(s.id, { ...s, lastMeterAt: old, lastReportAt: old });
      await f.t.store.chargePoints.touch(f.ids.A, old);
    });
    const { page } = admin;
    await page.goto(`${f.base}/cms/#/sessions`);
    await page.selectOption('select[aria-label=Status]', 'stale');
    const row = `[data-testid=session-${tx.transactionId}]`;
    await page.waitForSelector(`${row} >> text=No report`);
    expect(await page.locator('[data-testid=sessions-table] tbody tr').count()).toBe(1);
    expect(await page.isVisible(`[data-testid=close-session-${tx.transactionId}]`)).toBe(true);
    await screenshot(page, 'cms-sessions-stale');
  });
});
