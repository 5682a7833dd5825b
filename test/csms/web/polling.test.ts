/**
 * The pages with ENABLE_RABBITMQ=false (the embedded default), in Chromium: no Socket.io, and the
 * same pages follow changes by polling the REST API at the intervals /api/config states (active
 * session 1 s, detail views 3 s), answered with 304 while nothing changed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aStatusNotification } from '../../../src/ocpp/index.ts';
import { login, waitFor } from '../../helpers/csms.ts';
import { describeBrowser, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { ADMIN, PASSWORD, startWebFixture, type WebFixture } from './fixture.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Gaps (ms) between consecutive requests whose line starts with `prefix`. */
function gaps(p: SignedInPage, prefix: string): number[] {
  const at = p.timed.filter((r) => r.line.startsWith(prefix)).map((r) => r.at);
  return at.slice(1).map((t, i) => t - at[i]);
}

describeBrowser('web pages, polling (ENABLE_RABBITMQ=false)', () => {
  let f: WebFixture;
  const pages: SignedInPage[] = [];

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false });
  }, 60_000);
  afterAll(async () => {
    for (const p of pages) expect(p.pageErrors, 'errors in the page').toEqual([]);
    await f?.close();
  });

  it('the active session page polls every second and shows new energy on the next poll', { timeout: 90_000 }, async () => {
    const token = await login(f.t, f.alice.email, PASSWORD);
    expect((await f.t.api('/api/user/charging/start', { token, body: { chargePointId: f.ids.A, connectorId: 2 } })).status).toBe(202);
    await waitFor(() => f.chargers.A.transaction);

    const alice = await signIn(f.browser, f.base, 'customer', f.alice.email, PASSWORD, '/app/#/session');
    pages.push(alice);
    await alice.page.waitForSelector('[data-connection=polling]');
    await alice.page.waitForSelector('[data-testid=active-session]');
    expect(alice.requests.filter((r) => r.includes('/socket.io'))).toEqual([]);
    alice.resetRequests();

    await f.chargers.A.meter(122_250, 11_000, 60);
    await alice.page.waitForFunction(() => document.querySelector('[data-testid=session-energy] .stat-value')?.textContent === '2.25 kWh', null, { timeout: 30_000 });
    const active = () => alice.timed.filter((r) => r.line === 'GET /api/user/sessions/active');
    await expect.poll(() => active().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);

    const polls = active();
    // Never faster than the 1 s interval (how much slower is up to the machine's load, not judged).
    expect(polls.length).toBeGreaterThanOrEqual(4);
    const gap = median(gaps(alice, 'GET /api/user/sessions/active'));
    expect(gap).toBeGreaterThan(800);
    // Unchanged data costs a 304 without a body; the change itself came back as a 200.
    expect(polls.filter((r) => r.status === 304).length).toBeGreaterThanOrEqual(2);
    expect(polls.some((r) => r.status === 200)).toBe(true);

    // Stopped at the charger's side of things: the page notices on its next poll.
    // Bob polls too, and sees nothing of Alice's running session or balance.
    const bob = await signIn(f.browser, f.base, 'customer', f.bob.email, PASSWORD, '/app/#/');
    pages.push(bob);
    await bob.page.waitForSelector('[data-testid=recent-sessions] >> text=No sessions yet');
    await bob.page.waitForTimeout(1500);
    expect(await bob.page.$('[data-testid=active-banner]')).toBeNull();
    expect(await bob.page.textContent('[data-testid=balance] .stat-value')).toBe('$30.00'.replace('$', '€'));
    expect(await bob.page.textContent('main')).not.toContain(f.ids.A);
    await bob.context.close();

    const tx = f.chargers.A.transaction!;
    expect((await f.t.api('/api/user/charging/stop', { token, body: { sessionId: tx.transactionId } })).status).toBe(202);
    await alice.page.waitForSelector('[data-testid=completed-session]', { timeout: 30_000 });
    await alice.page.waitForSelector('[data-toast=info] >> text=Charging stopped', { timeout: 30_000 });
  });

  it('the CMS point detail polls every 3 s: a status change and new messages show on the next poll', { timeout: 90_000 }, async () => {
    const admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, `/cms/#/points/${f.ids.B}`);
    pages.push(admin);
    await admin.page.waitForSelector('[data-connection=polling]');
    await admin.page.waitForSelector('[data-testid=connector-1] [data-status=Available]');
    await admin.page.waitForSelector('[data-testid=log-row]');
    admin.resetRequests();

    await f.chargers.B.conn.call('StatusNotification', aStatusNotification({ connectorId: 1, status: 'Unavailable', timestamp: new Date().toISOString() }));
    await admin.page.waitForSelector('[data-testid=connector-1] [data-status=Unavailable]', { timeout: 15_000 });
    await admin.page.waitForSelector('[data-testid=log-row][data-type=CALL] >> text=Unavailable', { timeout: 15_000 });
    const pointPolls = () => admin.timed.filter((r) => r.line === `GET /api/cms/points/${f.ids.B}`);
    const logPolls = () => admin.timed.filter((r) => r.line.startsWith(`GET /api/cms/points/${f.ids.B}/messages?`));
    await expect.poll(() => Math.min(pointPolls().length, logPolls().length), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);

    // Both polled repeatedly, never faster than the 3 s interval (how much slower is up to the
    // machine's load, not judged).
    const points = pointPolls();
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(logPolls().length).toBeGreaterThanOrEqual(3);
    const pointGap = median(points.slice(1).map((r, i) => r.at - points[i].at));
    const logGap = median(gaps(admin, `GET /api/cms/points/${f.ids.B}/messages?`));
    expect(logGap).toBeGreaterThan(2500);
    expect(pointGap).toBeGreaterThan(2500);
    // The log asks only for what is newer than what it shows.
    expect(admin.requests.some((r) => r.startsWith(`GET /api/cms/points/${f.ids.B}/messages?limit=500&afterId=`))).toBe(true);
  });
});
