/**
 * Charging rules: who may charge, how a transaction starts and stops, what it costs and when the
 * wallet is debited. Pure apart from the Store port it is given; every write is idempotent, because
 * chargers retransmit and brokers redeliver.
 */
import { CsmsError } from './errors.ts';
import { computeCostMinor, minimumStartBalance } from './billing.ts';
import { latestReading, parseMeterValues } from './meter.ts';
import { CMS_ROOMS, notify, pointRoom, sessionNotifications, sessionPayload } from './notifications.ts';
import type { Clock, SessionClose, Store } from './ports.ts';
import { chargerTime, implausibleEnergy, normalizeTime, powerReading, registerReading } from './readings.ts';
import type { ClosedBy, Notification, Session, Tariff, User, WalletEntry } from './types.ts';

export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';

export interface IdTagInfo {
  status: AuthorizationStatus;
  expiryDate?: string;
  parentIdTag?: string;
}

export interface StartRequest {
  connectorId: number;
  idTag: string;
  meterStart: number;
  timestamp: string;
  reservationId?: number;
}

export interface StopRequest {
  transactionId: number;
  meterStop: number;
  timestamp: string;
  idTag?: string;
  reason?: string;
  transactionData?: unknown[];
}

export interface MeterValuesRequest {
  connectorId: number;
  transactionId?: number;
  meterValue: unknown[];
}

export interface StatusRequest {
  connectorId: number;
  errorCode: string;
  status: string;
  info?: string;
  timestamp?: string;
}

/** A session as the API shows it: stored fields plus what is derived while charging. */
export interface SessionView extends Session {
  durationS: number;
  /** Active, but nothing (no MeterValues, no message of its charger) arrived for a while. */
  stale: boolean;
  tariff: Pick<Tariff, 'id' | 'name' | 'currency' | 'pricePerKwh' | 'pricePerMinute' | 'sessionFee'> | null;
}

export interface ChargingOptions {
  store: Store;
  clock: Clock;
  /** Minor units a wallet must hold beyond the session fee to start. */
  minStartBalance: number;
  /** An active session from which nothing arrived for this long is shown as stale (default 30 min). */
  staleAfterMs?: number;
}

/** Why the CSMS closes a session itself (E2 §4.8: a charger that lost its transaction may never stop it). */
export type CloseCause = 'reboot' | 'available' | 'superseded';

export type Charging = ReturnType<typeof createCharging>;

export function createCharging({ store, clock, minStartBalance, staleAfterMs = 30 * 60_000 }: ChargingOptions) {
  const now = () => clock.now().toISOString();

  /** An idTag's own status at `at`, before the checks that apply only to a new transaction. */
  function decide(user: User | null, at: string): IdTagInfo {
    if (!user || user.role !== 'customer') return { status: 'Invalid' };
    if (user.blocked) return { status: 'Blocked' };
    const expires = user.idTagExpiresAt === null ? Number.NaN : Date.parse(user.idTagExpiresAt);
    if (!Number.isNaN(expires)) {
      const expiryDate = new Date(expires).toISOString();
      return expires <= Date.parse(at) ? { status: 'Expired', expiryDate } : { status: 'Accepted', expiryDate };
    }
    return { status: 'Accepted' };
  }

  function hasBalanceFor(user: User, tariff: Tariff | null): boolean {
    return store.wallet.balance(user.id) >= minimumStartBalance(tariff, minStartBalance);
  }

  /** Completes `session` as its charger would have, billed from what was last read; debits once. */
  function finish(session: Session, close: SessionClose, at: string): Notification[] {
    if (!store.sessions.complete(session.id, close)) return [];
    const done = store.sessions.get(session.id)!;
    const notifications = sessionNotifications('charging.stopped', done, at);
    if (done.customerId !== null && close.costMinor > 0) {
      const charge = store.wallet.add({ customerId: done.customerId, amountMinor: -close.costMinor, kind: 'charge', sessionId: done.id, note: `Session ${done.id}`, createdAt: at });
      if (charge) notifications.push(...walletNotifications(done.customerId, charge, store.wallet.balance(done.customerId), at));
    }
    return notifications;
  }

  /** Closes a session whose StopTransaction has not come: billed up to its last meter value. */
  function closeFromLastReading(session: Session, closedBy: ClosedBy, closeNote: string, at: string): Notification[] {
    const tariff = session.tariffId === null ? null : store.tariffs.get(session.tariffId);
    const stoppedAt = session.lastMeterAt ?? session.startedAt;
    const energyWh = session.meterLast - session.meterStart;
    const costMinor = computeCostMinor(tariff, energyWh, session.startedAt, stoppedAt);
    return finish(session, { meterStop: session.meterLast, energyWh, costMinor, stoppedAt, reason: null, closedBy, closeNote }, at);
  }

  /** The instant before which an active session that heard nothing since counts as stale. */
  function staleBefore(): string {
    return new Date(clock.now().getTime() - staleAfterMs).toISOString();
  }

  const CAUSE_NOTES: Record<CloseCause, (s: Session, detail: string) => string> = {
    reboot: () => 'the charger rebooted (BootNotification) without stopping the transaction',
    available: (s) => `connector ${s.connectorId} reported Available during the transaction`,
    superseded: (_s, detail) => `transaction ${detail} started on the same connector`,
  };

  return {
    /** The idTag's status without credit checks (StopTransaction.conf answers about the stopping tag). */
    identify(idTag: string): IdTagInfo {
      return decide(store.users.findByIdTag(idTag), now());
    },

    /** Authorize.req (E2 §4.2): unknown → Invalid, blocked → Blocked, expired → Expired, too little balance → Blocked. */
    authorize(idTag: string, chargePointId?: string): IdTagInfo {
      const user = store.users.findByIdTag(idTag);
      const info = decide(user, now());
      if (info.status !== 'Accepted' || !user) return info;
      const tariff = chargePointId ? store.tariffs.forChargePoint(chargePointId) : null;
      return hasBalanceFor(user, tariff) ? info : { status: 'Blocked' };
    },

    /**
     * StartTransaction.req: always yields a transactionId (chargers need one even for a refusal).
     * Durable before the caller answers; a retry with the same key returns the same id and answer.
     * A session still open on the same connector ends here: the charger has moved on.
     */
    startTransaction(chargePointId: string, req: StartRequest, receivedAt = now()): { transactionId: number; idTagInfo: IdTagInfo; created: boolean; notifications: Notification[] } {
      return store.transaction(() => {
        const user = store.users.findByIdTag(req.idTag);
        const tariff = store.tariffs.forChargePoint(chargePointId);
        let idTagInfo = decide(user, receivedAt);
        if (idTagInfo.status === 'Accepted' && user) {
          const concurrent = store.sessions.activeForCustomer(user.id).some((s) => s.chargePointId !== chargePointId || s.connectorId !== req.connectorId);
          if (concurrent) idTagInfo = { status: 'ConcurrentTx' };
          else if (!hasBalanceFor(user, tariff)) idTagInfo = { status: 'Blocked' };
        }
        const time = chargerTime(req.timestamp, receivedAt, 'StartTransaction.timestamp');
        const meterStart = registerReading(req.meterStart);
        const review = [time.note, meterStart === null ? `meterStart ${JSON.stringify(req.meterStart)} is not a usable register reading; the first usable one counts instead` : null]
          .filter((n): n is string => n !== null).join('; ') || null;
        const { session, created } = store.sessions.start({
          chargePointId,
          connectorId: req.connectorId,
          idTag: req.idTag,
          customerId: user?.role === 'customer' ? user.id : null,
          tariffId: tariff?.id ?? null,
          currency: tariff?.currency ?? 'EUR',
          meterStart: meterStart ?? 0,
          meterStartPending: meterStart === null,
          startTimestamp: normalizeTime(String(req.timestamp)),
          startedAt: time.iso,
          createdAt: receivedAt,
          refusal: idTagInfo.status === 'Accepted' ? null : idTagInfo.status,
          review,
        });
        if (!created) {
          // A retransmission: the same id and the same answer it got the first time.
          const again: IdTagInfo = session.status === 'refused' ? { status: (session.refusal ?? 'Invalid') as AuthorizationStatus } : { status: 'Accepted' };
          return { transactionId: session.id, idTagInfo: again, created, notifications: [] };
        }
        if (session.status === 'refused') return { transactionId: session.id, idTagInfo, created, notifications: [] };
        const notifications: Notification[] = [];
        for (const old of store.sessions.activeCreatedBefore(chargePointId, receivedAt, req.connectorId)) {
          if (old.id !== session.id) notifications.push(...closeFromLastReading(old, 'csms', CAUSE_NOTES.superseded(old, String(session.id)), receivedAt));
        }
        const fee = computeCostMinor(tariff, 0, session.startedAt, session.startedAt);
        if (fee !== 0) store.sessions.updateProgress(session.id, { meterLast: session.meterStart, energyWh: 0, powerW: 0, costMinor: fee, lastMeterAt: session.startedAt });
        // charging.started is announced by the processor, from the committed row.
        return { transactionId: session.id, idTagInfo, created, notifications };
      });
    },

    /** MeterValues.req: updates energy, power and running cost of the session it belongs to. */
    applyMeterValues(chargePointId: string, req: MeterValuesRequest, receivedAt = now()): { session: Session | null; samples: number; warnings: string[]; notifications: Notification[] } {
      const { samples, warnings } = parseMeterValues(req.meterValue);
      const session = req.transactionId !== undefined
        ? store.sessions.get(req.transactionId)
        : store.sessions.activeOnConnector(chargePointId, req.connectorId);
      const own = session && session.chargePointId === chargePointId ? session : null;
      store.sessions.addMeterSamples(own?.id ?? null, chargePointId, req.connectorId, samples);
      if (!own || own.status !== 'active') return { session: own, samples: samples.length, warnings, notifications: [] };
      const reading = latestReading(samples);
      let register = reading.energyWh === null ? null : registerReading(reading.energyWh);
      const powerW = reading.powerW === null ? null : powerReading(reading.powerW);
      if (register === null && powerW === null) return { session: own, samples: samples.length, warnings, notifications: [] };
      const meterStart = own.meterStartPending && register !== null ? register : own.meterStart;
      if (register !== null && implausibleEnergy(meterStart, register)) {
        // Said once per session: a meter that keeps sending such readings must not grow the note.
        if (!own.review?.includes('MeterValues register')) store.sessions.flag(own.id, `a MeterValues register of ${register} Wh is not believable after ${meterStart} Wh; such readings are ignored`);
        register = null;
      }
      // Energy never goes backwards: a late or reordered sample must not lower the bill.
      const meterLast = register === null ? own.meterLast : Math.max(own.meterLast, meterStart, register);
      const energyWh = Math.max(0, meterLast - meterStart);
      const time = reading.at === null ? null : chargerTime(reading.at, receivedAt, 'meterValue.timestamp');
      const at = time === null || time.note !== null ? receivedAt : time.iso;
      const tariff = own.tariffId === null ? null : store.tariffs.get(own.tariffId);
      const costMinor = computeCostMinor(tariff, energyWh, own.startedAt, at);
      const progress = { meterLast, energyWh, powerW: powerW ?? own.powerW, costMinor, lastMeterAt: at, lastReportAt: receivedAt };
      store.sessions.updateProgress(own.id, own.meterStartPending && register !== null ? { ...progress, meterStart } : progress);
      const updated = { ...own, ...progress, meterStart, meterStartPending: own.meterStartPending && register === null };
      return { session: updated, samples: samples.length, warnings, notifications: sessionNotifications('meter.values', updated, now()) };
    },

    /**
     * StopTransaction.req: finalises energy and cost and debits the wallet exactly once, however
     * often the charger retries or the broker redelivers. After the CSMS closed the session itself,
     * the charger's stop still counts: its reason is filled in, and a higher meterStop is billed
     * with an adjustment for the difference.
     */
    stopTransaction(chargePointId: string, req: StopRequest, receivedAt = now()): { session: Session | null; notifications: Notification[] } {
      return store.transaction(() => {
        const session = store.sessions.get(req.transactionId);
        if (!session || session.chargePointId !== chargePointId) return { session: null, notifications: [] };
        // A retried stop carries the same transactionData: kept once, with the first stop that arrives.
        const firstStop = session.status === 'active' || (session.closedBy !== 'charger' && session.stopReason === null);
        if (req.transactionData?.length && firstStop) {
          const { samples } = parseMeterValues(req.transactionData);
          store.sessions.addMeterSamples(session.id, chargePointId, session.connectorId, samples);
        }
        if (session.status === 'refused') return { session, notifications: [] };
        const time = chargerTime(req.timestamp, receivedAt, 'StopTransaction.timestamp');
        const reported = registerReading(req.meterStop);
        const meterStart = session.meterStartPending && reported !== null ? reported : session.meterStart;
        const usable = reported !== null && !implausibleEnergy(meterStart, reported);
        const notes = [time.note, usable ? null : `meterStop ${JSON.stringify(req.meterStop)} is not usable; billed up to the last meter value (${session.meterLast} Wh)`];
        // The final reading never lowers what was already read (MeterValues, or the CSMS's own close).
        const meterStop = usable ? Math.max(reported, meterStart, session.status === 'active' ? 0 : session.meterStop ?? 0) : session.meterStop ?? session.meterLast;
        const energyWh = meterStop - meterStart;
        const tariff = session.tariffId === null ? null : store.tariffs.get(session.tariffId);
        const stoppedAt = time.iso;
        const costMinor = computeCostMinor(tariff, energyWh, session.startedAt, stoppedAt);
        const at = now();
        const flag = () => {
          for (const n of notes) if (n !== null) store.sessions.flag(session.id, n);
        };
        if (session.status === 'active') {
          if (session.meterStartPending && usable) store.sessions.updateProgress(session.id, { meterLast: meterStart, energyWh: 0, powerW: session.powerW, costMinor: session.costMinor, lastMeterAt: session.lastMeterAt ?? session.startedAt, meterStart });
          flag();
          const notifications = finish(session, { meterStop, energyWh, costMinor, stoppedAt, reason: req.reason ?? null, closedBy: 'charger', closeNote: null }, at);
          return { session: store.sessions.get(session.id), notifications };
        }
        if (req.reason !== undefined) store.sessions.fillStopReason(session.id, req.reason);
        // Closed by the charger: a retry, nothing more to do. Closed by the CSMS or an admin without
        // the charger's word: its stop now says how much and until when, and the bill follows it.
        if (session.closedBy === 'charger' || !firstStop && meterStop === session.meterStop && stoppedAt === session.stoppedAt) {
          return { session: store.sessions.get(session.id), notifications: [] };
        }
        flag();
        store.sessions.reconcile(session.id, { meterStop, energyWh, costMinor, stoppedAt });
        const done = store.sessions.get(session.id)!;
        const notifications = [notify('session.updated', sessionPayload(done), at, done.customerId === null ? [] : [done.customerId], [CMS_ROOMS.sessions, pointRoom(done.chargePointId)])];
        // The difference either way: a debit for what the close had not counted, a credit if it counted too much.
        const difference = costMinor - session.costMinor;
        if (done.customerId !== null && difference !== 0) {
          const entry = store.wallet.add({ customerId: done.customerId, amountMinor: -difference, kind: 'adjustment', sessionId: done.id, note: `Session ${done.id}: the charger's final reading`, createdAt: at });
          if (entry) notifications.push(...walletNotifications(done.customerId, entry, store.wallet.balance(done.customerId), at));
        }
        return { session: done, notifications };
      });
    },

    /**
     * Closes the sessions the CSMS learned of before `receivedAt` that the charger no longer runs:
     * it rebooted (every connector), or a connector reported Available. Billed from the last
     * meter value; a StopTransaction that comes later still reconciles.
     */
    closeAbandoned(chargePointId: string, cause: 'reboot' | 'available', receivedAt: string, connectorId?: number): Notification[] {
      return store.transaction(() => {
        const out: Notification[] = [];
        for (const s of store.sessions.activeCreatedBefore(chargePointId, receivedAt, cause === 'available' ? connectorId : undefined)) {
          out.push(...closeFromLastReading(s, 'csms', CAUSE_NOTES[cause](s, ''), now()));
        }
        return out;
      });
    },

    /** An admin ends a session the charger will not stop (audited by who and why). */
    closeByAdmin(sessionId: number, reason: string, admin: string): { session: Session; notifications: Notification[] } {
      return store.transaction(() => {
        const session = store.sessions.get(sessionId);
        if (!session) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(sessionId));
        if (session.status !== 'active') throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', String(sessionId));
        const notifications = closeFromLastReading(session, 'admin', `${reason} (closed by ${admin})`, now());
        return { session: store.sessions.get(sessionId)!, notifications };
      });
    },

    /** Throws a CsmsError unless the customer may start charging on this connector now. */
    prepareRemoteStart(customerId: number, chargePointId: string, connectorId: number): { idTag: string } {
      const user = store.users.get(customerId);
      if (!user || !user.idTag) throw new CsmsError('CSMS_ERR_FORBIDDEN', 'the account has no idTag');
      if (user.blocked) throw new CsmsError('CSMS_ERR_ACCOUNT_BLOCKED');
      const cp = store.chargePoints.get(chargePointId);
      if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
      const connector = store.chargePoints.connectors(chargePointId).find((c) => c.connectorId === connectorId);
      if (!connector) throw new CsmsError('CSMS_ERR_CONNECTOR_NOT_FOUND', `${chargePointId}/${connectorId}`);
      if (store.sessions.activeForCustomer(customerId).length > 0) throw new CsmsError('CSMS_ERR_SESSION_ACTIVE');
      if (store.sessions.activeOnConnector(chargePointId, connectorId)) {
        throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId}/${connectorId} has a session in progress`);
      }
      if (['Unavailable', 'Faulted', 'Charging', 'Reserved'].includes(connector.status)) {
        throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId}/${connectorId} is ${connector.status}`);
      }
      const tariff = store.tariffs.forChargePoint(chargePointId);
      const needed = minimumStartBalance(tariff, minStartBalance);
      const balance = store.wallet.balance(customerId);
      if (balance < needed) throw new CsmsError('CSMS_ERR_INSUFFICIENT_BALANCE', `balance ${balance}, needed ${needed}`, { balance, needed });
      return { idTag: user.idTag };
    },

    /** The customer's own active session, or CSMS_ERR_SESSION_NOT_FOUND (never another's data). */
    prepareRemoteStop(customerId: number, sessionId: number): Session {
      const session = store.sessions.get(sessionId);
      if (!session || session.customerId !== customerId) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(sessionId));
      if (session.status !== 'active') throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', String(sessionId));
      return session;
    },

    /** Credits the wallet without a payment: the self top-up, which the API allows only with WALLET_SELF_TOPUP. */
    topUp(customerId: number, amountMinor: number): { entry: WalletEntry; balance: number; notifications: Notification[] } {
      if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', String(amountMinor));
      return store.transaction(() => {
        const entry = store.wallet.add({ customerId, amountMinor, kind: 'topup', note: 'Top-up', createdAt: now() })!;
        const balance = store.wallet.balance(customerId);
        return { entry, balance, notifications: walletNotifications(customerId, entry, balance, now()) };
      });
    },

    staleBefore,

    /**
     * Adds the derived fields a page shows; cost of an active session is as of its last meter value.
     * `stale`: active, and neither the session nor its charger reported anything for `staleAfterMs`.
     */
    view(session: Session): SessionView {
      const tariff = session.tariffId === null ? null : store.tariffs.get(session.tariffId);
      const end = session.stoppedAt ?? now();
      const durationS = Math.max(0, Math.round((Date.parse(end) - Date.parse(session.startedAt)) / 1000));
      let stale = false;
      if (session.status === 'active') {
        const heard = [session.lastReportAt ?? session.createdAt, store.chargePoints.get(session.chargePointId)?.lastSeenAt ?? ''];
        const before = staleBefore();
        stale = heard.every((t) => t < before);
      }
      return {
        ...session,
        durationS,
        stale,
        tariff: tariff && { id: tariff.id, name: tariff.name, currency: tariff.currency, pricePerKwh: tariff.pricePerKwh, pricePerMinute: tariff.pricePerMinute, sessionFee: tariff.sessionFee },
      };
    },
  };
}

/** What a customer's open pages hear about a new ledger entry and the balance after it. */
export function walletNotifications(customerId: number, entry: WalletEntry, balance: number, at: string): Notification[] {
  return [
    notify('wallet.transaction', { customerId, entry }, at, [customerId]),
    notify('wallet.updated', { customerId, balanceMinor: balance }, at, [customerId]),
  ];
}
