/** The charger's records (connectors, transactions), its timer kinds, and the queued message builder. */
import type { ChargePointStatus, StopReason } from '../../ocpp/index.ts';
import type { SessionOwner } from '../context.ts';
import type { TxMessage, TxRef } from '../tx-outbox.ts';
import type { ConnectorReservation } from './reservation.ts';

export const K_CONNECT = 1;
export const K_HEARTBEAT = 2;
export const K_METER = 3;
export const K_DROP = 4;
export const K_MALFORMED = 5;
export const K_BOOT_RETRY = 6;
export const K_FAULT = 7;
export const K_RECOVER = 8;
export const K_TX_RETRY = 9;
export const K_POWER_ON = 10;
/** A period of the charger's composite schedule begins or ends (charger/smart-charging.ts). */
export const K_LIMIT = 11;
/** An EV begins to draw power (template evStartDelay). */
export const K_EV_DRAWS = 12;

export interface Tx extends TxRef {
  /** '' until the StartTransaction is queued (Authorize, Preparing first). */
  startTimestamp: string;
  /** What the EV would draw, W; it draws less under a charging profile (`limitW`). */
  powerW: number;
  /** What the EV will draw once it wakes up (evStartDelay), and when (performance.now()); null once it draws. */
  wakes: { powerW: number; at: number } | null;
  /** What the charger's composite schedule lets it deliver now, W (Infinity: no limit). */
  limitW: number;
  /** performance.now() of the StartTransaction's answer while no TxProfile for it came yet (`loadmgmt.rebalance`); else null. */
  awaitingProfileSince: number | null;
  /** A TxProfile for it came (accepted or not): `loadmgmt.rebalance` has its answer. */
  txProfileSeen: boolean;
  /** The last register reading put in a MeterValues (Wh); the meterStop is never below it. */
  lastSampledWh: number;
  stopReason: StopReason | null;
  /** Its StopTransaction is queued: the register no longer counts for it. */
  ended: boolean;
  soc: number;
  /** The reservation this transaction uses: its StartTransaction carries it (E2 §5.13). */
  reservationId?: number;
}

export interface Connector {
  status: ChargePointStatus;
  /** Energy register, Wh; never decreases. */
  registerWh: number;
  /** performance.now() up to which the register has been advanced. */
  advancedTo: number;
  tx: Tx | null;
  /** The simulated customer about to use it (the run's bookkeeping, not an OCPP reservation). */
  heldBy: SessionOwner | null;
  /** A simulated customer's reservation of it is on its way to the CSMS (the run's bookkeeping, like heldBy). */
  booking: boolean;
  /** The OCPP reservation (ReserveNow) holding it Reserved, charger/reservation.ts. */
  reservation: ConnectorReservation | null;
  /** ChangeAvailability Inoperative came during a transaction: Unavailable once it ends (E2 §5.2). */
  unavailableAfterTx: boolean;
}

/** What the transaction's connector delivers now, W: the EV's draw under the charger's limit. */
export function deliveredW(tx: Tx): number {
  return Math.min(tx.powerW, tx.limitW);
}

export type ChargerState = 'idle' | 'connecting' | 'online' | 'offline' | 'closed';

/** A transaction message for the outbox, of connector index `i`. */
export function message(action: TxMessage['action'], i: number, tx: Tx, at: number, extra: Partial<TxMessage>): TxMessage {
  return { action, connectorId: i + 1, tx, energyWh: 0, queuedAt: at, failures: 0, sent: false, notBefore: 0, done: false, ...extra };
}
