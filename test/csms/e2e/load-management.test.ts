/**
 * Load management end to end: a station with a grid limit and chargers that answer SetChargingProfile
 * as the test says. A start makes the CSMS divide the limit and send each session a TxProfile whose
 * limits add up to at most the limit; a stop gives the rest more; an EV drawing less gives its
 * unused share away; a charger that does not confirm is counted. Embedded broker and RabbitMQ.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aSampledValue, aStartTransaction, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import type { SetChargingProfileRequest } from '../../../src/ocpp/messages.ts';
import { LOAD_REQUESTED_BY, loadProfileId } from '../../../src/csms/domain/load-manager.ts';
import type { CsmsConfigInput } from '../../../src/csms/config.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, RABBIT_URL, rabbitAvailable, uniqueNamespace } from '../../helpers/rabbit.ts';

const LIMIT = 11_000;

/** Every SetChargingProfile any charger got, in the order they arrived: `[chargePointId, limit]`. */
const arrivals: [string, number][] = [];

interface Charger {
  id: string;
  conn: OcppConnection<any, any, unknown>;
  /** Every SetChargingProfile it got, in order. */
  received: SetChargingProfileRequest[];
  /** What it answers next. */
  answer: 'Accepted' | 'Rejected';
}

/** The limit of the last TxProfile a charger got for a transaction. */
function lastLimit(c: Charger, transactionId: number): number | undefined {
  const got = c.received.filter((r) => r.csChargingProfiles.transactionId === transactionId);
  return got.at(-1)?.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]?.limit;
}

const modes: [string, () => Promise<CsmsConfigInput | null>][] = [
  ['embedded broker', async () => ({})],
  ['RabbitMQ', async () => ((await rabbitAvailable()) ? { enableRabbitmq: true, rabbitmqNamespace: uniqueNamespace() } : null)],
];

describe.each(modes)('load management [%s]', (_name, configFor) => {
  let t: TestCsms | null = null;
  let ns: string | undefined;
  afterEach(async () => {
    await t?.close();
    t = null;
    if (ns) await deleteNamespace(RABBIT_URL, ns);
  });

  async function setUp(ctx: { skip: (note?: string) => void }, overrides: CsmsConfigInput = {}) {
    const config = await configFor();
    if (config === null) {
      ctx.skip('RabbitMQ is not reachable');
      throw new Error('unreachable');
    }
    ns = config.rabbitmqNamespace;
    arrivals.length = 0;
    t = await startCsms({ ...config, ...overrides });
    const station = await t.store.stations.create({ name: 'Depot', gridLimitW: LIMIT, minPerSessionW: 1_400 });
    const charger = async (id: string): Promise<Charger> => {
      await aChargePoint(t!.store, { id, stationId: station.id, connectors: 1 });
      const conn = await t!.connect(id);
      const c: Charger = { id, conn, received: [], answer: 'Accepted' };
      conn.handle('SetChargingProfile' as any, (req: SetChargingProfileRequest) => {
        c.received.push(req);
        arrivals.push([id, req.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]!.limit]);
        return { status: c.answer } as any;
      });
      await conn.call('BootNotification', aBootNotification());
      return c;
    };
    const start = async (c: Charger) => {
      const customer = await aCustomer(t!.store, { balance: 5000 });
      const res = await c.conn.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag: customer.idTag! }));
      expect(res.idTagInfo.status).toBe('Accepted');
      return res.transactionId as number;
    };
    return { t: t!, station, charger, start };
  }

  it('divides the limit on a start, gives the rest more on a stop, and keeps the sum within the limit', async (ctx) => {
    const { t, charger, start } = await setUp(ctx);
    const a = await charger('LM-A');
    const b = await charger('LM-B');

    const txA = await start(a);
    expect(await waitFor(() => lastLimit(a, txA))).toBe(LIMIT);
    expect(a.received[0]).toEqual({
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: loadProfileId(txA), transactionId: txA, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
        chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: LIMIT }] },
      },
    });

    const txB = await start(b);
    await waitFor(() => lastLimit(a, txA) !== LIMIT && lastLimit(b, txB) !== undefined);
    const shareA = lastLimit(a, txA)!;
    const shareB = lastLimit(b, txB)!;
    expect(shareA + shareB).toBeLessThanOrEqual(LIMIT);
    expect([shareA, shareB]).toEqual([5500, 5500]);

    // The CSMS keeps what each charger accepted, and the audit says who sent it.
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const listed = await waitFor(async () => {
      const body = await (await t.api('/api/charger/LM-A/charging-profiles', { token: admin })).json() as any;
      return body.items.find((p: any) => p.chargingProfileId === loadProfileId(txA) && p.profile.chargingSchedule.chargingSchedulePeriod[0].limit === 5500) && body;
    });
    expect(listed.unconfirmed.count).toBe(0);
    expect((await t.store.commands.list('LM-B')).every((c) => c.requestedBy === LOAD_REQUESTED_BY)).toBe(true);

    await b.conn.call('StopTransaction', aStopTransaction({ transactionId: txB, meterStop: 1000 }));
    expect(await waitFor(() => lastLimit(a, txA) === LIMIT)).toBe(true);
    // The stopped session's TxProfile is forgotten with its transaction.
    await waitFor(async () => (await t.store.chargingProfiles.list('LM-B')).length === 0);
  });

  it('gives what an EV leaves unused to the other session', async (ctx) => {
    const { charger, start } = await setUp(ctx);
    const a = await charger('LM-SLOW');
    const b = await charger('LM-BUSY');
    const txA = await start(a);
    await waitFor(() => lastLimit(a, txA) === LIMIT);
    const txB = await start(b);
    await waitFor(() => lastLimit(a, txA) === 5500 && lastLimit(b, txB) === 5500);
    const power = (w: number) => [aMeterValue({ sampledValue: [aSampledValue({ measurand: 'Power.Active.Import', unit: 'W', value: String(w) })] })];
    await a.conn.call('MeterValues', { connectorId: 1, transactionId: txA, meterValue: power(2000) });
    // 2000 W is clearly less than 5500: A is held at its draw plus headroom, B gets the rest.
    await waitFor(() => lastLimit(a, txA) === 2200 && lastLimit(b, txB) === 8800);
    // B's increase went out only once A had taken its decrease: never 5500 + 8800 in force.
    const at = (id: string, limit: number) => arrivals.findIndex(([i, l]) => i === id && l === limit);
    expect(at('LM-SLOW', 2200)).toBeGreaterThanOrEqual(0);
    expect(at('LM-BUSY', 8800)).toBeGreaterThan(at('LM-SLOW', 2200));
  });

  it('holds an increase back while the decrease that makes room for it is not confirmed', async (ctx) => {
    const { t, charger, start } = await setUp(ctx);
    const a = await charger('LM-REFUSES');
    const b = await charger('LM-WAITS');
    const txA = await start(a);
    await waitFor(() => lastLimit(a, txA) === LIMIT);
    const txB = await start(b);
    await waitFor(() => lastLimit(a, txA) === 5500 && lastLimit(b, txB) === 5500);
    await waitFor(async () => (await t.store.chargingProfiles.list('LM-REFUSES')).some((p) => p.profile.chargingSchedule.chargingSchedulePeriod[0]!.limit === 5500));
    // A's EV draws little, but its charger refuses the lower limit: it may still draw 5500.
    a.answer = 'Rejected';
    const power = (w: number) => [aMeterValue({ sampledValue: [aSampledValue({ measurand: 'Power.Active.Import', unit: 'W', value: String(w) })] })];
    await a.conn.call('MeterValues', { connectorId: 1, transactionId: txA, meterValue: power(2000) });
    await waitFor(() => lastLimit(a, txA) === 2200);
    await waitFor(async () => (await t.store.chargingProfiles.unconfirmed('LM-REFUSES')).count === 1);
    // Another division (B reports) must not raise B either: 5500 + 8800 would be in force.
    await b.conn.call('MeterValues', { connectorId: 1, transactionId: txB, meterValue: power(5400) });
    await t.settle();
    await new Promise((r) => setTimeout(r, 300));
    expect(lastLimit(b, txB)).toBe(5500);
  });

  it('counts a charger that does not confirm, and shows it on the point', async (ctx) => {
    const { t, charger, start } = await setUp(ctx);
    const a = await charger('LM-NO');
    a.answer = 'Rejected';
    const txA = await start(a);
    await waitFor(() => lastLimit(a, txA) === LIMIT);
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const body = await waitFor(async () => {
      const res = await (await t.api('/api/charger/LM-NO/charging-profiles', { token: admin })).json() as any;
      return res.unconfirmed.count === 1 && res;
    });
    expect(body).toEqual({ items: [], unconfirmed: { count: 1, lastStatus: 'Rejected', lastAt: expect.any(String) } });
    const point = await (await t.api('/api/cms/points/LM-NO', { token: admin })).json() as any;
    expect(point.unconfirmedProfiles).toEqual(body.unconfirmed);
  });

  it('sends nothing with LOAD_MANAGEMENT=off', async (ctx) => {
    const { t, charger, start } = await setUp(ctx, { loadManagement: 'off' });
    const a = await charger('LM-OFF');
    await start(a);
    await t.settle();
    await new Promise((r) => setTimeout(r, 200));
    expect(a.received).toEqual([]);
  });
});
