/**
 * A charger's transaction-related messages (StartTransaction, StopTransaction, MeterValues with a
 * transactionId), E2 §4.8: queued in order and sent one at a time, kept while the CSMS is
 * unreachable and resent after the reconnect, resent after a timeout or a CALLERROR every
 * TransactionMessageRetryInterval × attempt until TransactionMessageAttempts sends failed. An
 * answer is the CSMS's promise to keep the message: each one goes into the run's ledger.
 */
import { performance } from 'node:perf_hooks';
import {
  OcppConnectionClosedError, type MeterValue, type OcppConnection, type StartTransactionRequest, type StopTransactionRequest,
} from '../ocpp/index.ts';
import type { SessionOwner, SimContext } from './context.ts';
import type { Expectation } from './expectations.ts';

export type TxAction = 'StartTransaction' | 'StopTransaction' | 'MeterValues';

/** What the outbox needs to know of a transaction; the charger's own record. */
export interface TxRef {
  owner: SessionOwner | null;
  idTag: string;
  /** null until the StartTransaction is answered; filled into the queued messages then. */
  transactionId: number | null;
  meterStart: number;
  /** The CSMS refused its idTag: it was never active, so nothing is notified for it. */
  refused: boolean;
  /** Interrupted by a reboot: the CSMS may have closed it at the BootNotification, so what it notifies is its choice. */
  interrupted: boolean;
  /** The charger forgot it at a reboot (faults.rebootLosesTransactions): the CSMS must close it. */
  lost: boolean;
  /** MeterValues of this transaction in the queue. */
  queuedMeters: number;
}

export interface TxMessage {
  action: TxAction;
  connectorId: number;
  tx: TxRef;
  /** Start: the whole payload (resent as is). Stop: all but transactionId. MeterValues: the readings. */
  start?: Omit<StartTransactionRequest, 'reservationId'>;
  stop?: Required<Omit<StopTransactionRequest, 'transactionId' | 'transactionData'>>;
  meterValue?: MeterValue[];
  /** The energy register reading it carries (MeterValues), Wh; what the customer's notification shows. */
  energyWh: number;
  /** performance.now() when it was queued: its latency counts from there (or from the reconnect). */
  queuedAt: number;
  /** Sends that timed out or got a CALLERROR. */
  failures: number;
  /** Went on the wire at least once: never dropped to make room. */
  sent: boolean;
  /** performance.now() before which it is not resent (the retry interval). */
  notBefore: number;
  /** Answered, dropped or discarded: later answers only go to the ledger. */
  done: boolean;
}

/** The charger side of the outbox. */
export interface OutboxHost {
  readonly id: string;
  /** The connection transaction messages may go out on (online, BootNotification accepted), or null. */
  link(): OcppConnection<any, any, any> | null;
  /** TransactionMessageAttempts and TransactionMessageRetryInterval (ms), read at each failure. */
  retryPolicy(): { attempts: number; intervalMs: number };
  /** Call `pump()` again at `at` (a retry waiting for its interval). */
  wakeAt(at: number): void;
  answered(m: TxMessage, res: any): void;
  /** Given up after the last attempt (counted as an unexpected error already). */
  dropped(m: TxMessage): void;
  /** A send failed (timeout, CALLERROR): counted as an error, expected or not by the charger's rules. */
  failed(action: string, error: unknown): void;
}

/** At most this many unsent MeterValues per transaction; the oldest unsent ones make room. */
export const MAX_QUEUED_METER_VALUES = 60;

export class TxOutbox {
  readonly queue: TxMessage[] = [];
  private inflight: TxMessage | null = null;
  private inflightConn: object | null = null;
  private lastConn: object | null = null;
  private linkSince = 0;

  constructor(private readonly host: OutboxHost, private readonly ctx: SimContext) {}

  /** Queues `m` behind the others and sends it when its turn comes. */
  push(m: TxMessage): void {
    if (m.action === 'MeterValues') {
      if (m.tx.queuedMeters >= MAX_QUEUED_METER_VALUES) {
        const i = this.queue.findIndex((q) => q.tx === m.tx && q.action === 'MeterValues' && !q.sent);
        if (i >= 0) {
          this.discard(i);
          this.ctx.metrics.error('ocpp.MeterValues: oldest unsent reading dropped (queue full while offline)', true);
        }
      }
      m.tx.queuedMeters++;
    }
    this.queue.push(m);
    this.pump();
  }

  /** Whether a message of `action` for `tx` is still waiting for its answer. */
  has(tx: TxRef, action: TxAction): boolean {
    return this.queue.some((m) => m.tx === tx && m.action === action);
  }

  /** Removes the messages `drop` picks: the charger forgot them (a reboot that loses transactions, a refused start). */
  removeWhere(drop: (m: TxMessage) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (drop(this.queue[i])) this.discard(i);
    if (this.inflight?.done) this.inflight = null;
  }

  /** Sends the head of the queue when the charger is online and nothing of ours is in flight. */
  pump(): void {
    const conn = this.host.link();
    if (!conn) return;
    if (conn !== this.lastConn) {
      this.lastConn = conn;
      this.linkSince = performance.now();
    }
    // One at a time (E2 §4.8 keeps the order); an answer still due on a dead socket does not block.
    if (this.inflight !== null && this.inflightConn === conn) return;
    const m = this.queue[0];
    if (!m) return;
    const now = performance.now();
    // The scheduler may fire up to 1 ms early.
    if (m.notBefore > now + 1) {
      this.host.wakeAt(m.notBefore);
      return;
    }
    this.inflight = m;
    this.inflightConn = conn;
    void this.send(m, conn, now);
  }

  private async send(m: TxMessage, conn: OcppConnection<any, any, any>, now: number): Promise<void> {
    // Latency from when it could first go out: queued behind others, yes; offline, no; a resend from now.
    const at = m.sent ? now : Math.max(m.queuedAt, this.linkSince);
    m.sent = true;
    const payload = this.payloadOf(m);
    const exp = this.expect(m, payload, at);
    let res: any;
    try {
      res = await conn.callAny(m.action, payload);
    } catch (error) {
      if (exp) this.ctx.expectations.cancel(exp);
      const current = this.settle(m, conn);
      if (current && !m.done) this.fail(m, error);
      this.pump();
      return;
    }
    this.ctx.metrics.latency(`ocpp.${m.action}`, performance.now() - at);
    this.settle(m, conn);
    this.record(m, payload, res);
    // Answered after the charger forgot the transaction: the CSMS holds a session only it can close.
    if (m.tx.lost && m.action === 'StartTransaction' && typeof res.transactionId === 'number') this.ctx.ledger.lostTransaction(res.transactionId);
    if (!m.done) {
      m.done = true;
      const i = this.queue.indexOf(m);
      if (i >= 0) this.discard(i);
      if (m.action === 'StartTransaction' && res.idTagInfo?.status !== 'Accepted' && exp) this.ctx.expectations.cancel(exp);
      this.host.answered(m, res);
    }
    this.pump();
  }

  /** Clears the in-flight mark if `m` on `conn` holds it; true when it did. */
  private settle(m: TxMessage, conn: object): boolean {
    if (this.inflight !== m || this.inflightConn !== conn) return false;
    this.inflight = null;
    this.inflightConn = null;
    return true;
  }

  private fail(m: TxMessage, error: unknown): void {
    // A lost connection is no attempt: the message waits for the reconnect (the close was counted).
    if (error instanceof OcppConnectionClosedError) return;
    this.host.failed(m.action, error);
    m.failures++;
    const { attempts, intervalMs } = this.host.retryPolicy();
    if (m.failures >= attempts) {
      this.ctx.metrics.error(`ocpp.${m.action}: dropped after ${m.failures} attempts`, false);
      m.done = true;
      const i = this.queue.indexOf(m);
      if (i >= 0) this.discard(i);
      this.host.dropped(m);
      return;
    }
    // E2 §9.1.29: the wait grows with each failed attempt.
    m.notBefore = performance.now() + intervalMs * m.failures;
  }

  private discard(i: number): void {
    const [m] = this.queue.splice(i, 1);
    m.done = true;
    if (m.action === 'MeterValues') m.tx.queuedMeters--;
  }

  private payloadOf(m: TxMessage): Record<string, unknown> {
    switch (m.action) {
      case 'StartTransaction': return m.start!;
      case 'StopTransaction': return { transactionId: m.tx.transactionId, ...m.stop! };
      case 'MeterValues': return { connectorId: m.connectorId, transactionId: m.tx.transactionId, meterValue: m.meterValue! };
    }
  }

  private expect(m: TxMessage, payload: Record<string, unknown>, at: number): Expectation | null {
    const { owner } = m.tx;
    if (!owner || m.tx.interrupted) return null;
    const { expectations } = this.ctx;
    switch (m.action) {
      case 'StartTransaction': return expectations.expect(owner, `s|${this.host.id}|${m.connectorId}`, 'notify.charging.started', at);
      case 'MeterValues': return m.tx.refused ? null : expectations.expect(owner, `m|${payload.transactionId}`, 'notify.meter.values', at, m.energyWh - m.tx.meterStart);
      case 'StopTransaction': return m.tx.refused ? null : expectations.expect(owner, `x|${payload.transactionId}`, 'notify.charging.stopped', at);
    }
  }

  private record(m: TxMessage, payload: Record<string, any>, res: any): void {
    const { ledger } = this.ctx;
    const chargerId = this.host.id;
    switch (m.action) {
      case 'StartTransaction':
        ledger.ackedStart({ chargerId, ...m.start!, transactionId: res.transactionId, accepted: res.idTagInfo?.status === 'Accepted' });
        return;
      case 'StopTransaction':
        ledger.ackedStop({ chargerId, transactionId: payload.transactionId, meterStop: m.stop!.meterStop, timestamp: m.stop!.timestamp, reason: m.stop!.reason });
        return;
      case 'MeterValues': {
        const register = m.meterValue!.flatMap((v) => v.sampledValue).find((v) => v.measurand === 'Energy.Active.Import.Register');
        ledger.ackedMeter({ chargerId, transactionId: payload.transactionId, timestamps: m.meterValue!.map((v) => v.timestamp), energyWh: register ? Number(register.value) : null });
      }
    }
  }
}
