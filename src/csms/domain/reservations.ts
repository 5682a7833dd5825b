/**
 * Reservations (E2 §3.12, §5.13 ReserveNow, §5.7 CancelReservation): a driver holds a connector
 * for a while; the charger keeps it Reserved for that idTag only. The store keeps one active
 * reservation per connector and per customer (its unique indexes, whichever node books); the fee,
 * if any, is debited once through the wallet ledger. docs/reservation.md tells the whole flow.
 */
import type { StartTransactionRequest } from '../../ocpp/messages.ts';
import { walletNotifications } from './charging.ts';
import { CsmsError } from './errors.ts';
import { sameIdTag } from './id-tags.ts';
import { notify } from './notifications.ts';
import type { Clock, CommandOutcome, CommandSender, Store } from './ports.ts';
import type { Notification, Reservation, ReservationStatus } from './types.ts';

export interface ReservationOptions {
  store: Store;
  clock: Clock;
  commands: CommandSender;
  /** How long a reservation holds the connector (RESERVATION_MINUTES). */
  minutes: number;
  /** What a reservation costs (RESERVATION_FEE, minor units); 0: free. */
  feeMinor: number;
}

/** Who ends a reservation by hand: a customer's own cancel keeps the fee, an admin's refunds it. */
export type Canceller = { customerId: number } | { admin: string };

export type Reservations = ReturnType<typeof createReservations>;

/** The wallet ledger reference of a reservation's fee: unique, so it is debited once. */
export const feeReference = (id: number) => `reservation:${id}`;
const refundReference = (id: number) => `reservation-refund:${id}`;

/** A reservation event for its customer's pages and its charge point's detail view. */
export function reservationNotification(type: 'reservation.created' | 'reservation.cancelled' | 'reservation.expired' | 'reservation.used', r: Reservation, at: string): Notification {
  return notify(type, { customerId: r.customerId, chargePointId: r.chargePointId, reservation: r }, at, { customers: [r.customerId], chargePointId: r.chargePointId });
}

/**
 * A StartTransaction the CSMS accepted ends the reservation it names (E2 §5.13: the charger sends the
 * reservationId), or, from a charger that did not, the reserving customer's own reservation of that
 * connector. Once: a redelivered event finds it no longer active.
 */
export async function useReservation(store: Store, chargePointId: string, req: StartTransactionRequest, sessionId: number, at: string): Promise<Notification[]> {
  const session = await store.sessions.get(sessionId);
  const r = req.reservationId !== undefined ? await store.reservations.get(req.reservationId) : await store.reservations.activeOnConnector(chargePointId, req.connectorId);
  // Only the reserver's own session uses it: another customer's start (a charger that let them in, a
  // reservationId it mixed up) leaves the reservation, and its fee, to its owner.
  if (!r || r.chargePointId !== chargePointId || r.status !== 'active' || !session || session.customerId !== r.customerId) return [];
  const used = await store.reservations.finish(r.id, 'used', at, { sessionId });
  return used ? [reservationNotification('reservation.used', used, at)] : [];
}

/**
 * Throws CSMS_ERR_CONNECTOR_RESERVED when the connector is reserved, at `at`, for another customer than
 * the one behind `idTag` (or `customerId`): a remote start would only be refused by the charger.
 */
export async function assertNotReservedForOther(store: Store, chargePointId: string, connectorId: number, who: { customerId?: number | null; idTag?: string }, at: string): Promise<Reservation | null> {
  const r = await store.reservations.activeOnConnector(chargePointId, connectorId);
  // Past its expiry it holds nothing, though the sweep may not have marked it yet: the charger freed
  // the connector at expiryDate (E2 §5.13), and a driver there must not be refused for up to a sweep.
  if (!r || r.expiresAt <= at) return null;
  let customerId = who.customerId ?? null;
  if (customerId === null && who.idTag !== undefined) customerId = sameIdTag(who.idTag, r.idTag) ? r.customerId : (await store.idTags.get(who.idTag))?.customerId ?? null;
  if (customerId === r.customerId) return r;
  throw new CsmsError('CSMS_ERR_CONNECTOR_RESERVED', `${chargePointId}/${connectorId} until ${r.expiresAt}`, { reservationId: r.id, expiresAt: r.expiresAt });
}

export function createReservations({ store, clock, commands, minutes, feeMinor }: ReservationOptions) {
  const now = () => clock.now().toISOString();

  /** The card to reserve with: the primary one if usable, else the oldest usable. */
  async function cardOf(customerId: number): Promise<string> {
    const user = await store.users.get(customerId);
    if (!user || user.role !== 'customer') throw new CsmsError('CSMS_ERR_FORBIDDEN', 'only customers reserve');
    if (user.blocked) throw new CsmsError('CSMS_ERR_ACCOUNT_BLOCKED');
    const at = Date.parse(now());
    const cards = await store.idTags.listForCustomer(customerId);
    if (cards.length === 0) throw new CsmsError('CSMS_ERR_FORBIDDEN', 'the account has no idTag');
    const usable = cards.filter((c) => !c.blocked && (c.expiresAt === null || Number.isNaN(Date.parse(c.expiresAt)) || Date.parse(c.expiresAt) > at));
    if (usable.length === 0) throw new CsmsError('CSMS_ERR_ID_TAG_UNUSABLE', cards.map((c) => c.idTag).join(', '));
    return (usable.find((c) => sameIdTag(c.idTag, user.idTag)) ?? usable[0]).idTag;
  }

  /** Ends an active reservation, refunding its fee when `refund`; the notification of `type` to send. */
  async function end(r: Reservation, status: Exclude<ReservationStatus, 'active' | 'used'>, note: string | null, refund: boolean): Promise<{ reservation: Reservation | null; notifications: Notification[] }> {
    return await store.transaction(async () => {
      const at = now();
      const ended = await store.reservations.finish(r.id, status, at, { note });
      if (!ended) return { reservation: null, notifications: [] };
      const notifications: Notification[] = [];
      if (status !== 'refused') notifications.push(reservationNotification(`reservation.${status}`, ended, at));
      if (refund && ended.feeMinor > 0) {
        await store.lockCustomer(ended.customerId);
        const entry = await store.wallet.add({ customerId: ended.customerId, amountMinor: ended.feeMinor, kind: 'credit', note: `Reservation ${ended.id} fee refunded`, externalId: refundReference(ended.id), createdAt: at });
        if (entry) notifications.push(...walletNotifications(ended.customerId, entry, await store.wallet.balance(ended.customerId), at));
      }
      return { reservation: ended, notifications };
    });
  }

  /** The reservation `id` as `who` may see it: a customer only their own (another's is "not found"). */
  async function visible(id: number, who: Canceller): Promise<Reservation> {
    const r = await store.reservations.get(id);
    if (!r || ('customerId' in who && r.customerId !== who.customerId)) throw new CsmsError('CSMS_ERR_RESERVATION_NOT_FOUND', String(id));
    return r;
  }

  return {
    minutes,
    feeMinor,

    /**
     * Books the connector, debits the fee, sends ReserveNow. Accepted: the reservation stays active.
     * Any other answer, or none: it is recorded refused with the charger's word, the fee refunded,
     * and a CsmsError says why. `publish` gets every notification as it becomes true.
     */
    async reserve(customerId: number, chargePointId: string, connectorId: number, publish: (n: Notification[]) => void): Promise<Reservation> {
      const idTag = await cardOf(customerId);
      const cp = await store.chargePoints.get(chargePointId);
      if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
      const connector = (await store.chargePoints.connectors(chargePointId)).find((c) => c.connectorId === connectorId);
      if (!connector) throw new CsmsError('CSMS_ERR_CONNECTOR_NOT_FOUND', `${chargePointId}/${connectorId}`);
      if (!commands.isConnected(chargePointId) && !cp.online) throw new CsmsError('CSMS_ERR_CHARGER_OFFLINE', chargePointId);
      // E2 §4.2: a charger the operator has not accepted (Pending, Rejected) is not for drivers.
      if (cp.registrationStatus !== 'Accepted') throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId} is ${cp.registrationStatus}`);
      if (await store.sessions.activeOnConnector(chargePointId, connectorId)) throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId}/${connectorId} has a session in progress`);
      const createdAt = now();
      const expiresAt = new Date(Date.parse(createdAt) + Math.round(minutes * 60_000)).toISOString();
      const { reservation, notifications } = await store.transaction(async () => {
        // The balance read here decides whether the fee can be paid: no other node spends it meanwhile.
        if (feeMinor > 0) await store.lockCustomer(customerId);
        const r = await store.reservations.create({ chargePointId, connectorId, customerId, idTag, expiresAt, feeMinor, createdAt });
        if (feeMinor === 0) return { reservation: r, notifications: [] };
        const spendable = await store.wallet.spendable(customerId);
        if (spendable < feeMinor) {
          throw new CsmsError('CSMS_ERR_INSUFFICIENT_BALANCE', `the reservation fee is ${feeMinor}, the wallet has ${spendable} to spend`, { balance: spendable, needed: feeMinor });
        }
        const entry = (await store.wallet.add({ customerId, amountMinor: -feeMinor, kind: 'debit', note: `Reservation ${r.id} fee`, externalId: feeReference(r.id), createdAt }))!;
        return { reservation: r, notifications: walletNotifications(customerId, entry, await store.wallet.balance(customerId), createdAt) };
      });
      publish(notifications);
      let outcome: CommandOutcome;
      try {
        outcome = await commands.send(chargePointId, 'ReserveNow', { connectorId, expiryDate: expiresAt, idTag, reservationId: reservation.id }, { requestedBy: `customer:${customerId}` });
      } catch (err) {
        publish((await end(reservation, 'refused', 'not sent', true)).notifications);
        throw err;
      }
      const status = outcome.status === 'answered' ? (outcome.response as { status?: string } | null)?.status ?? 'no status' : outcome.status;
      if (status === 'Accepted') {
        publish([reservationNotification('reservation.created', reservation, now())]);
        return reservation;
      }
      publish((await end(reservation, 'refused', status, true)).notifications);
      // No answer in time: the charger may have reserved all the same (its answer late or lost), and
      // would hold the connector for a driver told it failed, whose fee was refunded: cancel it there.
      if (outcome.status === 'timeout') {
        commands.send(chargePointId, 'CancelReservation', { reservationId: reservation.id }, { requestedBy: `customer:${customerId}` }).catch(() => undefined);
      }
      const data = { reservationId: reservation.id, status, commandId: outcome.commandId };
      if (outcome.status === 'offline') throw new CsmsError('CSMS_ERR_CHARGER_OFFLINE', chargePointId, data);
      if (outcome.status === 'timeout') throw new CsmsError('CSMS_ERR_COMMAND_TIMEOUT', chargePointId, data);
      if (outcome.status !== 'answered') throw new CsmsError('CSMS_ERR_CHARGER_ERROR', chargePointId, data);
      throw new CsmsError('CSMS_ERR_RESERVATION_REFUSED', `${chargePointId}/${connectorId} answered ${status}`, data);
    },

    /**
     * CancelReservation (E2 §5.7) by its customer or an admin; ended here whatever the charger says
     * (a charger that no longer knows it answers Rejected, and its own expiry frees the connector).
     */
    async cancel(id: number, who: Canceller, publish: (n: Notification[]) => void): Promise<{ reservation: Reservation; chargerAnswer: string }> {
      const r = await visible(id, who);
      if (r.status !== 'active') throw new CsmsError('CSMS_ERR_RESERVATION_NOT_ACTIVE', `reservation ${id} is ${r.status}`);
      const requestedBy = 'admin' in who ? `admin:${who.admin}` : `customer:${who.customerId}`;
      const outcome = await commands.send(r.chargePointId, 'CancelReservation', { reservationId: r.id }, { requestedBy });
      const chargerAnswer = outcome.status === 'answered' ? (outcome.response as { status?: string } | null)?.status ?? 'no status' : outcome.status;
      const note = 'admin' in who ? `cancelled by ${who.admin}` : 'cancelled by the customer';
      const ended = await end(r, 'cancelled', note, 'admin' in who);
      publish(ended.notifications);
      if (!ended.reservation) throw new CsmsError('CSMS_ERR_RESERVATION_NOT_ACTIVE', `reservation ${id} ended meanwhile`);
      return { reservation: ended.reservation, chargerAnswer };
    },

    /** Ends the reservations past their expiry (the charger frees the connector itself, E2 §5.13). */
    async expireDue(limit = 100): Promise<Notification[]> {
      const out: Notification[] = [];
      for (const r of await store.reservations.due(now(), limit)) out.push(...(await end(r, 'expired', null, false)).notifications);
      return out;
    },

    visible,
  };
}
