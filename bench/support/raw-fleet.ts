/**
 * The benchmarks' raw chargers (meter-values.ts, realtime.ts): raw OCPP peers connected in batches
 * and booted, each with a running transaction, sending MeterValues with never more than one CALL
 * outstanding per charger (J §4.1.1). Raw, so the generator costs as little as a client can.
 */
import { openRawPeer, type RawPeer } from '../../src/simulator/raw-peer.ts';
import { MessageType } from '../../src/ocpp/frames.ts';

export interface BenchCharger {
  peer: RawPeer;
  transactionId: number;
  meterWh: number;
  seq: number;
  /** Scheduled send times of MeterValues waiting for the outstanding CALL to be answered. */
  backlog: number[];
  /** The MeterValues CALL on the wire: its id and the time it was scheduled for. */
  inFlight: { id: string; scheduledAt: number } | null;
}

/** Called with the answer to a charger's outstanding MeterValues, once it is no longer in flight. */
export type OnAnswer = (c: BenchCharger, frame: unknown[], scheduledAt: number) => void;

/**
 * Connects `count` chargers `BENCH-0…` (100 at a time) and gets each BootNotification accepted. With
 * several URLs (several CSMS nodes) charger i goes to `ocppUrl[i % n]`.
 */
export async function connectFleet(ocppUrl: string | string[], count: number, onAnswer: OnAnswer): Promise<BenchCharger[]> {
  const urls = typeof ocppUrl === 'string' ? [ocppUrl] : ocppUrl;
  const out: BenchCharger[] = [];
  for (let i = 0; i < count; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, async (_, k) => {
      const c = { transactionId: 0, meterWh: 0, seq: 0, backlog: [], inFlight: null } as unknown as BenchCharger;
      c.peer = await openRawPeer(urls[(i + k) % urls.length]!, `BENCH-${i + k}`, {
        onFrame(frame) {
          const call = c.inFlight;
          if (!call || frame[1] !== call.id) return;
          c.inFlight = null;
          onAnswer(c, frame, call.scheduledAt);
        },
      });
      return c;
    }))));
  }
  await Promise.all(out.map((c) => c.peer.call('BootNotification', { chargePointVendor: 'bench', chargePointModel: 'b1' })));
  return out;
}

/** Starts a transaction on connector 1 of each charger (idTag `BT{i}`, which the bench CSMS accepts). */
export async function startTransactions(chargers: BenchCharger[]): Promise<void> {
  await Promise.all(chargers.map(async (c, i) => {
    const res = await c.peer.call('StartTransaction', { connectorId: 1, idTag: `BT${i}`, meterStart: 0, timestamp: new Date().toISOString() });
    c.transactionId = (res[2] as { transactionId: number }).transactionId;
  }));
}

/** The charger's register grows by 10 Wh and goes out in a MeterValues (with 7.4 kW), now in flight. */
export function sendMeterValues(c: BenchCharger, scheduledAt: number): void {
  c.meterWh += 10;
  const id = `m${c.seq++}`;
  c.inFlight = { id, scheduledAt };
  c.peer.sendText(
    `[${MessageType.CALL},"${id}","MeterValues",{"connectorId":1,"transactionId":${c.transactionId},"meterValue":[{"timestamp":"${new Date().toISOString()}","sampledValue":[{"value":"${c.meterWh}","measurand":"Energy.Active.Import.Register","unit":"Wh"},{"value":"7400","measurand":"Power.Active.Import","unit":"W"}]}]}]`,
  );
}
