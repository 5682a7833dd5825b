/**
 * Every module of both apps renders with real data in Chromium (a CSMS with stations, chargers on
 * our OCPP client, customers and finished sessions), the forms write through the real API, and
 * each page is saved as a screenshot (artifacts/screenshots, kept by CI).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { aCompletedSession, ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

const euro = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describeBrowser('every module with real data', () => {
  let f: WebFixture;
  let sessionId: number;
  const pages: SignedInPage[] = [];

  beforeAll(async () => {
    // Self top-up on: the wallet page's "Add money" form is exercised below.
    f = await startWebFixture({ rabbitmq: false, overrides: { walletSelfTopup: true } });
    sessionId = await aCompletedSession(f, f.alice.email, 'A', 1, 8_400);
  }, 60_000);
  afterAll(async () => {
    for (const p of pages) expect(p.pageErrors, 'errors in the page').toEqual([]);
    await f?.close();
  });

  /** Goes to `hash` in the app and waits for `selector`; returns the page's text. */
  async function visit(p: SignedInPage, app: 'app' | 'cms', hash: string, selector: string, shot: string): Promise<string> {
    await p.page.goto(`${f.base}/${app}/#/${hash}`);
    await p.page.waitForSelector(selector);
    await p.page.waitForTimeout(200);
    expect(await p.page.locator('.loading').count()).toBe(0);
    await screenshot(p.page, shot);
    return (await p.page.textContent('main')) ?? '';
  }

  it('user panel: dashboard, stations, charger detail, wallet with a top-up, history', { timeout: 60_000 }, async () => {
    // A second card: the dashboard lists both, read-only.
    await f.t.store.idTags.create({ idTag: 'ALICE-VAN', customerId: f.alice.id, label: 'Van' });
    const alice = await signIn(f.browser, f.base, 'customer', f.alice.email, PASSWORD, '/app/');
    pages.push(alice);
    const session = ((await (await f.t.api(`/api/cms/sessions/${sessionId}`, { token: await adminToken() })).json()) as { costMinor: number; energyWh: number });
    expect(session.energyWh).toBe(8_400);
    const balance = 5000 - session.costMinor;

    let text = await visit(alice, 'app', '', '[data-testid=own-cards] tbody tr', 'app-dashboard-polling');
    expect(text).toContain(euro(balance));
    expect(text).toContain('8.40 kWh');
    expect(text).toContain(f.alice.idTag);
    expect(await alice.page.textContent('[data-testid=own-cards]')).toMatch(/ALICE-VAN\s*Van\s*0 of 1/);

    text = await visit(alice, 'app', 'stations', `[data-testid=point-${f.ids.A}]`, 'app-stations');
    expect(text).toContain('Harbour Garage');
    expect(text).toContain('1 Quay Street');
    expect(await alice.page.textContent(`[data-testid=station-${f.stationId}] [data-testid=available-count]`)).toBe('4 available');
    expect(text).toContain('€0.35/kWh');

    text = await visit(alice, 'app', `chargers/${f.ids.B}`, '[data-testid=connector-2]', 'app-charger');
    expect(text).toContain('Standard AC');
    expect(await alice.page.isEnabled('[data-testid=start-1]')).toBe(true);

    text = await visit(alice, 'app', 'wallet', '[data-testid=wallet-transactions] tbody tr', 'app-wallet');
    expect(await alice.page.textContent('[data-testid=wallet-balance] .stat-value')).toBe(euro(balance));
    expect(text).toContain(`session #${sessionId}`);
    await alice.page.fill('input[name=amount]', '12.50');
    await alice.page.click('button[type=submit]');
    await alice.page.waitForFunction((b) => document.querySelector('[data-testid=wallet-balance] .stat-value')?.textContent === b, euro(balance + 1250));
    expect(await alice.page.textContent('[data-testid=wallet-transactions] tbody tr')).toContain('+€12.50');
    await screenshot(alice.page, 'app-wallet-topped-up');

    text = await visit(alice, 'app', 'sessions', `[data-testid=session-${sessionId}]`, 'app-sessions');
    expect(await alice.page.textContent(`[data-testid=session-${sessionId}]`)).toContain(euro(session.costMinor));
    expect(text).toContain('Completed');

    text = await visit(alice, 'app', 'session', '.empty', 'app-no-session');
    expect(text).toContain('You are not charging');

    // Phone-sized: the sidebar folds away behind the menu button.
    await alice.page.setViewportSize({ width: 390, height: 844 });
    await visit(alice, 'app', '', '[data-testid=balance]', 'app-dashboard-phone');
    expect(await alice.page.isVisible('.sidebar nav')).toBe(false);
    await alice.page.click('.topbar .menu');
    await alice.page.waitForSelector('.sidebar nav >> text=Wallet', { state: 'visible' });
    await alice.page.setViewportSize({ width: 1280, height: 860 });
  });

  it('user panel: a new customer registers and lands on an empty dashboard', async () => {
    const context = await f.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${f.base}/app/`);
    await page.click('text=Create account');
    await page.fill('input[name=name]', 'Nora Newcomer');
    await page.fill('input[name=email]', 'nora@example.com');
    await page.fill('input[name=password]', 'short');
    await page.click('button[type=submit]');
    expect(await page.locator('.shell').count()).toBe(0);
    await page.fill('input[name=password]', 'a-long-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Hello, Nora Newcomer');
    expect(await page.textContent('[data-testid=balance] .stat-value')).toBe(euro(0));
    await page.waitForSelector('[data-toast=warning] >> text=Low balance');
    // A customer account cannot sign in to the CMS.
    await page.goto(`${f.base}/cms/`);
    await page.fill('input[name=email]', 'nora@example.com');
    await page.fill('input[name=password]', 'a-long-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert] >> text=not an administrator');
    await context.close();
  });

  it('CMS: dashboard, stations with a new one, station detail, charge points with a registration, point detail, sessions, tariffs, customers', { timeout: 90_000 }, async () => {
    const admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/');
    pages.push(admin);
    const { page } = admin;
    const dashboard = ((await (await f.t.api('/api/cms/dashboard', { token: await adminToken() })).json()) as { revenueMinorTotal: number });
    expect(dashboard.revenueMinorTotal).toBeGreaterThan(0);

    let text = await visit(admin, 'cms', '', '[data-testid=recent-sessions] tbody tr', 'cms-dashboard');
    expect(await page.textContent('[data-testid=chargers-online] .stat-value')).toBe('2 / 2');
    expect(await page.textContent('[data-testid=stations-online] .stat-value')).toBe('1 / 1');
    expect(await page.textContent('[data-testid=revenue-today] .stat-value')).toBe(euro(dashboard.revenueMinorTotal));
    expect(text).toContain('8.40 kWh');

    text = await visit(admin, 'cms', 'stations', `[data-testid=station-${f.stationId}]`, 'cms-stations');
    expect(await page.textContent(`[data-testid=station-${f.stationId}] [data-testid=online-count]`)).toContain('2/2');
    await page.click('[data-testid=station-create]');
    await page.fill('.modal input[name=name]', 'Depot North');
    await page.fill('.modal input[name=address]', '9 Ring Road');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('[data-testid=stations-table] >> text=Depot North');
    expect((await f.t.store.stations.list({ limit: 10 })).map((st) => st.name)).toContain('Depot North');

    text = await visit(admin, 'cms', `stations/${f.stationId}`, `[data-testid=station-points-table] [data-testid=point-${f.ids.A}]`, 'cms-station-detail');
    expect(text).toContain('Harbour Garage');
    expect(text).toContain(f.ids.B);

    text = await visit(admin, 'cms', 'points', `[data-testid=point-${f.ids.A}]`, 'cms-points');
    expect(await page.textContent(`[data-testid=point-${f.ids.A}] [data-testid=online]`)).toBe('Online');
    expect(text).toContain('Standard AC');
    await page.click('text=Register charge point');
    await page.fill('.modal input[name=id]', 'WEB-NEW-1');
    await page.selectOption('.modal select[name=stationId]', { label: 'Depot North' });
    await page.click('.modal button[type=submit]');
    const key = (await page.textContent('[data-testid=auth-key]'))!.trim();
    expect(key).toMatch(/^[0-9a-f]{16,40}$/);
    await screenshot(page, 'cms-point-auth-key');
    await page.click('.modal >> text=Done');
    await page.waitForSelector('[data-testid=point-WEB-NEW-1]');
    expect(await f.t.store.chargePoints.get('WEB-NEW-1')).toMatchObject({ hasAuthKey: true, online: false });

    text = await visit(admin, 'cms', `points/${f.ids.A}`, '[data-testid=log-row]', 'cms-point-detail-polling');
    expect(text).toContain('StopTransaction');
    expect(await page.textContent('[data-testid=connector-1]')).toContain('Available');

    text = await visit(admin, 'cms', 'sessions', `[data-testid=session-${sessionId}]`, 'cms-sessions');
    expect(await page.textContent(`[data-testid=session-${sessionId}] [data-testid=energy]`)).toBe('8.40 kWh');
    expect(await page.textContent(`[data-testid=session-${sessionId}]`)).toContain((await f.t.store.users.get(f.alice.id))!.name);

    text = await visit(admin, 'cms', 'tariffs', '[data-testid=tariffs-table] tbody tr', 'cms-tariffs');
    expect(text).toContain('Standard AC');
    await page.click('[data-testid=tariff-create]');
    await page.fill('.modal input[name=name]', 'Rapid DC');
    await page.fill('.modal input[name=pricePerKwh]', '0.59');
    // One network, one currency: the form shows it and does not let it be changed.
    expect(await page.inputValue('.modal input[name=currency]')).toBe('EUR');
    expect(await page.getAttribute('.modal input[name=currency]', 'readonly')).not.toBeNull();
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('[data-testid=tariffs-table] >> text=Rapid DC');
    expect((await f.t.store.tariffs.list()).find((t) => t.name === 'Rapid DC')).toMatchObject({ pricePerKwh: 59, currency: 'EUR' });

    text = await visit(admin, 'cms', 'customers', `[data-testid=customer-${f.alice.id}]`, 'cms-customers');
    expect(text).toContain(f.bob.email);
    expect(await page.textContent(`[data-testid=customer-${f.bob.id}] [data-testid=balance]`)).toBe(euro(3000));
    await page.fill('[data-testid=customer-search]', 'bob-');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=customers-table] tbody tr').length === 1);
    expect(await page.textContent('[data-testid=customers-table]')).toContain(f.bob.email);

    // Bob's cards: add a fleet card, block it, make it primary.
    await page.click(`[data-testid=customer-${f.bob.id}] [data-testid=customer-cards]`);
    await page.waitForSelector(`[data-testid=cards-table] [data-testid=card-${f.bob.idTag}]`);
    await page.fill('.modal input[name=cardIdTag]', 'BOB-FLEET');
    await page.fill('.modal input[name=cardLabel]', 'Van 3');
    await page.fill('.modal input[name=cardMaxConcurrent]', '3');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('[data-testid=card-BOB-FLEET]');
    expect(await f.t.store.idTags.get('BOB-FLEET')).toMatchObject({ customerId: f.bob.id, label: 'Van 3', maxConcurrent: 3, blocked: false });
    await page.click('[data-testid=card-BOB-FLEET] [data-testid=card-block]');
    await page.waitForSelector('[data-testid=card-BOB-FLEET] [data-status=blocked]');
    expect((await f.t.store.idTags.get('BOB-FLEET'))!.blocked).toBe(true);
    await page.click('[data-testid=card-BOB-FLEET] [data-testid=card-unblock]');
    await page.waitForSelector('[data-testid=card-BOB-FLEET] [data-status=active]');
    await page.click('[data-testid=card-BOB-FLEET] [data-testid=card-primary]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=card-BOB-FLEET] [data-testid=card-primary]'));
    expect((await f.t.store.users.get(f.bob.id))!.idTag).toBe('BOB-FLEET');
    await screenshot(page, 'cms-customer-cards');
  });

  async function adminToken(): Promise<string> {
    const res = await f.t.api('/api/auth/login', { body: ADMIN });
    return ((await res.json()) as { token: string }).token;
  }
});
