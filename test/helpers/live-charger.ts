/**
 * A charger that behaves like a real one, on our own OCPP client: it boots, reports its connectors
 * Available, and answers RemoteStart/RemoteStop the way charge points do (E2 §5.11, §5.12): first the
 * answer, then, if it accepted, the messages of the transaction it starts or stops. Every command it
 * receives is recorded, so a test can check what reached the wire.
 */
import { aBootNotification, aMeterValue, aMeterValues, aSampledValue, aStatusNotification, type ChargePointStatus, type OcppConnection } from '../../src/ocpp/index.ts';
import type { TestCsms } from './csms.ts';

export interface LiveTransaction {
  transactionId: number;
  connectorId: number;
  idTag: string;
  meterStartWh: number;
  startedAt: string;
}

export interface LiveCharger {
  conn: OcppConnection<any, any, unknown>;
  /** Every CALL the CSMS sent, in order of arrival. */
  received: { action: string; payload: any }[];
  /** What the charger answers to the next RemoteStartTransaction / RemoteStopTransaction. */
  answers: { remoteStart: 'Accepted' | 'Rejected'; remoteStop: 'Accepted' | 'Rejected' };
  /** The running transaction once the CSMS answered its StartTransaction; null before and after. */
  transaction: LiveTransaction | null;
  /** The last transaction this charger stopped with StopTransaction. */
  stopped: (LiveTransaction & { meterStopWh: number; stoppedAt: string }) | null;
  /** The first failure of a CALL the charger sent on its own (after answering a command). */
  failure: unknown;
  /** The charger's clock: `at(s)` is s seconds after its transaction started (or after boot). */
  at(seconds: number): string;
  /** Sends MeterValues for the running transaction: the energy register (Wh) and active power (W) at `atS`. */
  meter(registerWh: number, powerW: number, atS: number): Promise<void>;
  /** What the charger's StopTransaction will report as meterStop and when, relative to the start. */
  stopWith: { meterStopWh: number | null; atS: number };
}

/** Connects `identity` (which must exist and be Accepted), boots it and reports `connectors` Available. */
export async function aLiveCharger(t: TestCsms, identity: string, opts: { connectors?: number; meterStartWh?: number } = {}): Promise<LiveCharger> {
  const conn = await t.connect(identity);
  const t0 = Date.now();
  let lastRegisterWh = opts.meterStartWh ?? 0;
  const charger: LiveCharger = {
    conn,
    received: [],
    answers: { remoteStart: 'Accepted', remoteStop: 'Accepted' },
    transaction: null,
    stopped: null,
    failure: null,
    stopWith: { meterStopWh: null, atS: 0 },
    at(seconds) {
      const base = charger.transaction ? Date.parse(charger.transaction.startedAt) : t0;
      return new Date(base + seconds * 1000).toISOString();
    },
    async meter(registerWh, powerW, atS) {
      const tx = charger.transaction;
      if (!tx) throw new Error('no transaction running');
      lastRegisterWh = registerWh;
      await conn.call('MeterValues', aMeterValues({
        connectorId: tx.connectorId,
        transactionId: tx.transactionId,
        meterValue: [aMeterValue({
          timestamp: charger.at(atS),
          sampledValue: [
            aSampledValue({ value: String(registerWh) }),
            aSampledValue({ measurand: 'Power.Active.Import', unit: 'W', value: String(powerW) }),
          ],
        })],
      }));
    },
  };

  // A real charger sends its own CALLs after it has answered, never from inside the answer.
  const afterAnswer = (work: () => Promise<void>) => setImmediate(() => work().catch((err) => { charger.failure ??= err; }));
  const status = (connectorId: number, s: ChargePointStatus, timestamp = new Date().toISOString()) =>
    conn.call('StatusNotification', aStatusNotification({ connectorId, status: s, timestamp }));

  conn.handle('RemoteStartTransaction', (payload: any) => {
    charger.received.push({ action: 'RemoteStartTransaction', payload });
    const answer = charger.answers.remoteStart;
    if (answer === 'Accepted') {
      afterAnswer(async () => {
        const connectorId = payload.connectorId ?? 1;
        await status(connectorId, 'Preparing');
        const startedAt = new Date().toISOString();
        const meterStartWh = lastRegisterWh;
        const res = await conn.call('StartTransaction', { connectorId, idTag: payload.idTag, meterStart: meterStartWh, timestamp: startedAt });
        if (res.idTagInfo.status !== 'Accepted') {
          await status(connectorId, 'Available');
          return;
        }
        await status(connectorId, 'Charging');
        charger.transaction = { transactionId: res.transactionId, connectorId, idTag: payload.idTag, meterStartWh, startedAt };
      });
    }
    return { status: answer };
  });

  conn.handle('RemoteStopTransaction', (payload: any) => {
    charger.received.push({ action: 'RemoteStopTransaction', payload });
    const tx = charger.transaction;
    // E2 §5.12: a charger rejects a stop for a transaction it is not running.
    const answer = tx && tx.transactionId === payload.transactionId ? charger.answers.remoteStop : 'Rejected';
    if (answer === 'Accepted' && tx) {
      afterAnswer(async () => {
        const meterStopWh = charger.stopWith.meterStopWh ?? lastRegisterWh;
        const stoppedAt = charger.at(charger.stopWith.atS);
        await status(tx.connectorId, 'Finishing');
        await conn.call('StopTransaction', { transactionId: tx.transactionId, meterStop: meterStopWh, timestamp: stoppedAt, idTag: tx.idTag, reason: 'Remote' });
        lastRegisterWh = meterStopWh;
        charger.transaction = null;
        await status(tx.connectorId, 'Available');
        charger.stopped = { ...tx, meterStopWh, stoppedAt };
      });
    }
    return { status: answer };
  });

  // The plain commands a CMS sends: accepted, as a healthy charger would.
  conn.handle('Reset', (payload: any) => {
    charger.received.push({ action: 'Reset', payload });
    return { status: 'Accepted' };
  });
  conn.handle('UnlockConnector', (payload: any) => {
    charger.received.push({ action: 'UnlockConnector', payload });
    return { status: 'Unlocked' };
  });

  const boot = await conn.call('BootNotification', aBootNotification());
  if (boot.status !== 'Accepted') throw new Error(`${identity}: boot ${boot.status}`);
  for (let c = 1; c <= (opts.connectors ?? 1); c++) await status(c, 'Available');
  return charger;
}
