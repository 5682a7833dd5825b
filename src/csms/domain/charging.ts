/**
 * Charging rules: who may charge, how a transaction starts and stops, what it costs and when the
 * wallet is debited. Pure apart from the Store port it is given; every write is idempotent, because
 * chargers retransmit and brokers redeliver.
 */
import { CsmsError } from './errors.ts';
import { computeCostMinor, minimumStartBalance } from './billing.ts';
import { latestReading, parseMeterValues } from './meter.ts';
import { notify, sessionNotifications } from './notifications.ts';
import type { Clock, Store } from './ports.ts';
import type { Notification, Session, Tariff, User, WalletEntry } from './types.ts';

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
  tariff: Pick<Tariff, 'id' | 'name' | 'currency' | 'pricePerKwh' | 'pricePerMinute' | 'sessionFee'> | null;
}

export interface ChargingOptions {
  store: Store;
  clock: Clock;
  /** Minor units a wallet must hold beyond the session fee to start. */
  minStartBalance: number;
}

export type Charging = ReturnType<typeof createCharging>;

export function createCharging({ store, clock, minStartBalance }: ChargingOptions) {
  const now = () => clock.now().toISOString();

  /** An idTag's own status, before the checks that apply only to a new transaction. */
  function decide(user: User | null): IdTagInfo {
    if (!user || user.role !== 'customer') return { status: 'Invalid' };
    if (user.blocked) return { status: 'Blocked' };
    return { status: 'Accepted' };
  }

  function hasBalanceFor(user: User, tariff: Tariff | null): boolean {
    return store.wallet.balance(user.id) >= minimumStartBalance(tariff, minStartBalance);
  }

  return {
    /** The idTag's status without credit checks (StopTransaction.conf answers about the stopping tag). */
    identify(idTag: string): IdTagInfo {
      return decide(store.users.findByIdTag(idTag));
    },

    /** Authorize.req (E2 §4.2): unknown → Invalid, blocked → Blocked, too little balance → Blocked. */
    authorize(idTag: string, chargePointId?: string): IdTagInfo {
      const user = store.users.findByIdTag(idTag);
      const info = decide(user);
      if (info.status !== 'Accepted' || !user) return info;
      const tariff = chargePointId ? store.tariffs.forChargePoint(chargePointId) : null;
      return hasBalanceFor(user, tariff) ? info : { status: 'Blocked' };
    },

    /**
     * StartTransaction.req: always yields a transactionId (chargers need one even for a refusal).
     * Durable before the caller answers; a retry with the same key returns the same id.
     */
    startTransaction(chargePointId: string, req: StartRequest): { transactionId: number; idTagInfo: IdTagInfo; created: boolean } {
      return store.transaction(() => {
        const user = store.users.findByIdTag(req.idTag);
        const tariff = store.tariffs.forChargePoint(chargePointId);
        let idTagInfo = decide(user);
        if (idTagInfo.status === 'Accepted' && user) {
          const concurrent = store.sessions.activeForCustomer(user.id).some((s) => s.chargePointId !== chargePointId || s.connectorId !== req.connectorId);
          if (concurrent) idTagInfo = { status: 'ConcurrentTx' };
          else if (!hasBalanceFor(user, tariff)) idTagInfo = { status: 'Blocked' };
        }
        const { session, created } = store.sessions.start({
          chargePointId,
          connectorId: req.connectorId,
          idTag: req.idTag,
          customerId: user?.role === 'customer' ? user.id : null,
          tariffId: tariff?.id ?? null,
          currency: tariff?.currency ?? 'EUR',
          meterStart: req.meterStart,
          startedAt: iso(req.timestamp),
        });
        if (!created) {
          // A retransmission: same id and, if it was refused, the same refusal.
          const retried = session.status === 'completed' && session.stopReason?.startsWith('Refused:')
            ? { status: session.stopReason.slice('Refused:'.length) as AuthorizationStatus }
            : idTagInfo.status === 'ConcurrentTx' ? { status: 'Accepted' as const } : idTagInfo;
          return { transactionId: session.id, idTagInfo: retried, created };
        }
        if (idTagInfo.status !== 'Accepted') {
          // Refused: the row keeps the id stable for retries; the charger will stop it.
          store.sessions.complete(session.id, { meterStop: req.meterStart, energyWh: 0, costMinor: 0, stoppedAt: iso(req.timestamp), reason: `Refused:${idTagInfo.status}` });
          return { transactionId: session.id, idTagInfo, created };
        }
        const fee = computeCostMinor(tariff, 0, session.startedAt, session.startedAt);
        if (fee !== 0) store.sessions.updateProgress(session.id, { meterLast: req.meterStart, energyWh: 0, powerW: 0, costMinor: fee, lastMeterAt: session.startedAt });
        // charging.started is announced by the processor, from the committed row.
        return { transactionId: session.id, idTagInfo, created };
      });
    },

    /** MeterValues.req: updates energy, power and running cost of the session it belongs to. */
    applyMeterValues(chargePointId: string, req: MeterValuesRequest): { session: Session | null; samples: number; warnings: string[]; notifications: Notification[] } {
      const { samples, warnings } = parseMeterValues(req.meterValue);
      const session = req.transactionId !== undefined
        ? store.sessions.get(req.transactionId)
        : store.sessions.activeOnConnector(chargePointId, req.connectorId);
      const own = session && session.chargePointId === chargePointId ? session : null;
      store.sessions.addMeterSamples(own?.id ?? null, chargePointId, req.connectorId, samples);
      if (!own || own.status !== 'active') return { session: own, samples: samples.length, warnings, notifications: [] };
      const reading = latestReading(samples);
      if (reading.energyWh === null && reading.powerW === null) return { session: own, samples: samples.length, warnings, notifications: [] };
      // Energy never goes backwards: a late or reordered sample must not lower the bill.
      const meterLast = reading.energyWh === null ? own.meterLast : Math.max(own.meterLast, Math.round(reading.energyWh));
      const energyWh = Math.max(0, meterLast - own.meterStart);
      const at = reading.at ? iso(reading.at) : now();
      const tariff = own.tariffId === null ? null : store.tariffs.get(own.tariffId);
      const costMinor = computeCostMinor(tariff, energyWh, own.startedAt, at);
      const powerW = reading.powerW === null ? own.powerW : Math.round(reading.powerW);
      store.sessions.updateProgress(own.id, { meterLast, energyWh, powerW, costMinor, lastMeterAt: at });
      const updated = { ...own, meterLast, energyWh, powerW, costMinor, lastMeterAt: at };
      return { session: updated, samples: samples.length, warnings, notifications: sessionNotifications('meter.values', updated, now()) };
    },

    /**
     * StopTransaction.req: finalises energy and cost and debits the wallet exactly once, however
     * often the charger retries or the broker redelivers.
     */
    stopTransaction(chargePointId: string, req: StopRequest): { session: Session | null; charge: WalletEntry | null; notifications: Notification[] } {
      return store.transaction(() => {
        const session = store.sessions.get(req.transactionId);
        if (!session || session.chargePointId !== chargePointId) return { session: null, charge: null, notifications: [] };
        if (req.transactionData?.length) {
          const { samples } = parseMeterValues(req.transactionData);
          store.sessions.addMeterSamples(session.id, chargePointId, session.connectorId, samples);
        }
        if (session.status !== 'active') return { session, charge: null, notifications: [] };
        const meterStop = Math.max(req.meterStop, session.meterStart);
        const energyWh = meterStop - session.meterStart;
        const tariff = session.tariffId === null ? null : store.tariffs.get(session.tariffId);
        const stoppedAt = iso(req.timestamp);
        const costMinor = computeCostMinor(tariff, energyWh, session.startedAt, stoppedAt);
        if (!store.sessions.complete(session.id, { meterStop, energyWh, costMinor, stoppedAt, reason: req.reason ?? null })) {
          return { session: store.sessions.get(session.id), charge: null, notifications: [] };
        }
        const done = store.sessions.get(session.id)!;
        const notifications = sessionNotifications('charging.stopped', done, now());
        let charge: WalletEntry | null = null;
        if (done.customerId !== null && costMinor > 0) {
          charge = store.wallet.add({ customerId: done.customerId, amountMinor: -costMinor, kind: 'charge', sessionId: done.id, note: `Session ${done.id}`, createdAt: now() });
          if (charge) notifications.push(...walletNotifications(done.customerId, charge, store.wallet.balance(done.customerId), now()));
        }
        return { session: done, charge, notifications };
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
      if (store.sessions.activeOnConnector(chargePointId, connectorId) || ['Unavailable', 'Faulted', 'Charging', 'Reserved'].includes(connector.status)) {
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

    /** Credits the wallet (no payment provider here: a ledger entry). */
    topUp(customerId: number, amountMinor: number): { entry: WalletEntry; balance: number; notifications: Notification[] } {
      if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', String(amountMinor));
      return store.transaction(() => {
        const entry = store.wallet.add({ customerId, amountMinor, kind: 'topup', note: 'Top-up', createdAt: now() })!;
        const balance = store.wallet.balance(customerId);
        return { entry, balance, notifications: walletNotifications(customerId, entry, balance, now()) };
      });
    },

    /** Adds the derived fields a page shows; cost of an active session is as of its last meter value. */
    view(session: Session): SessionView {
      const tariff = session.tariffId === null ? null : store.tariffs.get(session.tariffId);
      const end = session.stoppedAt ?? now();
      const durationS = Math.max(0, Math.round((Date.parse(end) - Date.parse(session.startedAt)) / 1000));
      return {
        ...session,
        durationS,
        tariff: tariff && { id: tariff.id, name: tariff.name, currency: tariff.currency, pricePerKwh: tariff.pricePerKwh, pricePerMinute: tariff.pricePerMinute, sessionFee: tariff.sessionFee },
      };
    },
  };
}

/**
 * Charger timestamps in one spelling (UTC, milliseconds), so the store can compare them as strings.
 * The schema guarantees a date-time; a lenient charger's odd value is kept as it came.
 */
function iso(timestamp: string): string {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? timestamp : new Date(ms).toISOString();
}

function walletNotifications(customerId: number, entry: WalletEntry, balance: number, at: string): Notification[] {
  return [
    notify('wallet.transaction', { customerId, entry }, at, [customerId]),
    notify('wallet.updated', { customerId, balanceMinor: balance }, at, [customerId]),
  ];
}
