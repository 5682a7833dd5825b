/**
 * What the CSMS acknowledged to the simulated chargers and customers: each transaction-related CALL
 * that got a CALLRESULT, and each top-up the API confirmed. An OCPP 1.6 charger resends such a
 * message only while it has no answer, so everything in here is a promise the CSMS must keep; the
 * end-of-run reconciliation checks it against what the target's admin API shows.
 */

/** A StartTransaction the CSMS answered (Accepted or not). */
export interface AckedStart {
  chargerId: string;
  connectorId: number;
  transactionId: number;
  idTag: string;
  meterStart: number;
  timestamp: string;
  accepted: boolean;
}

/** A StopTransaction the CSMS answered. */
export interface AckedStop {
  chargerId: string;
  transactionId: number;
  meterStop: number;
  timestamp: string;
  reason: string | null;
}

/** A MeterValues with a transactionId that the CSMS answered. */
export interface AckedMeter {
  chargerId: string;
  transactionId: number;
  /** The meterValue timestamps it carried. */
  timestamps: string[];
  /** The Energy.Active.Import.Register it carried (Wh), if any. */
  energyWh: number | null;
}

export interface Ledger {
  readonly starts: Map<number, AckedStart>;
  /** The first answered StopTransaction of each transaction (a resend after an answer is a charger bug). */
  readonly stops: Map<number, AckedStop>;
  /** Acknowledged MeterValues, by transactionId. */
  readonly meters: Map<number, AckedMeter[]>;
  /** Top-ups the API confirmed, minor units, by customer email. */
  readonly topUps: Map<string, number>;
  /**
   * Transactions a simulated charger forgot on purpose at a reboot (faults.rebootLosesTransactions):
   * no StopTransaction will come, so the CSMS must close these sessions itself; not its losses.
   */
  readonly lostByCharger: Set<number>;
  ackedStart(a: AckedStart): void;
  ackedStop(a: AckedStop): void;
  ackedMeter(a: AckedMeter): void;
  toppedUp(email: string, amountMinor: number): void;
  lostTransaction(transactionId: number): void;
}

export function createLedger(): Ledger {
  const starts = new Map<number, AckedStart>();
  const stops = new Map<number, AckedStop>();
  const meters = new Map<number, AckedMeter[]>();
  const topUps = new Map<string, number>();
  const lostByCharger = new Set<number>();
  return {
    starts,
    stops,
    meters,
    topUps,
    lostByCharger,
    ackedStart(a) {
      if (!starts.has(a.transactionId)) starts.set(a.transactionId, a);
    },
    ackedStop(a) {
      if (!stops.has(a.transactionId)) stops.set(a.transactionId, a);
    },
    ackedMeter(a) {
      const list = meters.get(a.transactionId);
      if (list) list.push(a);
      else meters.set(a.transactionId, [a]);
    },
    toppedUp(email, amountMinor) {
      topUps.set(email, (topUps.get(email) ?? 0) + amountMinor);
    },
    lostTransaction(transactionId) {
      lostByCharger.add(transactionId);
    },
  };
}
