/**
 * Reservations in Chromium: a driver reserves a free connector on the charger's page, sees it
 * Reserved with the time left counting down, and cancels it; an admin sees and cancels another in
 * the CMS. The simulated charger holds and frees the connector as the CSMS asks.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { login, waitFor } from '../../helpers/csms.ts';
import { ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

describeBrowser('reservations', () => {
  let f: WebFixture;
  const pages: SignedInPage[] = [];
  const status = (which: 'A' | 'B', connectorId: number) => f.chargers[which].sim.connectors[connectorId - 1].status;

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false });
  }, 60_000);
  afterAll(async () => {
    for (const p of pages) expect(p.pageErrors, 'errors in the page').toEqual([]);
    await f?.close();
  });

  it('user panel: reserve a free connector, watch the countdown, cancel', { timeout: 60_000 }, async () => {
    const alice = await signIn(f.browser, f.base, 'customer', f.alice.email, PASSWORD, `/app/#/chargers/${f.ids.A}`);
    pages.push(alice);
    const { page } = alice;
    await page.click('[data-testid=reserve-2]');
    await page.waitForSelector('[data-testid=my-reservation]');
    expect(await page.textContent('[data-testid=my-reservation]')).toContain('Connector #2');
    await waitFor(() => status('A', 2) === 'Reserved');
    await page.waitForFunction(() => document.querySelector('[data-testid=connector-2] [data-status]')?.getAttribute('data-status') === 'Reserved');
    const first = await page.textContent('[data-testid=reservation-left]');
    expect(first).toMatch(/1[45] min/);
    await page.waitForFunction((before) => document.querySelector('[data-testid=reservation-left]')?.textContent !== before, first);
    await screenshot(page, 'app-reservation');

    await page.click('[data-testid=reservation-cancel]');
    await page.waitForSelector('[data-testid=reserve-2]');
    await waitFor(() => status('A', 2) === 'Available');
    expect((await f.t.store.reservations.list({ customerId: f.alice.id })).map((r) => r.status)).toEqual(['cancelled']);
  });

  it('CMS: the reservation shows on the reservations page and the point, and an admin cancels it', { timeout: 60_000 }, async () => {
    const token = await login(f.t, f.bob.email, PASSWORD);
    const res = await f.t.api('/api/user/reservations', { token, body: { chargePointId: f.ids.B, connectorId: 1 } });
    expect(res.status).toBe(201);
    const r = await res.json() as { id: number };
    const admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, `/cms/#/points/${f.ids.B}`);
    pages.push(admin);
    const { page } = admin;
    await page.waitForSelector(`[data-testid=point-reservations] [data-testid=reservation-${r.id}]`);
    await page.goto(`${f.base}/cms/#/reservations`);
    await page.waitForSelector(`[data-testid=reservation-${r.id}]`);
    page.once('dialog', (d) => void d.accept());
    await page.click(`[data-testid=cancel-reservation-${r.id}]`);
    await page.waitForSelector(`[data-testid=reservation-${r.id}]`, { state: 'detached' });
    expect((await f.t.store.reservations.get(r.id))!.status).toBe('cancelled');
    await waitFor(() => status('B', 1) === 'Available');
  });
});
