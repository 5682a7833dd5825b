/** The transaction state machine: claim, Authorize, StartTransaction, stop, and what the CSMS's answers do to it. */
import { performance } from 'node:perf_hooks';
import { OcppConnectionClosedError, type ChargePointStatus, type StopReason } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import { reportError, type SessionOwner } from '../context.ts';
import type { TxMessage } from '../tx-outbox.ts';
import { cacheIdTagInfo } from './auth-cache.ts';
import { advance, timestamp } from './energy.ts';
import { keepInvalid, stopsOnInvalid } from './invalid-id.ts';
import { markOfflineStart, offlineDecision, preAuthorized, startedOffline } from './local-list.ts';
import { K_EV_DRAWS, message, type Connector, type Tx } from './model.ts';
import { useReservation } from './reservation.ts';
import { applyLimits, transactionEnded } from './smart-charging.ts';
import { reportStatus, sendStatus } from './status.ts';

/** The driver presents `owner`'s RFID card at connector `i`: Authorize, then the transaction. */
export function presentTag(ch: SimCharger, i: number, owner: SessionOwner, at: number): void {
  void runStart(ch, i, claim(ch, i, owner.idTag), 'rfid', at);
}

/** Takes connector `i` for a transaction of `idTag` (synchronously, so no second start can take it). */
export function claim(ch: SimCharger, i: number, idTag: string): Tx {
  const c = ch.connectors[i];
  c.heldBy = null;
  const reservationId = useReservation(ch, i, idTag);
  c.tx = {
    owner: ch.ctx.ownersByIdTag.get(idTag) ?? null, idTag, transactionId: null, meterStart: 0, startTimestamp: '',
    powerW: 0, wakes: null, limitW: Infinity, awaitingProfileSince: null, txProfileSeen: false, lastSampledWh: 0, refused: false, interrupted: false, lost: false, queuedMeters: 0, stopReason: null, ended: false,
    soc: ch.ctx.random.int(10, 40),
    ...(reservationId !== undefined ? { reservationId } : {}),
  };
  return c.tx;
}

/**
 * Authorize (for a card), Preparing, then the StartTransaction is queued with the register as it is.
 * A card the charger knows (local list, cache) starts without Authorize under LocalPreAuthorize, and
 * while the CSMS cannot be asked under LocalAuthorizeOffline (charger/local-list.ts, E2 §3.5, §3.6).
 */
export async function runStart(ch: SimCharger, i: number, tx: Tx, mode: 'app' | 'rfid', at: number): Promise<void> {
  const c = ch.connectors[i];
  let offline = false;
  try {
    if (mode === 'rfid') {
      const local = ch.link() ? preAuthorized(ch, tx.idTag) : null;
      if (local) countHit(ch, local);
      else if (!ch.link()) offline = true;
      else {
        try {
          const auth = await ch.call('Authorize', { idTag: tx.idTag }, at);
          cacheIdTagInfo(ch, tx.idTag, auth.idTagInfo);
          if (auth.idTagInfo.status !== 'Accepted') {
            reportError(ch.ctx, `ocpp.Authorize: ${auth.idTagInfo.status}`);
            abandon(ch, i, tx);
            return;
          }
        } catch (error) {
          // The connection went while we asked: the card is judged as offline (E2 §3.6).
          if (ch.link() || !(error instanceof OcppConnectionClosedError)) throw error;
          offline = true;
        }
      }
      if (offline) {
        const decision = offlineDecision(ch, tx.idTag);
        if (decision === 'refused') {
          reportError(ch.ctx, 'auth.offline: card refused', true);
          abandon(ch, i, tx);
          return;
        }
        if (decision !== 'unknown') countHit(ch, decision);
        ch.ctx.metrics.counters.authOfflineStarted++;
        markOfflineStart(tx);
      }
    }
    if (c.tx !== tx) return; // a reboot took it meanwhile
    if (offline || !ch.link()) reportStatus(ch, i + 1, 'Preparing');
    else await sendStatus(ch, i + 1, 'Preparing', performance.now());
    if (c.tx !== tx) return;
  } catch (error) {
    // Before StartTransaction was queued: the session never began.
    ch.failed(mode === 'rfid' ? 'Authorize' : 'StatusNotification', error);
    abandon(ch, i, tx);
    return;
  }
  const now = performance.now();
  advance(ch, c, now);
  const range = ch.tpl.powerKw;
  tx.powerW = Math.round(ch.ctx.random.between(range.min, range.max) * 1000);
  // Drawn only when asked for, so the seeds of scenarios without it make the same choices as before.
  const delay = ch.tpl.evStartDelay;
  if (delay.max > 0) {
    tx.wakes = { powerW: tx.powerW, at: now + ch.ctx.random.between(delay.min, delay.max) };
    tx.powerW = 0;
    ch.ctx.scheduler.at(tx.wakes.at, K_EV_DRAWS, ch, ch.meterGen);
  }
  tx.meterStart = Math.floor(c.registerWh);
  tx.lastSampledWh = tx.meterStart;
  tx.startTimestamp = new Date(timestamp(ch, now)).toISOString();
  c.advancedTo = now;
  // A TxDefaultProfile (or a RemoteStart's TxProfile) caps it from its first watt.
  applyLimits(ch, now);
  // Same payload on every resend: the CSMS answers a retried StartTransaction with the same transactionId.
  ch.outbox.push(message('StartTransaction', i, tx, now, { start: { connectorId: i + 1, idTag: tx.idTag, meterStart: tx.meterStart, timestamp: tx.startTimestamp, ...(tx.reservationId !== undefined ? { reservationId: tx.reservationId } : {}) } }));
  // Stopped while it was authorising: a transaction of no length, as a charger would record it.
  if (tx.stopReason) endTx(ch, i, tx, now);
  // Started offline: it charges now; the CSMS learns of it when the queue is delivered.
  else if (offline) reportStatus(ch, i + 1, 'Charging');
}

function countHit(ch: SimCharger, from: 'list' | 'cache'): void {
  if (from === 'list') ch.ctx.metrics.counters.authLocalListHits++;
  else ch.ctx.metrics.counters.authCacheHits++;
}

/** EVs whose evStartDelay is over begin to draw their power (from the K_EV_DRAWS timer, and at each meter sample). */
export function evsWake(ch: SimCharger, at: number): void {
  let woke = false;
  for (const c of ch.connectors) {
    const tx = c.tx;
    if (!tx?.wakes || tx.wakes.at > at) continue;
    advance(ch, c, at);
    tx.powerW = tx.wakes.powerW;
    tx.wakes = null;
    woke = true;
  }
  if (woke) applyLimits(ch, at);
}

/** The CSMS answered a transaction message. */
export function answered(ch: SimCharger, m: TxMessage, res: any): void {
  const i = m.connectorId - 1;
  const tx = m.tx as Tx;
  if (m.action === 'StopTransaction') {
    cacheIdTagInfo(ch, tx.idTag, res.idTagInfo);
    stopDone(ch, i, tx);
    return;
  }
  if (m.action !== 'StartTransaction') return;
  tx.transactionId = res.transactionId;
  cacheIdTagInfo(ch, tx.idTag, res.idTagInfo);
  if (res.idTagInfo.status !== 'Accepted') {
    // Started offline (E2 §3.6): the CSMS may refuse a card the charger let through; that is no error of the CSMS.
    reportError(ch.ctx, `ocpp.StartTransaction: idTag ${res.idTagInfo.status}`, startedOffline(tx));
    // The CSMS holds a (refused) transaction under this id: the charger ends it (StopTransactionOnInvalidId),
    // or keeps it with its energy capped (charger/invalid-id.ts) until the driver ends it.
    tx.refused = true;
    ch.outbox.removeWhere((q) => q.tx === tx && q.action === 'MeterValues' && !q.sent);
    if (tx.stopReason) return;
    if (stopsOnInvalid(ch)) {
      tx.stopReason = 'DeAuthorized';
      endTx(ch, i, tx, performance.now());
    } else if (!tx.lost) {
      keepInvalid(ch, i, tx);
      tx.owner?.onSessionStarted(ch.index, i, res.transactionId);
    }
    return;
  }
  if (tx.lost) return;
  // At a station with a grid limit the CSMS owes the transaction a TxProfile (`loadmgmt.rebalance`).
  if (!tx.ended && !tx.txProfileSeen && ch.ctx.sites.managed(ch)) tx.awaitingProfileSince = performance.now();
  tx.owner?.onSessionStarted(ch.index, i, res.transactionId);
  if (!tx.stopReason) reportStatus(ch, i + 1, 'Charging');
}

/** Given up after TransactionMessageAttempts failed sends. */
export function dropped(ch: SimCharger, m: TxMessage): void {
  const tx = m.tx as Tx;
  const i = m.connectorId - 1;
  if (m.action === 'StopTransaction') stopDone(ch, i, tx);
  else if (m.action === 'StartTransaction') {
    // Without a transactionId its MeterValues and StopTransaction cannot be sent.
    ch.outbox.removeWhere((q) => q.tx === tx);
    abandon(ch, i, tx);
  }
}

/** The transaction never started: free the connector and tell its owner. */
export function abandon(ch: SimCharger, i: number, tx: Tx): void {
  const c = ch.connectors[i];
  if (c.tx !== tx) return;
  c.tx = null;
  transactionEnded(ch, tx, performance.now());
  tx.owner?.onSessionEnded(false);
  reportStatus(ch, i + 1, afterTx(c));
}

function afterTx(c: Connector): ChargePointStatus {
  const next = c.unavailableAfterTx || c.status === 'Unavailable' ? 'Unavailable' : 'Available';
  c.unavailableAfterTx = false;
  return next;
}

/** Ends the transaction on connector `i` (the driver unplugs, a RemoteStop, a reset); its StopTransaction is queued. */
export function stop(ch: SimCharger, i: number, reason: StopReason, at = performance.now()): void {
  const tx = ch.connectors[i]?.tx;
  if (!tx || tx.stopReason) return;
  tx.stopReason = reason;
  // Not begun (authorising): runStart ends it right after queueing its StartTransaction.
  if (tx.startTimestamp !== '') endTx(ch, i, tx, at);
}

function endTx(ch: SimCharger, i: number, tx: Tx, at: number): void {
  const c = ch.connectors[i];
  advance(ch, c, at);
  tx.ended = true;
  transactionEnded(ch, tx, at);
  const meterStop = Math.max(Math.floor(c.registerWh), tx.lastSampledWh);
  c.registerWh = Math.max(c.registerWh, meterStop);
  if (!tx.interrupted) reportStatus(ch, i + 1, 'Finishing');
  const stopPayload = { meterStop, timestamp: new Date(timestamp(ch, at)).toISOString(), idTag: tx.idTag, reason: tx.stopReason! };
  ch.outbox.push(message('StopTransaction', i, tx, at, { stop: stopPayload, energyWh: meterStop }));
}

function stopDone(ch: SimCharger, i: number, tx: Tx): void {
  const c = ch.connectors[i];
  if (c.tx !== tx) return;
  c.tx = null;
  tx.owner?.onSessionEnded(!tx.refused);
  reportStatus(ch, i + 1, afterTx(c));
}

/** A model that keeps no transaction across a reboot: after the boot it only reports the connector Available. */
export function forget(ch: SimCharger, i: number, tx: Tx): void {
  const c = ch.connectors[i];
  tx.lost = true;
  ch.outbox.removeWhere((m) => m.tx === tx);
  if (tx.transactionId !== null) ch.ctx.ledger.lostTransaction(tx.transactionId);
  c.tx = null;
  transactionEnded(ch, tx, performance.now());
  c.status = afterTx(c);
  tx.owner?.onSessionEnded(false);
}

/**
 * Transactions still open as the charger goes: their StopTransaction (or StartTransaction) was never
 * answered. Always an unexpected error, chaos or not: the run promises that every session ends.
 */
export function reportUnfinished(ch: SimCharger): void {
  for (const c of ch.connectors) {
    const tx = c.tx;
    if (!tx) continue;
    if (ch.outbox.has(tx, 'StartTransaction')) ch.ctx.metrics.error('ocpp.StartTransaction: not answered before the run ended', false);
    else if (tx.transactionId !== null) ch.ctx.metrics.error('ocpp.StopTransaction: not answered before the run ended', false);
  }
}
