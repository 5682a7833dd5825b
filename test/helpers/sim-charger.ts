/**
 * The simulator's charger (SimCharger) on a test's CSMS, for tests that need a charger that behaves:
 * it boots, reports its connectors, answers RemoteStart/RemoteStop as charge points do (E2 §5.11,
 * §5.12). Its meter is scripted (`meter()`), so a test states the energy and the times it bills.
 * Everything the charger does is SimCharger's; this file drives it and reads its wire log.
 */
import { performance } from 'node:perf_hooks';
import { MessageType } from '../../src/ocpp/frames.ts';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import { aSimContext, aTemplate } from '../simulator/sim-harness.ts';
import { waitFor, type TestCsms } from './csms.ts';

export interface ChargerTransaction {
  transactionId: number;
  connectorId: number;
  idTag: string;
  meterStartWh: number;
  startedAt: string;
}

export interface Answered {
  action: string;
  payload: any;
  answer: any;
}

export interface TestCharger {
  sim: SimCharger;
  /** The charger's OCPP connection, for a CALL a test sends behind the charger's back. */
  readonly conn: NonNullable<SimCharger['conn']>;
  /** Every CALL the CSMS sent, in order of arrival. */
  received: { action: string; payload: any }[];
  /** Every CALL the charger sent that got a CALLRESULT, with it, in order of the answers. */
  answered: Answered[];
  /** The running transaction once the CSMS accepted it and the charger reported Charging; else null. */
  readonly transaction: ChargerTransaction | null;
  /** The last transaction whose StopTransaction was answered, once the connector was reported free again. */
  readonly stopped: (ChargerTransaction & { meterStopWh: number; stoppedAt: string }) | null;
  /** The first error the charger counted as unexpected (a CALL that failed, a refused idTag); null if none. */
  readonly failure: string | null;
  /** The charger's clock: `at(s)` is s seconds after its transaction started (or after it booted). */
  at(seconds: number): string;
  /**
   * A MeterValues of the running transaction: register `registerWh` and `powerW`, at `atS` by `at()`;
   * resolves once answered. Throws when the charger cannot stamp that time (its clock only moves
   * forward: not before a time it already stamped).
   */
  meter(registerWh: number, powerW: number, atS: number): Promise<void>;
  /**
   * Applied when the next RemoteStopTransaction comes: the register at the stop, and its time by `at()`
   * (which must be later than anything the charger stamped so far; else `stopped` throws).
   */
  stopWith: { meterStopWh: number | null; atS: number } | null;
  /** Starts a transaction at the charger (as after a RemoteStart); resolves with the CSMS's StartTransaction answer. */
  startTransaction(idTag: string, connectorId?: number): Promise<any>;
}

/** Connects `identity` (which must exist and be Accepted), boots it and waits until it reported its connectors. */
export async function aTestCharger(t: { info: Pick<TestCsms['info'], 'ocppUrl' | 'httpUrl'> }, identity: string, opts: { connectors?: number; meterStartWh?: number } = {}): Promise<TestCharger> {
  const connectors = opts.connectors ?? 1;
  const ctx = aSimContext(t.info.ocppUrl, t.info.httpUrl);
  const shared = createFleetShared(ctx);
  const sim = new SimCharger(0, identity, aTemplate(`connectors: ${connectors}\nheartbeatInterval: 1h\nmeterValues: { interval: 1h }`), null, ctx, shared);
  sim.scriptedMeter = true;
  // The meter as installed, before the charger powers on.
  for (const c of sim.connectors) c.registerWh = opts.meterStartWh ?? 0;
  const bootedAt = Date.now();
  const received: { action: string; payload: any }[] = [];
  const answered: Answered[] = [];
  const calls = new Map<string, { action: string; payload: any }>();

  const wallAt = (startedAt: string | null, seconds: number) => (startedAt ? Date.parse(startedAt) : bootedAt) + seconds * 1000;
  // The charger's timestamps only move forward (src/simulator/charger/energy.ts): a time at or before
  // one it already stamped would silently become the next millisecond after that one.
  let clockError: Error | null = null;
  const setClock = (wallMs: number, at?: number): Error | null => {
    if (wallMs <= sim.lastTs) return new Error(`${identity}: cannot stamp ${new Date(wallMs).toISOString()}: the charger already stamped ${new Date(sim.lastTs).toISOString()} and its clock only moves forward`);
    sim.setClock(wallMs, at);
    return null;
  };
  const running = () => sim.connectors.findIndex((c) => c.tx && c.tx.transactionId !== null && !c.tx.refused && !c.tx.ended);
  const charger: TestCharger = {
    sim,
    get conn() {
      if (!sim.conn) throw new Error(`${identity} is not connected`);
      return sim.conn;
    },
    received,
    answered,
    stopWith: null,
    get transaction() {
      const i = running();
      if (i < 0) return null;
      const tx = sim.connectors[i].tx!;
      const k = answered.findIndex((a) => a.action === 'StartTransaction' && a.answer.transactionId === tx.transactionId);
      const charging = k >= 0 && answered.slice(k).some((a) => a.action === 'StatusNotification' && a.payload.connectorId === i + 1 && a.payload.status === 'Charging');
      return charging ? { transactionId: tx.transactionId!, connectorId: i + 1, idTag: tx.idTag, meterStartWh: tx.meterStart, startedAt: tx.startTimestamp } : null;
    },
    get stopped() {
      if (clockError) throw clockError;
      for (let k = answered.length - 1; k >= 0; k--) {
        const stop = answered[k];
        if (stop.action !== 'StopTransaction') continue;
        const start = answered.find((a) => a.action === 'StartTransaction' && a.answer.transactionId === stop.payload.transactionId);
        if (!start) return null;
        const connectorId = start.payload.connectorId;
        const free = answered.slice(k).some((a) => a.action === 'StatusNotification' && a.payload.connectorId === connectorId && (a.payload.status === 'Available' || a.payload.status === 'Unavailable'));
        if (!free) return null;
        return {
          transactionId: stop.payload.transactionId, connectorId, idTag: start.payload.idTag, meterStartWh: start.payload.meterStart, startedAt: start.payload.timestamp,
          meterStopWh: stop.payload.meterStop, stoppedAt: stop.payload.timestamp,
        };
      }
      return null;
    },
    get failure() {
      const { top, unexpected } = ctx.metrics.errors();
      return unexpected > 0 ? top.map((e) => e.key).join('; ') : null;
    },
    at(seconds) {
      return new Date(wallAt(charger.transaction?.startedAt ?? null, seconds)).toISOString();
    },
    async meter(registerWh, powerW, atS) {
      const tx = charger.transaction;
      if (!tx) throw new Error('no transaction running');
      const before = answered.filter((a) => a.action === 'MeterValues').length;
      const now = performance.now();
      const wallMs = wallAt(tx.startedAt, atS);
      const refused = setClock(wallMs, now);
      if (refused) throw refused;
      if (!sim.meterReading(tx.connectorId - 1, registerWh, powerW, now)) throw new Error('the charger took no reading');
      const sent = await waitFor(() => answered.filter((a) => a.action === 'MeterValues').at(before));
      const stamped: string = sent.payload.meterValue[0].timestamp;
      if (Date.parse(stamped) !== Math.round(wallMs)) throw new Error(`${identity}: the MeterValues was stamped ${stamped}, not ${new Date(wallMs).toISOString()}`);
    },
    async startTransaction(idTag, connectorId = 1) {
      const i = connectorId - 1;
      const tx = sim.claim(i, idTag);
      void sim.runStart(i, tx, 'app', performance.now());
      await waitFor(() => tx.transactionId !== null);
      return answered.find((a) => a.action === 'StartTransaction' && a.answer.transactionId === tx.transactionId)!.answer;
    },
  };

  // A test's charger ends with its connection (the test closed it, or its CSMS went): it does not
  // reconnect behind the test's back. A reboot's own close (a Reset) is no end.
  let watched: SimCharger['conn'] = null;
  const endWith = (conn: NonNullable<SimCharger['conn']>) => {
    watched = conn;
    conn.socket.once('close', () => {
      if (sim.poweredOff) return;
      sim.shutdown();
      ctx.scheduler.clear();
    });
  };
  const record = shared.onMessage;
  shared.onMessage = (m) => {
    record(m);
    if (sim.conn && sim.conn !== watched) endWith(sim.conn);
    if (m.direction === 'out' && m.messageType === MessageType.CALL) calls.set(m.messageId!, { action: m.action!, payload: m.payload });
    if (m.direction === 'in' && m.messageType === MessageType.CALLRESULT) {
      const call = calls.get(m.messageId!);
      if (call) answered.push({ ...call, answer: m.payload });
    }
    if (m.direction === 'in' && m.messageType === MessageType.CALL) {
      received.push({ action: m.action!, payload: m.payload });
      const stopWith = charger.stopWith;
      const tx = charger.transaction;
      if (m.action === 'RemoteStopTransaction' && stopWith && tx && !sim.refusesRemoteStop) {
        // Before the charger acts on the command (after its answer): the stop reads this register at this time.
        if (stopWith.meterStopWh !== null) sim.meterReading(tx.connectorId - 1, stopWith.meterStopWh);
        clockError ??= setClock(wallAt(tx.startedAt, stopWith.atS));
      }
    }
  };

  sim.scheduleConnect(performance.now());
  await waitFor(() => sim.link());
  await waitFor(() => sim.connectors.every((_, i) => answered.some((a) => a.action === 'StatusNotification' && a.payload.connectorId === i + 1)));
  return charger;
}
