/**
 * Demo data for `npm start` on an empty database: one station, a tariff, three charge points and a
 * customer with credit, so a first run has something to show. Does nothing if stations exist.
 */
import { hashPassword } from './domain/secrets.ts';
import type { Clock, Store } from './domain/ports.ts';

export interface DemoInfo {
  customerEmail: string;
  customerPassword: string;
  idTag: string;
  chargePointIds: string[];
}

export const DEMO = {
  customerEmail: 'demo@ev-csms.local',
  customerPassword: 'demo-password',
  idTag: 'DEMO-TAG-1',
  chargePointIds: ['DEMO-CP-1', 'DEMO-CP-2', 'DEMO-CP-3'],
} as const;

/** Seeds the demo network; its tariff is priced in the network's `currency`. */
export async function seedDemo(store: Store, clock: Clock, currency = 'EUR'): Promise<DemoInfo> {
  const info: DemoInfo = { ...DEMO, chargePointIds: [...DEMO.chargePointIds] };
  if ((await store.stations.list({ limit: 1 })).length > 0) return info;
  const passwordHash = await hashPassword(DEMO.customerPassword);
  await store.transaction(async () => {
    const tariff = await store.tariffs.create({ name: 'Standard AC', currency, pricePerKwh: 35, pricePerMinute: 0, sessionFee: 50 });
    const station = await store.stations.create({ name: 'Demo Station', address: '1 Charging Street', latitude: 52.37, longitude: 4.89 });
    for (const id of DEMO.chargePointIds) {
      await store.chargePoints.create({ id, stationId: station.id, tariffId: tariff.id, connectors: 2, registrationStatus: 'Accepted' });
    }
    if (!await store.users.findByEmail(DEMO.customerEmail)) {
      const user = await store.users.create({ email: DEMO.customerEmail, name: 'Demo Customer', passwordHash, role: 'customer', idTag: DEMO.idTag });
      await store.wallet.add({ customerId: user.id, amountMinor: 5000, kind: 'topup', note: 'Demo credit', createdAt: clock.now().toISOString() });
    }
  });
  return info;
}
