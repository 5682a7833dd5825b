/**
 * The Reservation profile of a simulated charger (E2 §3.12, §5.7, §5.13): ReserveNow holds a
 * connector Reserved for one idTag until its expiryDate, CancelReservation or the transaction that
 * uses it (whose StartTransaction carries the reservationId). Not to be confused with a connector's
 * `heldBy`, the run's own note of which simulated customer is about to use it.
 */
import type { CancelReservationStatus, ReservationStatus, ReserveNowRequest } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import type { Connector } from './model.ts';
import { reportStatus } from './status.ts';

export interface ConnectorReservation {
  id: number;
  idTag: string;
  parentIdTag: string | null;
  /** Wall-clock ms (the charger's clock) when it lapses. */
  expiresAtMs: number;
  timer: NodeJS.Timeout | null;
}

/** A charger-wide reservation (connectorId 0, with ReserveConnectorZeroSupported), kept per charger. */
const wholeCharger = new WeakMap<SimCharger, ConnectorReservation>();

/** Statuses in which a vehicle is plugged in or a transaction runs: E2 §5.13 Occupied. */
const OCCUPIED = new Set(['Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing']);

const sameTag = (a: string, b: string | null) => b !== null && a.toLowerCase() === b.toLowerCase();

function unusable(ch: SimCharger, c: Connector): ReservationStatus | null {
  if (c.status === 'Faulted') return 'Faulted';
  if (c.status === 'Unavailable' || ch.cpUnavailable) return 'Unavailable';
  if (c.tx !== null || c.heldBy !== null || OCCUPIED.has(c.status)) return 'Occupied';
  return null;
}

function clear(r: ConnectorReservation): void {
  if (r.timer) clearTimeout(r.timer);
  r.timer = null;
}

/** Where reservation `id` is held: a connector index, -1 for the whole charger, null for nowhere. */
function find(ch: SimCharger, id: number): number | null {
  const i = ch.connectors.findIndex((c) => c.reservation?.id === id);
  if (i >= 0) return i;
  return wholeCharger.get(ch)?.id === id ? -1 : null;
}

/** Ends reservation `id` wherever it is; the connector it held becomes Available again (E2 §3.12). */
function drop(ch: SimCharger, where: number, report: boolean): void {
  if (where === -1) {
    const r = wholeCharger.get(ch);
    if (r) clear(r);
    wholeCharger.delete(ch);
    return;
  }
  const c = ch.connectors[where];
  if (!c.reservation) return;
  clear(c.reservation);
  c.reservation = null;
  if (report && c.tx === null && c.status === 'Reserved') reportStatus(ch, where + 1, 'Available');
}

function schedule(ch: SimCharger, r: ConnectorReservation, where: number): void {
  const delay = Math.max(0, r.expiresAtMs - (Date.now() + ch.clockOffsetMs));
  r.timer = setTimeout(() => {
    r.timer = null;
    if (ch.state === 'closed' || find(ch, r.id) !== where) return;
    drop(ch, where, true);
  }, delay);
  r.timer.unref();
}

/** ReserveNow (E2 §5.13): the answer now, the Reserved status right after it. */
export function reserveNow(ch: SimCharger, req: ReserveNowRequest): ReservationStatus {
  const { connectorId } = req;
  if (connectorId < 0 || connectorId > ch.connectors.length) return 'Rejected';
  const expiresAtMs = Date.parse(req.expiryDate);
  if (Number.isNaN(expiresAtMs)) return 'Rejected';
  const r: ConnectorReservation = { id: req.reservationId, idTag: req.idTag, parentIdTag: req.parentIdTag ?? null, expiresAtMs, timer: null };
  // The same reservationId replaces the reservation it names, wherever it was.
  const previous = find(ch, req.reservationId);
  if (connectorId === 0) {
    if (ch.config.value('ReserveConnectorZeroSupported') !== 'true') return 'Rejected';
    if (ch.cpUnavailable) return 'Unavailable';
    const other = wholeCharger.get(ch);
    if (other && other.id !== req.reservationId) return 'Rejected';
    if (!ch.connectors.some((c) => c.reservation === null && unusable(ch, c) === null)) return 'Occupied';
    if (previous !== null) drop(ch, previous, previous !== -1);
    wholeCharger.set(ch, r);
    schedule(ch, r, -1);
    return 'Accepted';
  }
  const i = connectorId - 1;
  const c = ch.connectors[i];
  if (c.reservation && c.reservation.id !== req.reservationId) return 'Rejected';
  const refusal = unusable(ch, c);
  if (refusal) return refusal;
  if (previous !== null && previous !== i) drop(ch, previous, true);
  if (c.reservation) clear(c.reservation);
  c.reservation = r;
  schedule(ch, r, i);
  // Taken at once, so no customer picks it now; reported after the answer.
  c.status = 'Reserved';
  setImmediate(() => {
    if (c.reservation === r && c.tx === null) reportStatus(ch, connectorId, 'Reserved');
  });
  return 'Accepted';
}

/** CancelReservation (E2 §5.7): Accepted when the charger holds that reservation; the connector is Available again. */
export function cancelReservation(ch: SimCharger, reservationId: number): CancelReservationStatus {
  const where = find(ch, reservationId);
  if (where === null) return 'Rejected';
  if (where === -1) {
    drop(ch, -1, false);
    return 'Accepted';
  }
  const c = ch.connectors[where];
  clear(c.reservation!);
  c.reservation = null;
  if (c.tx === null && c.status === 'Reserved') {
    // Free at once; reported after the answer.
    c.status = 'Available';
    setImmediate(() => {
      if (c.reservation === null && c.tx === null && c.status === 'Available') reportStatus(ch, where + 1, 'Available');
    });
  }
  return 'Accepted';
}

/**
 * Whether `idTag` (with the `parentIdTag` its authorisation gave, if any) may start on connector `i`
 * (E2 §3.12): a reserved connector only for the reservation's idTag or parentIdTag; with a
 * charger-wide reservation, another idTag only while another connector stays free for it.
 */
export function mayStart(ch: SimCharger, i: number, idTag: string, parentIdTag: string | null = null): boolean {
  const r = ch.connectors[i]?.reservation;
  if (r) return sameTag(idTag, r.idTag) || (parentIdTag !== null && sameTag(parentIdTag, r.parentIdTag));
  const whole = wholeCharger.get(ch);
  if (!whole || sameTag(idTag, whole.idTag) || (parentIdTag !== null && sameTag(parentIdTag, whole.parentIdTag))) return true;
  return ch.connectors.some((c, k) => k !== i && c.reservation === null && unusable(ch, c) === null);
}

/** The reservation a start of `idTag` on connector `i` uses (ended here), for its StartTransaction's reservationId. */
export function useReservation(ch: SimCharger, i: number, idTag: string): number | undefined {
  const c = ch.connectors[i];
  if (c.reservation && sameTag(idTag, c.reservation.idTag)) {
    const id = c.reservation.id;
    clear(c.reservation);
    c.reservation = null;
    return id;
  }
  const whole = wholeCharger.get(ch);
  if (whole && sameTag(idTag, whole.idTag)) {
    drop(ch, -1, false);
    return whole.id;
  }
  return undefined;
}
