/**
 * The simulated charger's Smart Charging, against a test CSMS of our own OCPP connection on a real
 * socket: it answers the charger's CALLs, sends SetChargingProfile, ClearChargingProfile and
 * GetCompositeSchedule, and reads the power the charger reports in its MeterValues.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ChargingProfile, ChargingSchedulePeriod, MeterValuesRequest } from '../../src/ocpp/index.ts';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import type { SimContext } from '../../src/simulator/context.ts';
import { waitFor } from '../helpers/csms.ts';
import { closeAll, startServer, type CsmsSide } from '../ocpp/helpers.ts';
import { aSimContext, aTemplate } from './sim-harness.ts';

const chargers: SimCharger[] = [];
let raw: WebSocketServer | null = null;
afterEach(async () => {
  for (const client of raw?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (raw ? raw.close(() => resolve()) : resolve()));
  raw = null;
  for (const c of chargers.splice(0)) {
    c.shutdown();
    c.ctx.scheduler.clear();
  }
  await closeAll();
});

interface TestCsms {
  conn: CsmsSide;
  charger: SimCharger;
  meterValues: MeterValuesRequest[];
  starts: number[];
  /** The Power.Active.Import of the MeterValues received after `mark` (an index into meterValues). */
  powerSince(mark: number): number[];
}

/** A CSMS that accepts everything, and one charger of `template` connected to it. */
async function aChargerOnTestCsms(template: string, id = 'SC-1'): Promise<TestCsms> {
  const meterValues: MeterValuesRequest[] = [];
  const starts: number[] = [];
  let nextTx = 100;
  const server = await startServer({
    handlers: {
      BootNotification: () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 3600 }),
      Heartbeat: () => ({ currentTime: new Date().toISOString() }),
      StatusNotification: () => ({}),
      Authorize: () => ({ idTagInfo: { status: 'Accepted' } }),
      StartTransaction: () => {
        starts.push(++nextTx);
        return { transactionId: nextTx, idTagInfo: { status: 'Accepted' } };
      },
      MeterValues: (req) => {
        meterValues.push(req);
        return {};
      },
      StopTransaction: () => ({ idTagInfo: { status: 'Accepted' } }),
    },
  });
  const ctx: SimContext = aSimContext(server.endpoint);
  const charger = new SimCharger(chargers.length, id, aTemplate(template), null, ctx, createFleetShared(ctx));
  chargers.push(charger);
  charger.scheduleConnect(performance.now());
  const conn = await server.nextConnection();
  await waitFor(() => charger.link());
  const power = (m: MeterValuesRequest) => Number(m.meterValue[0].sampledValue.find((s) => s.measurand === 'Power.Active.Import')!.value);
  return { conn, charger, meterValues, starts, powerSince: (mark) => meterValues.slice(mark).map(power) };
}

const NOW = () => new Date().toISOString();

function aProfile(overrides: Partial<ChargingProfile> & { periods?: ChargingSchedulePeriod[]; unit?: 'A' | 'W' } = {}): ChargingProfile {
  const { periods, unit, ...rest } = overrides;
  return {
    chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute',
    chargingSchedule: { startSchedule: NOW(), chargingRateUnit: unit ?? 'W', chargingSchedulePeriod: periods ?? [{ startPeriod: 0, limit: 7000 }] },
    ...rest,
  };
}

const TEMPLATE = `connectors: 2
powerKw: 22
heartbeatInterval: 1h
meterValues: { interval: 0.2s, measurands: [Energy.Active.Import.Register, Power.Active.Import] }`;

/** Starts a transaction on connector index `i` as after a RemoteStart; resolves with its transactionId once answered. */
async function start(charger: SimCharger, i = 0): Promise<number> {
  const tx = charger.claim(i, 'TAG-1');
  void charger.runStart(i, tx, 'app', performance.now());
  return waitFor(() => tx.transactionId);
}

describe('SetChargingProfile, ClearChargingProfile, GetCompositeSchedule', () => {
  it('accepts profiles by the rules, replaces namesakes, clears by criteria and reports the composite schedule', async () => {
    const { conn } = await aChargerOnTestCsms(TEMPLATE);
    const set = async (connectorId: number, p: ChargingProfile) => (await conn.call('SetChargingProfile', { connectorId, csChargingProfiles: p })).status;

    // E2 §3.13: a TxProfile needs its transaction; a ChargePointMaxProfile belongs on connector 0.
    expect(await set(1, aProfile({ chargingProfilePurpose: 'TxProfile' }))).toBe('Rejected');
    expect(await set(1, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' }))).toBe('Rejected');
    expect(await set(3, aProfile())).toBe('Rejected');
    // The charger's caps (E2 §9.4 keys): stack levels up to 8, 24 periods.
    expect(await set(0, aProfile({ stackLevel: 9 }))).toBe('Rejected');
    expect(await set(0, aProfile({ periods: Array.from({ length: 25 }, (_, k) => ({ startPeriod: k * 60, limit: 1000 })) }))).toBe('Rejected');
    const relativeWithStart = aProfile({ chargingProfileKind: 'Relative' });
    expect(await set(0, relativeWithStart)).toBe('Rejected');

    expect(await set(0, aProfile({ chargingProfileId: 1, chargingProfilePurpose: 'ChargePointMaxProfile', periods: [{ startPeriod: 0, limit: 30_000 }] }))).toBe('Accepted');
    expect(await set(0, aProfile({ chargingProfileId: 2, stackLevel: 1, periods: [{ startPeriod: 0, limit: 16 }], unit: 'A' }))).toBe('Accepted');
    // Same connector, purpose and stackLevel: id 3 replaces id 2.
    expect(await set(0, aProfile({ chargingProfileId: 3, stackLevel: 1, periods: [{ startPeriod: 0, limit: 10 }], unit: 'A' }))).toBe('Accepted');
    expect(await conn.call('ClearChargingProfile', { id: 2 })).toEqual({ status: 'Unknown' });

    // Connector 1: the 10 A TxDefaultProfile (6900 W) under the 30 kW cap; connector 0: 2 × 6900 W.
    const one = await conn.call('GetCompositeSchedule', { connectorId: 1, duration: 600, chargingRateUnit: 'W' });
    expect(one).toMatchObject({ status: 'Accepted', connectorId: 1, chargingSchedule: { duration: 600, chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6900 }] } });
    expect(Math.abs(Date.parse(one.scheduleStart!) - Date.now())).toBeLessThan(5000);
    const all = await conn.call('GetCompositeSchedule', { connectorId: 0, duration: 600, chargingRateUnit: 'A' });
    expect(all.chargingSchedule!.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 20 }]);
    expect(await conn.call('GetCompositeSchedule', { connectorId: 3, duration: 600 })).toEqual({ status: 'Rejected' });

    expect(await conn.call('ClearChargingProfile', { chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 2 })).toEqual({ status: 'Unknown' });
    expect(await conn.call('ClearChargingProfile', { chargingProfilePurpose: 'TxDefaultProfile' })).toEqual({ status: 'Accepted' });
    expect(await conn.call('ClearChargingProfile', { chargingProfilePurpose: 'TxDefaultProfile' })).toEqual({ status: 'Unknown' });
    const capped = await conn.call('GetCompositeSchedule', { connectorId: 0, duration: 60, chargingRateUnit: 'W' });
    expect(capped.chargingSchedule!.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 30_000 }]);
    expect(await conn.call('ClearChargingProfile', {})).toEqual({ status: 'Accepted' });
    const free = await conn.call('GetCompositeSchedule', { connectorId: 0, duration: 60, chargingRateUnit: 'W' });
    expect(free.chargingSchedule!.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 44_000 }]);
  });

  it('reports the Smart Charging keys and the profile; a template may set the caps', async () => {
    const { conn } = await aChargerOnTestCsms(`${TEMPLATE}\nconfiguration: { ChargeProfileMaxStackLevel: 2, ChargingScheduleAllowedChargingRateUnit: Current }`);
    const keys = ['SupportedFeatureProfiles', 'ChargeProfileMaxStackLevel', 'ChargingScheduleAllowedChargingRateUnit', 'ChargingScheduleMaxPeriods', 'ConnectorSwitch3to1PhaseSupported', 'MaxChargingProfilesInstalled'];
    const res = await conn.call('GetConfiguration', { key: keys });
    expect(res.configurationKey!.map((k) => [k.key, k.value, k.readonly])).toEqual([
      ['SupportedFeatureProfiles', 'Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger', true],
      ['ChargeProfileMaxStackLevel', '2', true],
      ['ChargingScheduleAllowedChargingRateUnit', 'Current', true],
      ['ChargingScheduleMaxPeriods', '24', true],
      ['ConnectorSwitch3to1PhaseSupported', 'false', true],
      ['MaxChargingProfilesInstalled', '16', true],
    ]);
    expect(await conn.call('ChangeConfiguration', { key: 'ChargeProfileMaxStackLevel', value: '5' })).toEqual({ status: 'Rejected' });
    const set = async (p: ChargingProfile) => (await conn.call('SetChargingProfile', { connectorId: 0, csChargingProfiles: p })).status;
    expect(await set(aProfile({ stackLevel: 3, unit: 'A', periods: [{ startPeriod: 0, limit: 16 }] }))).toBe('Rejected');
    expect(await set(aProfile({ stackLevel: 2, unit: 'W' }))).toBe('Rejected');
    expect(await set(aProfile({ stackLevel: 2, unit: 'A', periods: [{ startPeriod: 0, limit: 16 }] }))).toBe('Accepted');
    // Only amps allowed: the composite comes in A unless asked otherwise, and W is refused.
    expect((await conn.call('GetCompositeSchedule', { connectorId: 1, duration: 60 })).chargingSchedule).toMatchObject({ chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] });
    expect(await conn.call('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'W' })).toEqual({ status: 'Rejected' });
  });
});

describe('the power model obeys the composite schedule', () => {
  it('a TxProfile caps the reported power and the energy at once; another transaction\'s is refused; it goes with its transaction', async () => {
    const t = await aChargerOnTestCsms(TEMPLATE);
    // At a station with a grid limit: its transactions wait for a TxProfile (loadmgmt.rebalance).
    t.charger.ctx.sites.join(t.charger, 'Depot', 22_000);
    const txId = await start(t.charger);
    await waitFor(() => t.powerSince(0).length >= 2);
    expect(t.powerSince(0).every((w) => w === 22_000)).toBe(true);

    const set = async (p: ChargingProfile) => (await t.conn.call('SetChargingProfile', { connectorId: 1, csChargingProfiles: p })).status;
    expect(await set(aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: txId + 1 }))).toBe('Rejected');
    // ConnectorSwitch3to1PhaseSupported is false: no switch to one phase during the transaction.
    expect(await set(aProfile({ chargingProfilePurpose: 'TxProfile', unit: 'A', periods: [{ startPeriod: 0, limit: 16, numberPhases: 1 }] }))).toBe('Rejected');
    const mark = t.meterValues.length;
    expect(await set(aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: txId, stackLevel: 0, periods: [{ startPeriod: 0, limit: 7000 }] }))).toBe('Accepted');
    await waitFor(() => t.powerSince(mark).length >= 4);
    expect(t.powerSince(mark)).toEqual([7000, 7000, 7000, 7000]);

    // Energy between two readings at 7 kW: Wh = 7000 × Δt / 3600 (whole Wh on the wire, each reading at least 1 Wh more).
    const [a, b] = t.meterValues.slice(mark + 1, mark + 4).filter((_, k) => k !== 1);
    const wh = (m: MeterValuesRequest) => Number(m.meterValue[0].sampledValue.find((s) => s.measurand === 'Energy.Active.Import.Register')!.value);
    const hours = (Date.parse(b.meterValue[0].timestamp) - Date.parse(a.meterValue[0].timestamp)) / 3_600_000;
    expect(wh(b) - wh(a)).toBeGreaterThanOrEqual(Math.floor(7000 * hours) - 1);
    expect(wh(b) - wh(a)).toBeLessThanOrEqual(Math.ceil(7000 * hours) + 1);

    // The StartTransaction was answered, then this TxProfile came: one rebalance latency, no timeout.
    t.charger.ctx.metrics.roll();
    expect(t.charger.ctx.metrics.stats()['loadmgmt.rebalance'].count).toBe(1);
    expect(t.charger.ctx.metrics.counters.rebalanceTimeouts).toBe(0);

    t.charger.stop(0, 'Local');
    await waitFor(() => t.charger.connectors[0].tx === null);
    const after = await t.conn.call('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'W' });
    expect(after.chargingSchedule!.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 22_000 }]);
    expect(await t.conn.call('ClearChargingProfile', { chargingProfilePurpose: 'TxProfile' })).toEqual({ status: 'Unknown' });

    // The next transaction gets no TxProfile: it ends still waiting, one timeout.
    await start(t.charger);
    t.charger.stop(0, 'Local');
    await waitFor(() => t.charger.connectors[0].tx === null);
    expect(t.charger.ctx.metrics.counters.rebalanceTimeouts).toBe(1);
  });

  it('a ChargePointMaxProfile is shared out between the running transactions; a TxDefaultProfile caps a new one from its start', async () => {
    const t = await aChargerOnTestCsms(TEMPLATE);
    const set = async (connectorId: number, p: ChargingProfile) => (await t.conn.call('SetChargingProfile', { connectorId, csChargingProfiles: p })).status;
    expect(await set(2, aProfile({ chargingProfileId: 5, periods: [{ startPeriod: 0, limit: 4000 }] }))).toBe('Accepted');
    await start(t.charger, 0);
    await start(t.charger, 1);
    const byConnector = (mark: number, connectorId: number) => t.meterValues.slice(mark).filter((m) => m.connectorId === connectorId).map((m) => Number(m.meterValue[0].sampledValue[1].value));
    await waitFor(() => byConnector(0, 2).length >= 1);
    expect(byConnector(0, 2)[0]).toBe(4000);
    expect(byConnector(0, 1)[0]).toBe(22_000);
    // 20 kW for the charger: connector 2 wants only its 4 kW, connector 1 gets the other 16 kW.
    expect(await set(0, aProfile({ chargingProfileId: 6, chargingProfilePurpose: 'ChargePointMaxProfile', periods: [{ startPeriod: 0, limit: 20_000 }] }))).toBe('Accepted');
    const mark = t.meterValues.length;
    await waitFor(() => byConnector(mark, 1).length >= 2 && byConnector(mark, 2).length >= 2);
    expect(byConnector(mark, 1).slice(0, 2)).toEqual([16_000, 16_000]);
    expect(byConnector(mark, 2).slice(0, 2)).toEqual([4000, 4000]);
  });

  it('the limit changes at a period boundary of the schedule, between samples', async () => {
    const t = await aChargerOnTestCsms(TEMPLATE.replace('interval: 0.2s', 'interval: 1h'));
    await start(t.charger);
    const tx = t.charger.connectors[0].tx!;
    const periods = [{ startPeriod: 0, limit: 3000 }, { startPeriod: 1, limit: 6000 }];
    expect((await t.conn.call('SetChargingProfile', { connectorId: 1, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile', periods }) })).status).toBe('Accepted');
    expect(tx.limitW).toBe(3000);
    // No meter sample in between (one an hour): the K_LIMIT timer moves it at the second boundary.
    await waitFor(() => tx.limitW === 6000, 3000);
  });

  it('samples between far boundaries re-read the schedule without piling up timers', async () => {
    const t = await aChargerOnTestCsms(TEMPLATE.replace('interval: 0.2s', 'interval: 0.05s'));
    await start(t.charger);
    const validTo = new Date(Date.now() + 86_400_000).toISOString();
    expect((await t.conn.call('SetChargingProfile', { connectorId: 0, csChargingProfiles: aProfile({ validTo }) })).status).toBe('Accepted');
    const before = t.charger.ctx.scheduler.size;
    const mark = t.meterValues.length;
    // A reading sampled just before the profile came may arrive after its answer: count from the first capped one.
    const capped = await waitFor(() => {
      const seen = t.powerSince(mark);
      const k = seen.indexOf(7000);
      return k >= 0 && seen.length - k >= 10 && seen.slice(k);
    });
    expect(capped.every((w) => w === 7000)).toBe(true);
    expect(t.charger.ctx.scheduler.size).toBeLessThanOrEqual(before);
  });

  it('an EV that wakes up after evStartDelay draws nothing until then, then its power under the limit', async () => {
    const t = await aChargerOnTestCsms(`${TEMPLATE.replace('interval: 0.2s', 'interval: 0.1s')}\nevStartDelay: 0.6s`);
    const started = performance.now();
    const txId = await start(t.charger);
    await waitFor(() => t.powerSince(0).length >= 1);
    expect(t.powerSince(0)[0]).toBe(0);
    // Its TxProfile comes while the EV still sleeps: it wakes up under it.
    expect((await t.conn.call('SetChargingProfile', { connectorId: 1, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: txId, periods: [{ startPeriod: 0, limit: 9000 }] }) })).status).toBe('Accepted');
    await waitFor(() => t.powerSince(0).at(-1) === 9000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    expect(t.powerSince(0).filter((w) => w !== 0 && w !== 9000)).toEqual([]);
  });

  it('RemoteStartTransaction with a TxProfile charges under it from the start; another purpose is refused', async () => {
    const t = await aChargerOnTestCsms(TEMPLATE);
    const txDefault = aProfile({ chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative' });
    delete txDefault.chargingSchedule.startSchedule;
    expect(await t.conn.call('RemoteStartTransaction', { idTag: 'TAG-1', connectorId: 1, chargingProfile: txDefault })).toEqual({ status: 'Rejected' });
    const txProfile = { ...txDefault, chargingProfilePurpose: 'TxProfile' as const, chargingSchedule: { ...txDefault.chargingSchedule, chargingSchedulePeriod: [{ startPeriod: 0, limit: 5000 }] } };
    expect(await t.conn.call('RemoteStartTransaction', { idTag: 'TAG-1', connectorId: 1, chargingProfile: txProfile })).toEqual({ status: 'Accepted' });
    await waitFor(() => t.powerSince(0).length >= 2);
    expect(t.powerSince(0).slice(0, 2)).toEqual([5000, 5000]);
  });
});

describe('site power', () => {
  it('site.power.max is the largest sum of the station\'s reported power at a sample', async () => {
    const a = await aChargerOnTestCsms(TEMPLATE.replace('connectors: 2', 'connectors: 1'), 'SITE-A');
    const b = await aChargerOnTestCsms(TEMPLATE.replace('connectors: 2', 'connectors: 1'), 'SITE-B');
    const sites = a.charger.ctx.sites;
    b.charger.ctx.sites = sites;
    sites.join(a.charger, 'Depot');
    sites.join(b.charger, 'Depot');
    const cap = (t: TestCsms, limit: number) => t.conn.call('SetChargingProfile', { connectorId: 1, csChargingProfiles: aProfile({ chargingProfileId: limit, periods: [{ startPeriod: 0, limit }] }) });
    await cap(a, 5000);
    await cap(b, 6000);
    await start(a.charger);
    await start(b.charger);
    await waitFor(() => a.powerSince(0).length >= 2 && b.powerSince(0).length >= 2);
    expect(sites.snapshot()).toEqual({ powerMaxW: 11_000, stations: { Depot: { powerW: 11_000, powerMaxW: 11_000 } } });
    // A station without a grid limit owes its transactions no TxProfile: none is missed.
    a.charger.stop(0, 'Local');
    await waitFor(() => a.charger.connectors[0].tx === null);
    expect(a.charger.ctx.metrics.counters.rebalanceTimeouts).toBe(0);
    // Lowered: the maximum stays, the present power follows.
    await cap(b, 2000);
    expect(sites.snapshot().stations.Depot).toEqual({ powerW: 2000, powerMaxW: 11_000 });
  });
});

describe('a TxProfile right behind the StartTransaction answer', () => {
  it('is its transaction\'s even when both arrive in one read (the CALL is handled before the answer\'s continuation)', async () => {
    raw = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ocpp1.6' });
    await new Promise<void>((resolve) => raw!.once('listening', resolve));
    const answers: Record<string, unknown> = {};
    const power: number[] = [];
    raw.on('connection', (socket) => {
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        if (frame[0] === 3) answers[frame[1]] = frame[2];
        if (frame[0] !== 2) return;
        const [, id, action, payload] = frame;
        if (action === 'MeterValues') power.push(Number(payload.meterValue[0].sampledValue[1].value));
        if (action !== 'StartTransaction') {
          const conf = action === 'BootNotification' ? { status: 'Accepted', currentTime: new Date().toISOString(), interval: 3600 } : {};
          socket.send(JSON.stringify([3, id, conf]));
          return;
        }
        // The answer and the CSMS's TxProfile for it in one write: the charger reads them together.
        const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
        tcp.cork();
        socket.send(JSON.stringify([3, id, { transactionId: 77, idTagInfo: { status: 'Accepted' } }]));
        const csChargingProfiles = aProfile({ chargingProfileId: 9, chargingProfilePurpose: 'TxProfile', transactionId: 77, chargingProfileKind: 'Relative', periods: [{ startPeriod: 0, limit: 4000 }] });
        delete csChargingProfiles.chargingSchedule.startSchedule;
        socket.send(JSON.stringify([2, 'scp-1', 'SetChargingProfile', { connectorId: 1, csChargingProfiles }]));
        process.nextTick(() => tcp.uncork());
      });
    });
    const ctx = aSimContext(`ws://127.0.0.1:${(raw.address() as AddressInfo).port}/ocpp`);
    const charger = new SimCharger(0, 'RACE-1', aTemplate(TEMPLATE.replace('connectors: 2', 'connectors: 1')), null, ctx, createFleetShared(ctx));
    chargers.push(charger);
    ctx.sites.join(charger, 'Depot', 22_000);
    charger.scheduleConnect(performance.now());
    await waitFor(() => charger.link());
    await start(charger);
    await waitFor(() => answers['scp-1']);
    expect(answers['scp-1']).toEqual({ status: 'Accepted' });
    const mark = power.length;
    await waitFor(() => power.length >= mark + 2);
    expect(power.slice(mark, mark + 2)).toEqual([4000, 4000]);
    // It counts as a rebalance that came with the answer, not as one that never came.
    ctx.metrics.roll();
    expect(ctx.metrics.stats()['loadmgmt.rebalance']?.count).toBe(1);
    charger.stop(0, 'Local');
    await waitFor(() => charger.connectors[0].tx?.ended);
    expect(ctx.metrics.counters.rebalanceTimeouts).toBe(0);
  });
});
