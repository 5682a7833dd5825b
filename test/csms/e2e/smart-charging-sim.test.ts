/**
 * Smart Charging end to end with the simulated charger's own code on both ends of the wire: the CSMS
 * divides a station's grid limit, the chargers install the TxProfiles it sends, the store and REST
 * list what they accepted, the point's room hears of it, and each charger's composite schedule (asked
 * over REST, computed by the charger) carries its share. An admin's profile goes the same way.
 */
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';

const LIMIT = 11_000;

/** The W limit of the TxProfile the simulated charger holds for its running transaction, or null. */
function heldTxLimit(charger: TestCharger): number | null {
  const tx = charger.transaction;
  const held = charger.sim.smart?.profiles.find((p) => p.profile.chargingProfilePurpose === 'TxProfile' && p.profile.transactionId === tx?.transactionId);
  return held ? held.profile.chargingSchedule.chargingSchedulePeriod[0].limit : null;
}

async function json(res: Response, status: number): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text);
}

describeRabbit('Smart Charging with the simulated charger (RabbitMQ + Socket.io)', () => {
  let t: TestCsms;
  let ns: string;
  let socket: Socket | null = null;
  const chargers: TestCharger[] = [];
  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns });
  });
  afterEach(async () => {
    socket?.close();
    for (const c of chargers.splice(0)) c.sim.shutdown();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  async function watchPoint(admin: string, chargePointId: string): Promise<{ type: string; data: any }[]> {
    socket = io(t.info.httpUrl, { auth: { token: admin }, transports: ['websocket'], reconnection: false });
    const got: { type: string; data: any }[] = [];
    socket.on('notification', (n: { type: string; data: any }) => got.push(n));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    expect(await socket.emitWithAck('join-room', `cms:point:${chargePointId}`)).toMatchObject({ ok: true });
    return got;
  }

  it('divides the grid limit among the running sessions; chargers, store, REST and the room agree', async () => {
    const station = await t.store.stations.create({ name: 'Depot', gridLimitW: LIMIT, minPerSessionW: 1_000 });
    for (const id of ['LM-1', 'LM-2']) await aChargePoint(t.store, { id, stationId: station.id, connectors: 1 });
    const [one, two] = [await aTestCharger(t, 'LM-1'), await aTestCharger(t, 'LM-2')];
    chargers.push(one, two);
    const [alice, bob] = [await aCustomer(t.store, { balance: 50_000 }), await aCustomer(t.store, { balance: 50_000 })];
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const room = await watchPoint(admin, 'LM-1');

    await one.startTransaction(alice.idTag!);
    // Alone at the station: the whole limit.
    await waitFor(() => heldTxLimit(one) === LIMIT);

    await two.startTransaction(bob.idTag!);
    // Two sessions: shares that fit the limit, each at least the minimum, and the first one lowered.
    const shares = await waitFor(() => {
      const a = heldTxLimit(one);
      const b = heldTxLimit(two);
      return a !== null && b !== null && a < LIMIT && [a, b];
    });
    expect(shares[0] + shares[1]).toBeLessThanOrEqual(LIMIT);
    expect(Math.min(...shares)).toBeGreaterThanOrEqual(1_000);

    // The CSMS keeps what each charger accepted...
    const storedLimit = async () => {
      const listed = await json(await t.api('/api/charger/LM-1/charging-profiles', { token: admin }), 200);
      const tx = (listed.items as any[]).find((p) => p.purpose === 'TxProfile');
      return tx?.transactionId === one.transaction!.transactionId ? tx.profile.chargingSchedule.chargingSchedulePeriod[0].limit : null;
    };
    await waitFor(async () => (await storedLimit()) === shares[0]);
    // ...the point's room heard it...
    await waitFor(() => room.some((n) => n.type === 'charging_profile.installed' && n.data.chargePointId === 'LM-1'));
    // ...and the charger's own composite schedule says the same.
    const composite = await json(await t.api('/api/charger/get-composite-schedule', { token: admin, body: { chargePointId: 'LM-1', connectorId: 1, duration: 600, chargingRateUnit: 'W' } }), 200);
    expect(composite.response).toMatchObject({ status: 'Accepted', connectorId: 1 });
    expect(composite.response.chargingSchedule.chargingSchedulePeriod[0].limit).toBe(shares[0]);

    // Bob unplugs: his profile goes with his transaction, Alice gets the whole limit back.
    two.sim.stop(0, 'EVDisconnected');
    await waitFor(() => two.stopped);
    await waitFor(() => heldTxLimit(one) === LIMIT);
    await waitFor(async () => (await t.store.chargingProfiles.list('LM-2')).length === 0);
    expect(one.failure).toBeNull();
    expect(two.failure).toBeNull();
  });

  it("installs an admin's TxDefaultProfile on the charger, which then answers its composite schedule from it", async () => {
    await aChargePoint(t.store, { id: 'SC-1', connectors: 2 });
    const charger = await aTestCharger(t, 'SC-1', { connectors: 2 });
    chargers.push(charger);
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const profile = {
      chargingProfileId: 7, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 3600, limit: 10 }] },
    };
    const set = await json(await t.api('/api/charger/set-charging-profile', { token: admin, body: { chargePointId: 'SC-1', connectorId: 0, csChargingProfiles: profile } }), 200);
    expect(set.response).toEqual({ status: 'Accepted' });
    expect(charger.sim.smart?.profiles.map((p) => [p.connectorId, p.profile.chargingProfileId])).toEqual([[0, 7]]);
    await waitFor(async () => (await t.store.chargingProfiles.list('SC-1')).length === 1);

    const composite = await json(await t.api('/api/charger/get-composite-schedule', { token: admin, body: { chargePointId: 'SC-1', connectorId: 1, duration: 7200, chargingRateUnit: 'A' } }), 200);
    // No transaction runs: a Relative schedule counts from now, 16 A for the first hour, then 10 A.
    expect(composite.response.chargingSchedule.chargingSchedulePeriod.map((p: any) => [p.startPeriod, p.limit])).toEqual([[0, 16], [3600, 10]]);

    const cleared = await json(await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: 'SC-1', chargingProfilePurpose: 'TxDefaultProfile' } }), 200);
    expect(cleared.response).toEqual({ status: 'Accepted' });
    expect(charger.sim.smart?.profiles ?? []).toEqual([]);
    await waitFor(async () => (await t.store.chargingProfiles.list('SC-1')).length === 0);
    const again = await json(await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: 'SC-1', id: 7 } }), 200);
    expect(again.response).toEqual({ status: 'Unknown' });
  });
});
