/**
 * A real CSMS with a small network to look at, two customers, chargers from the simulator
 * and Debian's Chromium: what every web test starts from.
 */
import type { Browser } from 'playwright-core';
import { aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';
import { deleteNamespace, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';
import { launchChromium } from '../../helpers/browser.ts';

export const ADMIN = { email: 'admin@ev-csms.local', password: 'admin-password' };
export const PASSWORD = 'password-123';

export interface WebFixture {
  t: TestCsms;
  browser: Browser;
  base: string;
  stationId: number;
  /** Alice charges at CP-A; Bob has his own wallet and sessions and must never see hers. */
  alice: { id: number; email: string; idTag: string };
  bob: { id: number; email: string; idTag: string };
  chargers: Record<'A' | 'B', TestCharger>;
  /** Identities of the two charge points (unique per fixture). */
  ids: Record<'A' | 'B', string>;
  close(): Promise<void>;
}

export async function startWebFixture(opts: { rabbitmq: boolean; overrides?: Record<string, unknown> }): Promise<WebFixture> {
  const ns = opts.rabbitmq ? uniqueNamespace() : null;
  const t = await startCsms({
    ...(opts.rabbitmq ? { enableRabbitmq: true, rabbitmqUrl: RABBIT_URL, rabbitmqNamespace: ns! } : {}),
    ...opts.overrides,
  });
  let browser: Browser | null = null;
  const cleanUp = async () => {
    await browser?.close().catch(() => {});
    await t.close();
    if (ns) await deleteNamespace(RABBIT_URL, ns).catch(() => {});
  };
  try {
    browser = await launchChromium();
    const station = await t.store.stations.create({ name: 'Harbour Garage', address: '1 Quay Street, Portsmouth', latitude: 50.79, longitude: -1.1 });
    const tariff = await aTariffIn(t.store, { name: 'Standard AC', pricePerKwh: 35, sessionFee: 50 });
    const suffix = Math.random().toString(36).slice(2, 6).toUpperCase();
    const ids = { A: `WEB-${suffix}-A`, B: `WEB-${suffix}-B` };
    for (const id of Object.values(ids)) {
      await t.store.chargePoints.create({ id, stationId: station.id, tariffId: tariff.id, connectors: 2, registrationStatus: 'Accepted' });
    }
    const alice = await aCustomer(t.store, { email: `alice-${suffix.toLowerCase()}@example.com`, balance: 5000 });
    const bob = await aCustomer(t.store, { email: `bob-${suffix.toLowerCase()}@example.com`, balance: 3000 });
    const chargers = { A: await aTestCharger(t, ids.A, { connectors: 2, meterStartWh: 120_000 }), B: await aTestCharger(t, ids.B, { connectors: 2 }) };
    await t.settle();
    return {
      t,
      browser: browser!,
      base: t.info.httpUrl,
      stationId: station.id,
      alice: { id: alice.id, email: alice.email, idTag: alice.idTag! },
      bob: { id: bob.id, email: bob.email, idTag: bob.idTag! },
      chargers,
      ids,
      close: cleanUp,
    };
  } catch (err) {
    // A fixture that fails half-way must not leave a CSMS, a browser or broker queues behind.
    await cleanUp();
    throw err;
  }
}

/** Runs a whole session for `email` on `charger` over the real API: start, one reading, stop. */
export async function aCompletedSession(f: WebFixture, email: string, which: 'A' | 'B', connectorId: number, addWh: number): Promise<number> {
  const token = await login(f.t, email, PASSWORD);
  const charger = f.chargers[which];
  const start = await f.t.api('/api/user/charging/start', { token, body: { chargePointId: f.ids[which], connectorId } });
  if (start.status !== 202) throw new Error(`start: ${start.status} ${await start.text()}`);
  const tx = await waitFor(() => charger.transaction);
  await charger.meter(tx.meterStartWh + addWh, 11_000, 900);
  charger.stopWith = { meterStopWh: tx.meterStartWh + addWh, atS: 1200 };
  const stop = await f.t.api('/api/user/charging/stop', { token, body: { sessionId: tx.transactionId } });
  if (stop.status !== 202) throw new Error(`stop: ${stop.status} ${await stop.text()}`);
  await waitFor(() => charger.stopped?.transactionId === tx.transactionId);
  await f.t.settle();
  return tx.transactionId;
}
