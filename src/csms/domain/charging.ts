/**
 * Charging rules: who may charge, how a transaction starts and stops, what it costs and when the
 * wallet is debited. Pure apart from the Store port it is given; every write is idempotent, because
 * chargers retransmit and brokers redeliver.
 */
import type { AuthorizationStatus, IdTagInfo, MeterValuesRequest, StartTransactionRequest, StopTransactionRequest } from '../../ocpp/messages.ts';
import { CsmsError } from './errors.ts';
import { sameIdTag } from './id-tags.ts';
import { computeCostMinor, minimumStartBalance } from './billing.ts';
import { latestReading, parseMeterValues } from './meter.ts';
import { notify, sessionNotifications, sessionPayload, sessionSubject } from './notifications.ts';
import { assertNotReservedForOther } from './reservations.ts';
import type { Clock, SessionClose, Store } from './ports.ts';
import { chargerTime, implausibleEnergy, normalizeTime, powerReading, registerReading } from './readings.ts';
import type { ClosedBy, IdTagCard, Notification, Session, Tariff, TariffTerms, User, WalletEntry } from './types.ts';

/** A session as the API shows it: stored fields plus what is derived while charging. */
export interface SessionView extends Session {
  durationS: number;
  /** Active, but nothing (no MeterValues, no message of its charger) arrived for a while. */
  stale: boolean;
  /** Active and billed to a wallet: what the customer may still spend on it before it is stopped. */
  balanceLeftMinor: number | null;
  /** 'balance': the CSMS asked the charger to stop because the customer's balance was used up. */
  autoStop: 'balance' | null;
}

/** A session the CSMS must ask its charger to stop (RemoteStopTransaction) once the batch is committed. */
export interface AutoStop {
  chargePointId: string;
  transactionId: number;
}

export interface ChargingOptions {
  store: Store;
  clock: Clock;
  /** The network's currency (ISO 4217): every tariff, wallet and bill is in it. */
  currency: string;
  /** Minor units a wallet must hold beyond the session fee to start. */
  minStartBalance: number;
  /** What a session reserves of the wallet at its start (at most what is there); 0: all the customer may spend. */
  holdMinor?: number;
  /** An active session from which nothing arrived for this long is shown as stale (default 30 min). */
  staleAfterMs?: number;
}

/** Why the CSMS closes a session itself (E2 §4.8: a charger that lost its transaction may never stop it). */
export type CloseCause = 'reboot' | 'available' | 'superseded';

export type Charging = ReturnType<typeof createCharging>;

/** The copy of a tariff a session keeps. */
export function tariffTerms(t: Tariff): TariffTerms {
  return { id: t.id, name: t.name, currency: t.currency, pricePerKwh: t.pricePerKwh, pricePerMinute: t.pricePerMinute, sessionFee: t.sessionFee };
}

/** A charger that did not stop when asked is asked again after this long. */
const STOP_RETRY_MS = 60_000;

export const BALANCE_USED_UP = 'stopped: balance used up';

export function createCharging({ store, clock, currency, minStartBalance, holdMinor = 0, staleAfterMs = 30 * 60_000 }: ChargingOptions) {
  const now = () => clock.now().toISOString();

  /** What the customer may spend: the balance less what their other running sessions reserve. */
  async function available(customerId: number, except?: number): Promise<number> {
    return await store.wallet.spendable(customerId, except);
  }

  /** What a session may still spend: null when it is not billed to a wallet (no customer, free). */
  async function balanceLeft(session: Session): Promise<number | null> {
    if (session.status !== 'active' || session.customerId === null || session.tariff === null) return null;
    return await available(session.customerId, session.id) - session.costMinor;
  }

  /**
   * After a reading: when one more interval like the last one would cost more than is left, the
   * charger is asked to stop now, so the wallet ends at most one interval's cost below zero (and
   * usually not below it at all). Asked again after STOP_RETRY_MS if it keeps charging.
   */
  async function stopIfUsedUp(session: Session, previousCost: number, left: number | null, at: string): Promise<{ stop: AutoStop | null; notifications: Notification[] }> {
    if (left === null) return { stop: null, notifications: [] };
    const step = Math.max(0, session.costMinor - previousCost);
    if (step < left) return { stop: null, notifications: [] };
    if (!await store.holds.requestStop(session.id, at, new Date(Date.parse(at) - STOP_RETRY_MS).toISOString())) return { stop: null, notifications: [] };
    const data = { ...sessionPayload(session), reason: 'balance', message: BALANCE_USED_UP, balanceLeftMinor: left };
    return {
      stop: { chargePointId: session.chargePointId, transactionId: session.id },
      notifications: [notify('charging.auto_stop', data, at, sessionSubject(session))],
    };
  }

  /** The card behind an idTag (in any case: CiString20) and its holder. */
  async function holderOf(idTag: string): Promise<Holder> {
    const card = await store.idTags.get(idTag);
    return { card, user: card ? await store.users.get(card.customerId) : null };
  }

  /** An idTag's own status at `at`, before the checks that apply only to a new transaction. */
  function decide({ card, user }: Holder, at: string): IdTagInfo {
    if (!card || !user || user.role !== 'customer') return { status: 'Invalid' };
    if (user.blocked || card.blocked) return { status: 'Blocked' };
    const expires = card.expiresAt === null ? Number.NaN : Date.parse(card.expiresAt);
    if (!Number.isNaN(expires)) {
      const expiryDate = new Date(expires).toISOString();
      return expires <= Date.parse(at) ? { status: 'Expired', expiryDate } : { status: 'Accepted', expiryDate };
    }
    return { status: 'Accepted' };
  }

  async function hasBalanceFor(user: User, tariff: Tariff | null): Promise<boolean> {
    return await available(user.id) >= minimumStartBalance(tariff, minStartBalance);
  }

  /** A tariff priced in another currency than the network's (left from an older version): no session may start on it. */
  function foreignCurrency(tariff: Tariff | null): string | null {
    return tariff !== null && tariff.currency !== currency
      ? `tariff ${tariff.id} ("${tariff.name}") is priced in ${tariff.currency}, the network in ${currency}: change the tariff`
      : null;
  }

  /** Completes `session` as its charger would have, billed from what was last read; debits once. */
  async function finish(session: Session, close: SessionClose, at: string): Promise<Notification[]> {
    if (!await store.sessions.complete(session.id, close)) return [];
    await store.holds.release(session.id, at);
    // A TxProfile ends with its transaction (E2 §3.13).
    await store.chargingProfiles.removeForTransaction(session.chargePointId, session.id);
    const done = (await store.sessions.get(session.id))!;
    const notifications = sessionNotifications('charging.stopped', done, at);
    if (done.customerId !== null && close.costMinor > 0) {
      // A debit: no other transaction decides about this wallet meanwhile (an admin's refund reads it).
      await store.lockCustomer(done.customerId);
      const charge = await store.wallet.add({ customerId: done.customerId, amountMinor: -close.costMinor, kind: 'charge', sessionId: done.id, note: `Session ${done.id}`, createdAt: at });
      if (charge) notifications.push(...walletNotifications(done.customerId, charge, await store.wallet.balance(done.customerId), at));
    }
    return notifications;
  }

  /** Closes a session whose StopTransaction has not come: billed up to its last meter value. */
  async function closeFromLastReading(session: Session, closedBy: ClosedBy, closeNote: string, at: string): Promise<Notification[]> {
    const tariff = session.tariff;
    const stoppedAt = session.lastMeterAt ?? session.startedAt;
    const energyWh = session.meterLast - session.meterStart;
    const costMinor = computeCostMinor(tariff, energyWh, session.startedAt, stoppedAt);
    return await finish(session, { meterStop: session.meterLast, energyWh, costMinor, stoppedAt, reason: null, closedBy, closeNote }, at);
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

  /**
   * StopTransaction inside its transaction. `samplesToKeep`: the stop's transactionData is not
   * stored yet (it is on the second pass, see below).
   */
  async function applyStop(chargePointId: string, req: StopTransactionRequest, receivedAt: string, samplesToKeep: boolean): Promise<{ session: Session | null; notifications: Notification[] }> {
    const session = await store.sessions.get(req.transactionId);
    if (!session || session.chargePointId !== chargePointId) return { session: null, notifications: [] };
    // A retried stop carries the same transactionData: kept once, with the first stop that arrives.
    const firstStop = session.status === 'active' || (session.closedBy !== 'charger' && session.stopReason === null);
    if (req.transactionData?.length && firstStop && samplesToKeep) {
      const { samples } = parseMeterValues(req.transactionData);
      await store.sessions.addMeterSamples(session.id, chargePointId, session.connectorId, samples);
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
    const stoppedAt = time.iso;
    const costMinor = computeCostMinor(session.tariff, energyWh, session.startedAt, stoppedAt);
    const at = now();
    const flag = async () => {
      for (const n of notes) if (n !== null) await store.sessions.flag(session.id, n);
    };
    if (session.status === 'active') {
      if (session.meterStartPending && usable) await store.sessions.updateProgress(session.id, { meterLast: meterStart, energyWh: 0, powerW: session.powerW, costMinor: session.costMinor, lastMeterAt: session.lastMeterAt ?? session.startedAt, meterStart });
      await flag();
      const notifications = await finish(session, { meterStop, energyWh, costMinor, stoppedAt, reason: req.reason ?? null, closedBy: 'charger', closeNote: null }, at);
      // Closed meanwhile by the CSMS or an admin, in a transaction of another node that
      // committed between our read and our close (PostgreSQL): the charger's word still
      // counts, so its stop reconciles that close, as if it had come after it.
      if (notifications.length === 0 && samplesToKeep) return await applyStop(chargePointId, req, receivedAt, false);
      return { session: await store.sessions.get(session.id), notifications };
    }
    if (req.reason !== undefined) await store.sessions.fillStopReason(session.id, req.reason);
    // Closed by the charger: a retry, nothing more to do. Closed by the CSMS or an admin without
    // the charger's word: its stop now says how much and until when, and the bill follows it.
    if (session.closedBy === 'charger' || !firstStop && meterStop === session.meterStop && stoppedAt === session.stoppedAt) {
      return { session: await store.sessions.get(session.id), notifications: [] };
    }
    await flag();
    await store.sessions.reconcile(session.id, { meterStop, energyWh, costMinor, stoppedAt });
    const done = (await store.sessions.get(session.id))!;
    const notifications = [notify('session.updated', sessionPayload(done), at, sessionSubject(done))];
    // The difference either way: a debit for what the close had not counted, a credit if it counted too much.
    const difference = costMinor - session.costMinor;
    if (done.customerId !== null && difference !== 0) {
      await store.lockCustomer(done.customerId);
      const entry = await store.wallet.add({ customerId: done.customerId, amountMinor: -difference, kind: 'adjustment', sessionId: done.id, note: `Session ${done.id}: the charger's final reading`, createdAt: at });
      if (entry) notifications.push(...walletNotifications(done.customerId, entry, await store.wallet.balance(done.customerId), at));
    }
    return { session: done, notifications };
  }

  return {
    /** The idTag's status without credit checks (StopTransaction.conf answers about the stopping tag). */
    async identify(idTag: string): Promise<IdTagInfo> {
      return decide(await holderOf(idTag), now());
    },

    /**
     * Authorize.req (E2 §4.2): unknown → Invalid, blocked card or account → Blocked, expired → Expired,
     * too little balance → Blocked. Never ConcurrentTx: E2 §7.2 makes it "only relevant for a
     * StartTransaction.req", and a charger caches this answer for the card.
     */
    async authorize(idTag: string, chargePointId?: string): Promise<IdTagInfo> {
      const holder = await holderOf(idTag);
      const { user } = holder;
      const info = decide(holder, now());
      if (info.status !== 'Accepted' || !user) return info;
      const tariff = chargePointId ? await store.tariffs.forChargePoint(chargePointId) : null;
      // As StartTransaction would answer: a charger caches what Authorize says.
      return foreignCurrency(tariff) === null && await hasBalanceFor(user, tariff) ? info : { status: 'Blocked' };
    },

    /**
     * StartTransaction.req: always yields a transactionId (chargers need one even for a refusal).
     * Durable before the caller answers; a retry with the same key returns the same id and answer.
     * A session still open on the same connector ends here: the charger has moved on.
     */
    async startTransaction(chargePointId: string, req: StartTransactionRequest, receivedAt = now()): Promise<{ transactionId: number; idTagInfo: IdTagInfo; created: boolean; notifications: Notification[] }> {
      return await store.transaction(async () => {
        const { card, user } = await holderOf(req.idTag);
        // Another node may be starting a session for the same customer: the balance and
        // concurrency checks below must see its outcome, not race it.
        if (user) await store.lockCustomer(user.id);
        const tariff = await store.tariffs.forChargePoint(chargePointId);
        let idTagInfo = decide({ card, user }, receivedAt);
        const misPriced = foreignCurrency(tariff);
        if (idTagInfo.status === 'Accepted' && user && card) {
          // ConcurrentTx (E2 §7.2) once the card, or its customer over all cards, runs as many transactions as it may.
          const active = await store.sessions.activeElsewhere(user.id, card.idTag, chargePointId, req.connectorId);
          if (active.idTag >= card.maxConcurrent || active.customer >= user.maxConcurrentSessions) idTagInfo = { status: 'ConcurrentTx' };
          else if (misPriced !== null || !await hasBalanceFor(user, tariff)) idTagInfo = { status: 'Blocked' };
        }
        const time = chargerTime(req.timestamp, receivedAt, 'StartTransaction.timestamp');
        const meterStart = registerReading(req.meterStart);
        const review = [time.note, meterStart === null ? `meterStart ${JSON.stringify(req.meterStart)} is not a usable register reading; the first usable one counts instead` : null, misPriced]
          .filter((n): n is string => n !== null).join('; ') || null;
        const { session, created } = await store.sessions.start({
          chargePointId,
          connectorId: req.connectorId,
          idTag: req.idTag,
          customerId: user?.role === 'customer' ? user.id : null,
          tariff: tariff && tariffTerms(tariff),
          currency,
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
        for (const old of await store.sessions.activeCreatedBefore(chargePointId, receivedAt, req.connectorId)) {
          if (old.id !== session.id) notifications.push(...await closeFromLastReading(old, 'csms', CAUSE_NOTES.superseded(old, String(session.id)), receivedAt));
        }
        const fee = computeCostMinor(session.tariff, 0, session.startedAt, session.startedAt);
        if (fee !== 0) await store.sessions.updateProgress(session.id, { meterLast: session.meterStart, energyWh: 0, powerW: 0, costMinor: fee, lastMeterAt: session.startedAt });
        if (session.customerId !== null) {
          // After the superseded sessions let go of theirs: what this one may count on from now. A
          // free session holds nothing (its reservation is its cost: 0), so it keeps no money from others.
          const free = Math.max(0, await available(session.customerId, session.id));
          const amountMinor = session.tariff === null ? 0 : holdMinor > 0 ? Math.min(holdMinor, free) : free;
          await store.holds.place({ sessionId: session.id, customerId: session.customerId, amountMinor, createdAt: receivedAt });
        }
        // charging.started is announced by the processor, from the committed row.
        return { transactionId: session.id, idTagInfo, created, notifications };
      });
    },

    /** MeterValues.req: updates energy, power and running cost of the session it belongs to. */
    async applyMeterValues(chargePointId: string, req: MeterValuesRequest, receivedAt = now()): Promise<{ session: Session | null; samples: number; warnings: string[]; notifications: Notification[]; stop?: AutoStop | null }> {
      const { samples, warnings } = parseMeterValues(req.meterValue);
      const session = req.transactionId !== undefined
        ? await store.sessions.get(req.transactionId)
        : await store.sessions.activeOnConnector(chargePointId, req.connectorId);
      const own = session && session.chargePointId === chargePointId ? session : null;
      const reading = latestReading(samples);
      let register = reading.energyWh === null ? null : registerReading(reading.energyWh);
      const powerW = reading.powerW === null ? null : powerReading(reading.powerW);
      if (!own || own.status !== 'active' || (register === null && powerW === null)) {
        await store.sessions.addMeterSamples(own?.id ?? null, chargePointId, req.connectorId, samples);
        return { session: own, samples: samples.length, warnings, notifications: [] };
      }
      const meterStart = own.meterStartPending && register !== null ? register : own.meterStart;
      if (register !== null && implausibleEnergy(meterStart, register)) {
        // Said once per session: a meter that keeps sending such readings must not grow the note.
        if (!own.review?.includes('MeterValues register')) await store.sessions.flag(own.id, `a MeterValues register of ${register} Wh is not believable after ${meterStart} Wh; such readings are ignored`);
        register = null;
      }
      // Energy never goes backwards: a late or reordered sample must not lower the bill.
      const meterLast = register === null ? own.meterLast : Math.max(own.meterLast, meterStart, register);
      const energyWh = Math.max(0, meterLast - meterStart);
      const time = reading.at === null ? null : chargerTime(reading.at, receivedAt, 'meterValue.timestamp');
      const at = time === null || time.note !== null ? receivedAt : time.iso;
      const costMinor = computeCostMinor(own.tariff, energyWh, own.startedAt, at);
      const progress = { meterLast, energyWh, powerW: powerW ?? own.powerW, costMinor, lastMeterAt: at, lastReportAt: receivedAt };
      // The samples and the progress they make: one write (the hot path of a running session).
      await store.sessions.recordReading(own.id, chargePointId, req.connectorId, samples, own.meterStartPending && register !== null ? { ...progress, meterStart } : progress);
      const updated = { ...own, ...progress, meterStart, meterStartPending: own.meterStartPending && register === null };
      const left = await balanceLeft(updated);
      const notifications = sessionNotifications('meter.values', updated, now());
      if (left !== null) for (const n of notifications) n.data.balanceLeftMinor = left;
      const used = await stopIfUsedUp(updated, own.costMinor, left, now());
      return { session: updated, samples: samples.length, warnings, notifications: [...notifications, ...used.notifications], stop: used.stop };
    },

    /**
     * StopTransaction.req: finalises energy and cost and debits the wallet exactly once, however
     * often the charger retries or the broker redelivers. After the CSMS closed the session itself,
     * the charger's stop still counts: its reason is filled in, and a higher meterStop is billed
     * with an adjustment for the difference.
     */
    async stopTransaction(chargePointId: string, req: StopTransactionRequest, receivedAt = now()): Promise<{ session: Session | null; notifications: Notification[] }> {
      return await store.transaction(() => applyStop(chargePointId, req, receivedAt, true));
    },

    /**
     * Closes the sessions the CSMS learned of before `receivedAt` that the charger no longer runs:
     * it rebooted (every connector), or a connector reported Available. Billed from the last
     * meter value; a StopTransaction that comes later still reconciles.
     */
    async closeAbandoned(chargePointId: string, cause: 'reboot' | 'available', receivedAt: string, connectorId?: number): Promise<Notification[]> {
      return await store.transaction(async () => {
        const out: Notification[] = [];
        for (const s of await store.sessions.activeCreatedBefore(chargePointId, receivedAt, cause === 'available' ? connectorId : undefined)) {
          out.push(...await closeFromLastReading(s, 'csms', CAUSE_NOTES[cause](s, ''), now()));
        }
        return out;
      });
    },

    /** An admin ends a session the charger will not stop (audited by who and why). */
    async closeByAdmin(sessionId: number, reason: string, admin: string): Promise<{ session: Session; notifications: Notification[] }> {
      return await store.transaction(async () => {
        const session = await store.sessions.get(sessionId);
        if (!session) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(sessionId));
        if (session.status !== 'active') throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', String(sessionId));
        const notifications = await closeFromLastReading(session, 'admin', `${reason} (closed by ${admin})`, now());
        return { session: (await store.sessions.get(sessionId))!, notifications };
      });
    },

    /**
     * Throws a CsmsError unless the customer may start charging on this connector now; the idTag to
     * start with is the primary card, else the oldest other, that is usable and has room for one more.
     */
    async prepareRemoteStart(customerId: number, chargePointId: string, connectorId: number): Promise<{ idTag: string }> {
      const user = await store.users.get(customerId);
      const cards = user ? await store.idTags.listForCustomer(customerId) : [];
      if (!user || cards.length === 0) throw new CsmsError('CSMS_ERR_FORBIDDEN', 'the account has no idTag');
      if (user.blocked) throw new CsmsError('CSMS_ERR_ACCOUNT_BLOCKED');
      const at = now();
      const usable = cards.filter((card) => decide({ card, user }, at).status === 'Accepted');
      if (usable.length === 0) throw new CsmsError('CSMS_ERR_ID_TAG_UNUSABLE', cards.map((c) => c.idTag).join(', '));
      const cp = await store.chargePoints.get(chargePointId);
      if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
      const connector = (await store.chargePoints.connectors(chargePointId)).find((c) => c.connectorId === connectorId);
      if (!connector) throw new CsmsError('CSMS_ERR_CONNECTOR_NOT_FOUND', `${chargePointId}/${connectorId}`);
      const active = await store.sessions.activeForCustomer(customerId);
      if (active.length >= user.maxConcurrentSessions) {
        throw new CsmsError('CSMS_ERR_SESSION_ACTIVE', user.maxConcurrentSessions > 1 ? `${active.length} of ${user.maxConcurrentSessions} allowed` : undefined);
      }
      const primaryFirst = [...usable].sort((a, b) => Number(sameIdTag(b.idTag, user.idTag)) - Number(sameIdTag(a.idTag, user.idTag)));
      const card = primaryFirst.find((c) => active.filter((s) => sameIdTag(s.idTag, c.idTag)).length < c.maxConcurrent);
      if (!card) throw new CsmsError('CSMS_ERR_ID_TAG_IN_USE', usable.map((c) => `${c.idTag} (${c.maxConcurrent})`).join(', '));
      if (await store.sessions.activeOnConnector(chargePointId, connectorId)) {
        throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId}/${connectorId} has a session in progress`);
      }
      // Reserved for another customer: refused with the reservation; for this one, it starts with the reserved card.
      const reservation = await assertNotReservedForOther(store, chargePointId, connectorId, { customerId }, now());
      if (['Unavailable', 'Faulted', 'Charging', ...(reservation ? [] : ['Reserved'])].includes(connector.status)) {
        throw new CsmsError('CSMS_ERR_CONNECTOR_UNAVAILABLE', `${chargePointId}/${connectorId} is ${connector.status}`);
      }
      const tariff = await store.tariffs.forChargePoint(chargePointId);
      const misPriced = foreignCurrency(tariff);
      if (misPriced !== null) throw new CsmsError('CSMS_ERR_CURRENCY_MISMATCH', misPriced);
      const needed = minimumStartBalance(tariff, minStartBalance);
      // What other running sessions reserve is not there to spend.
      const balance = await available(customerId);
      if (balance < needed) throw new CsmsError('CSMS_ERR_INSUFFICIENT_BALANCE', `balance ${balance}, needed ${needed}`, { balance, needed });
      // E2 §5.11: RemoteStart has no reservationId; the charger matches the reserved idTag.
      const reserved = reservation && usable.find((c) => sameIdTag(c.idTag, reservation.idTag));
      return { idTag: reserved ? reserved.idTag : card.idTag };
    },

    /** The customer's own active session, or CSMS_ERR_SESSION_NOT_FOUND (never another's data). */
    async prepareRemoteStop(customerId: number, sessionId: number): Promise<Session> {
      const session = await store.sessions.get(sessionId);
      if (!session || session.customerId !== customerId) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(sessionId));
      if (session.status !== 'active') throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', String(sessionId));
      return session;
    },

    staleBefore,

    /**
     * Adds the derived fields a page shows; cost of an active session is as of its last meter value.
     * `stale`: active, and neither the session nor its charger reported anything for `staleAfterMs`.
     */
    async view(session: Session): Promise<SessionView> {
      const end = session.stoppedAt ?? now();
      const durationS = Math.max(0, Math.round((Date.parse(end) - Date.parse(session.startedAt)) / 1000));
      let stale = false;
      if (session.status === 'active') {
        const heard = [session.lastReportAt ?? session.createdAt, (await store.chargePoints.get(session.chargePointId))?.lastSeenAt ?? ''];
        const before = staleBefore();
        stale = heard.every((t) => t < before);
      }
      const autoStop = session.customerId !== null && session.tariff !== null && (await store.holds.get(session.id))?.stopRequestedAt ? 'balance' as const : null;
      return { ...session, durationS, stale, balanceLeftMinor: await balanceLeft(session), autoStop };
    },
  };
}

/** A card and its holder; either may be missing (an unknown idTag). */
interface Holder {
  card: IdTagCard | null;
  user: User | null;
}

/** What a customer's open pages hear about a new ledger entry and the balance after it. */
export function walletNotifications(customerId: number, entry: WalletEntry, balance: number, at: string): Notification[] {
  return [
    notify('wallet.transaction', { customerId, entry }, at, { customers: [customerId] }),
    notify('wallet.updated', { customerId, balanceMinor: balance }, at, { customers: [customerId] }),
  ];
}
