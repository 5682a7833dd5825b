/**
 * A simulated charge point. State is small and flat; its timers (connect, heartbeat, meter values,
 * injected faults) live on the run's one scheduler, cancelled by bumping `gen`. It behaves as
 * test/helpers/live-charger.ts does: it answers RemoteStart/RemoteStop first, then sends the
 * transaction's messages; its energy register only grows, by power × time; an open transaction
 * survives a reconnect (StartTransaction resent as is, MeterValues resumed, StopTransaction sent late).
 */
import { performance } from 'node:perf_hooks';
import {
  connectOcpp, OcppConnectionClosedError, OcppError, OcppTimeoutError,
  type ChargePointErrorCode, type ChargePointStatus, type HandlerMap, type CsmsToChargePoint, type OcppConnection, type OcppMessageInfo,
  type OcppProtocolErrorInfo, type SampledValue, type StopReason,
} from '../ocpp/index.ts';
import { reportError, type Actor, type SessionOwner, type SimContext } from './context.ts';
import type { Expectation } from './expectations.ts';
import type { ChargerTemplate } from './scenario/schema.ts';

const K_CONNECT = 1;
const K_HEARTBEAT = 2;
const K_METER = 3;
const K_DROP = 4;
const K_MALFORMED = 5;
const K_BOOT_RETRY = 6;
const K_FAULT = 7;
const K_RECOVER = 8;

/** Error codes a simulated connector fault reports (OCPP 1.6 ChargePointErrorCode). */
const FAULT_CODES = ['GroundFailure', 'OverCurrentFailure', 'HighTemperature', 'ConnectorLockFailure', 'PowerMeterFailure'] as const;

/** Sends of one StopTransaction that time out before we give up on it (OCPP's TransactionMessageAttempts). */
const STOP_ATTEMPTS = 3;

/** Message ids of frames we break on purpose start with this, so their answers are not errors. */
const MALFORMED_PREFIX = 'mf';

export interface Tx {
  owner: SessionOwner | null;
  idTag: string;
  transactionId: number | null;
  meterStart: number;
  startTimestamp: string;
  powerW: number;
  lastSentWh: number;
  /** StartTransaction sent but not answered: resent as is after a reconnect (same transactionId back). */
  startPending: boolean;
  /** A StartTransaction is on the wire now: a resume must not send a second one beside it. */
  starting: boolean;
  /** The CSMS refused the idTag in its StartTransaction answer: stopped at once (DeAuthorized). */
  refused: boolean;
  stopReason: StopReason | null;
  /** A StopTransaction (or the Finishing status before it) is on the wire. */
  stopping: boolean;
  /** StopTransaction sends that timed out. */
  stopTimeouts: number;
  soc: number;
}

interface Connector {
  status: ChargePointStatus;
  /** Energy register, Wh; never decreases. */
  registerWh: number;
  /** performance.now() up to which the register has been advanced. */
  advancedTo: number;
  tx: Tx | null;
  reservedBy: SessionOwner | null;
}

type ChargerConnection = OcppConnection<CsmsToChargePoint, any, SimCharger>;

export type ChargerState = 'idle' | 'connecting' | 'online' | 'offline' | 'closed';

export class SimCharger implements Actor {
  state: ChargerState = 'idle';
  conn: ChargerConnection | null = null;
  gen = 0;
  booted = false;
  attempts = 0;
  /** Set before we drop the connection on purpose (fault, chaos), so the close is not an error. */
  dropping = false;
  readonly connectors: Connector[];
  private lastTs = 0;
  private malformedSeq = 0;
  /** The connector a simulated fault holds, or -1. */
  private faultedIndex = -1;
  private readonly onClose: () => void;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly tpl: ChargerTemplate,
    public password: string | null,
    private readonly ctx: SimContext,
    private readonly shared: FleetShared,
  ) {
    this.connectors = Array.from({ length: tpl.connectors }, () => ({ status: 'Available' as ChargePointStatus, registerWh: ctx.random.int(0, 50_000), advancedTo: 0, tx: null, reservedBy: null }));
    this.onClose = this.handleClose.bind(this);
  }

  get charging(): boolean {
    return this.connectors.some((c) => c.tx !== null);
  }

  get faulted(): boolean {
    return this.connectors.some((c) => c.status === 'Faulted');
  }

  /** Ramp-down: ends every open transaction at the charger (the driver unplugs); sent once online. */
  stopAll(reason: StopReason): void {
    for (let i = 0; i < this.connectors.length; i++) this.stop(i, reason);
  }

  /** Index of a connector a customer may take now, or -1. */
  freeConnector(): number {
    if (this.state !== 'online' || !this.booted) return -1;
    return this.connectors.findIndex((c) => c.tx === null && c.reservedBy === null && c.status === 'Available');
  }

  reserve(i: number, owner: SessionOwner): void {
    this.connectors[i].reservedBy = owner;
  }

  release(i: number): void {
    this.connectors[i].reservedBy = null;
  }

  /** Schedules the first connection attempt. */
  scheduleConnect(at: number): void {
    this.ctx.scheduler.at(at, K_CONNECT, this, this.gen);
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (gen !== this.gen || this.state === 'closed') return;
    switch (kind) {
      case K_CONNECT: this.connect(); return;
      case K_HEARTBEAT: this.heartbeat(at); return;
      case K_METER: this.meterTick(at); return;
      // Injected drops belong to the load phase; in ramp-down the open transactions must get through.
      case K_DROP: if (!this.ctx.stopping) this.drop(); return;
      case K_MALFORMED: this.malformed(at); return;
      case K_BOOT_RETRY: void this.boot(at); return;
      case K_FAULT: this.fault(at); return;
      case K_RECOVER: this.recover(at); return;
    }
  }

  private connect(): void {
    if (this.state === 'connecting' || this.state === 'online') return;
    this.state = 'connecting';
    const gen = this.gen;
    connectOcpp<CsmsToChargePoint, any, SimCharger>(this.ctx.ocppUrl, this.id, {
      handlers: this.shared.handlers,
      context: this,
      onMessage: this.shared.onMessage,
      onProtocolError: this.shared.onProtocolError,
      ...(this.password !== null ? { basicAuth: { password: this.password } } : {}),
    }).then(
      (conn) => this.opened(conn, gen),
      (error: Error) => {
        if (gen !== this.gen || this.state === 'closed') return;
        reportError(this.ctx, `ocpp.connect: ${error.message.slice(0, 60)}`, this.attempts > 0);
        this.state = 'offline';
        this.scheduleReconnect();
      },
    );
  }

  private opened(conn: ChargerConnection, gen: number): void {
    if (gen !== this.gen || this.state === 'closed') {
      conn.close(1000, 'not needed');
      return;
    }
    this.conn = conn;
    this.state = 'online';
    this.attempts = 0;
    conn.socket.once('close', this.onClose);
    const now = performance.now();
    this.ctx.scheduler.at(now + this.tpl.heartbeatInterval, K_HEARTBEAT, this, this.gen);
    this.ctx.scheduler.at(now + this.tpl.meterValues.interval, K_METER, this, this.gen);
    this.scheduleFaults(now);
    void this.boot(now);
  }

  // J §5.4: after a reconnect a charger need not boot again; it reports its connectors and goes on.
  private async boot(scheduledAt: number): Promise<void> {
    try {
      if (!this.booted) {
        const res = await this.call('BootNotification', { chargePointVendor: this.tpl.vendor, chargePointModel: this.tpl.model, chargePointSerialNumber: this.id.slice(0, 25), firmwareVersion: '1.0.0' }, scheduledAt);
        if (res.status !== 'Accepted') {
          reportError(this.ctx, `ocpp.BootNotification: ${res.status}`);
          this.ctx.scheduler.at(performance.now() + Math.max(1000, (res.interval ?? 10) * 1000), K_BOOT_RETRY, this, this.gen);
          return;
        }
        this.booted = true;
      }
      await this.status(0, 'Available', performance.now());
      // A fault's recovery timer died with the old connection: the connector comes back Available.
      this.faultedIndex = -1;
      for (let i = 0; i < this.connectors.length; i++) {
        const c = this.connectors[i];
        if (!c.tx) c.status = 'Available';
        await this.status(i + 1, c.status, performance.now());
      }
      await this.resumeTransactions();
    } catch (error) {
      this.failed('BootNotification', error);
      // A status timed out but the connection is up: the open transactions must still go on.
      if (this.booted && this.conn && !(error instanceof OcppConnectionClosedError)) await this.resumeTransactions();
    }
  }

  private async resumeTransactions(): Promise<void> {
    for (let i = 0; i < this.connectors.length; i++) {
      const tx = this.connectors[i].tx;
      if (!tx) continue;
      if (tx.startPending) await this.sendStart(i, tx, performance.now());
      else if (tx.stopReason && !tx.stopping) await this.finish(i, performance.now());
    }
  }

  private scheduleFaults(now: number): void {
    const f = this.tpl.faults;
    if (f.disconnectPerMinute > 0) this.ctx.scheduler.at(now + this.exponential(f.disconnectPerMinute), K_DROP, this, this.gen);
    if (f.malformedFramesPerMinute > 0) this.ctx.scheduler.at(now + this.exponential(f.malformedFramesPerMinute), K_MALFORMED, this, this.gen);
    if (f.connectorFaultsPerMinute > 0) this.ctx.scheduler.at(now + this.exponential(f.connectorFaultsPerMinute), K_FAULT, this, this.gen);
  }

  /** An idle connector faults (one at a time per charger) and recovers after `faultDuration`. */
  private fault(at: number): void {
    const f = this.tpl.faults;
    this.ctx.scheduler.at(at + this.exponential(f.connectorFaultsPerMinute), K_FAULT, this, this.gen);
    if (this.ctx.stopping || this.faultedIndex >= 0) return;
    const i = this.freeConnector();
    if (i < 0) return;
    this.faultedIndex = i;
    const code = FAULT_CODES[this.ctx.random.int(0, FAULT_CODES.length - 1)];
    this.status(i + 1, 'Faulted', at, code).catch((error) => this.failed('StatusNotification', error));
    this.ctx.scheduler.at(at + f.faultDuration, K_RECOVER, this, this.gen);
  }

  private recover(at: number): void {
    const i = this.faultedIndex;
    this.faultedIndex = -1;
    if (i < 0 || this.connectors[i].status !== 'Faulted') return;
    this.status(i + 1, 'Available', at).catch((error) => this.failed('StatusNotification', error));
  }

  /** Time to the next event of a Poisson process with `perMinute` events a minute, ms. */
  private exponential(perMinute: number): number {
    return (-Math.log(1 - this.ctx.random.next()) / perMinute) * 60_000;
  }

  private handleClose(): void {
    const wasDropping = this.dropping;
    this.dropping = false;
    this.conn = null;
    this.gen++;
    if (this.state === 'closed') return;
    this.state = 'offline';
    reportError(this.ctx, wasDropping ? 'ocpp.disconnect (injected)' : 'ocpp.connection lost', wasDropping);
    this.scheduleReconnect();
  }

  /** Exponential backoff with jitter: initial · 2^attempts, capped, ± jitter. */
  scheduleReconnect(delayMs?: number): void {
    const r = this.tpl.faults.reconnect;
    const base = Math.min(r.max, r.initial * 2 ** this.attempts);
    this.attempts++;
    const delay = delayMs ?? this.ctx.random.jitter(base, r.jitter);
    this.ctx.scheduler.at(performance.now() + delay, K_CONNECT, this, this.gen);
  }

  /** Drops the connection on purpose; it comes back by itself (after `reconnectAfterMs`, else with backoff). */
  drop(reconnectAfterMs?: number): void {
    if (!this.conn || this.state !== 'online') return;
    this.dropping = true;
    const conn = this.conn;
    if (reconnectAfterMs !== undefined) {
      conn.socket.removeListener('close', this.onClose);
      this.handleClose();
      this.gen++;
      this.ctx.scheduler.at(performance.now() + reconnectAfterMs, K_CONNECT, this, this.gen);
    }
    conn.socket.terminate();
  }

  private malformed(at: number): void {
    if (!this.conn) return;
    // A CALL whose payload is not an object: the CSMS must answer FormationViolation, not fall over.
    this.conn.sendRaw(`[2,"${MALFORMED_PREFIX}${this.index}-${this.malformedSeq++}","Heartbeat","not-an-object"]`);
    this.ctx.metrics.error('ocpp.malformed frame sent', true);
    this.ctx.scheduler.at(at + this.exponential(this.tpl.faults.malformedFramesPerMinute), K_MALFORMED, this, this.gen);
  }

  private heartbeat(at: number): void {
    this.ctx.scheduler.at(at + this.tpl.heartbeatInterval, K_HEARTBEAT, this, this.gen);
    this.call('Heartbeat', {}, at).catch((error) => this.failed('Heartbeat', error));
  }

  /** The wall-clock timestamp of `perf` time, strictly increasing per charger (statuses are matched by it). */
  private timestamp(perf: number): number {
    const wall = Math.floor(performance.timeOrigin + perf);
    this.lastTs = Math.max(wall, this.lastTs + 1);
    return this.lastTs;
  }

  private advance(c: Connector, to: number): void {
    if (c.tx && to > c.advancedTo) c.registerWh += (c.tx.powerW * (to - c.advancedTo)) / 3_600_000;
    c.advancedTo = Math.max(c.advancedTo, to);
  }

  private meterTick(at: number): void {
    this.ctx.scheduler.at(at + this.tpl.meterValues.interval, K_METER, this, this.gen);
    for (let i = 0; i < this.connectors.length; i++) {
      const c = this.connectors[i];
      this.advance(c, at);
      const tx = c.tx;
      if (!tx || tx.transactionId === null || tx.stopping || tx.stopReason) continue;
      void this.sendMeter(i, tx, at);
    }
  }

  private async sendMeter(i: number, tx: Tx, at: number): Promise<void> {
    const c = this.connectors[i];
    // Whole Wh on the wire, strictly increasing, so each reading is recognisable in its notification.
    const wh = Math.max(Math.floor(c.registerWh), tx.lastSentWh + 1);
    c.registerWh = Math.max(c.registerWh, wh);
    tx.lastSentWh = wh;
    const ts = new Date(this.timestamp(at)).toISOString();
    const sampled: SampledValue[] = [];
    for (const m of this.tpl.meterValues.measurands) {
      if (m === 'Energy.Active.Import.Register') sampled.push({ value: String(wh), context: 'Sample.Periodic', measurand: m, location: 'Outlet', unit: 'Wh' });
      else if (m === 'Power.Active.Import') sampled.push({ value: String(tx.powerW), context: 'Sample.Periodic', measurand: m, location: 'Outlet', unit: 'W' });
      else if (m === 'Current.Import') sampled.push({ value: (tx.powerW / (3 * 230)).toFixed(1), context: 'Sample.Periodic', measurand: m, location: 'Outlet', unit: 'A' });
      else if (m === 'Voltage') sampled.push({ value: '230', context: 'Sample.Periodic', measurand: m, location: 'Outlet', unit: 'V' });
      else if (m === 'SoC') sampled.push({ value: String(Math.min(100, Math.round(tx.soc + ((wh - tx.meterStart) / 60_000) * 100))), context: 'Sample.Periodic', measurand: m, location: 'EV', unit: 'Percent' });
    }
    const owner = tx.owner;
    const exp = owner && owner === c.tx?.owner ? this.ctx.expectations.expect(owner, `m|${tx.transactionId}`, 'notify.meter.values', at, wh - tx.meterStart) : null;
    try {
      await this.call('MeterValues', { connectorId: i + 1, transactionId: tx.transactionId!, meterValue: [{ timestamp: ts, sampledValue: sampled }] }, at);
    } catch (error) {
      if (exp) this.ctx.expectations.cancel(exp);
      this.failed('MeterValues', error);
    }
  }

  /** StatusNotification; every admin watcher expects the matching connector.status (and charger.status for 0). */
  private async status(connectorId: number, status: ChargePointStatus, at: number, errorCode: ChargePointErrorCode = 'NoError'): Promise<void> {
    if (connectorId > 0) this.connectors[connectorId - 1].status = status;
    const ts = this.timestamp(at);
    let exps: Expectation[] | null = null;
    if (this.ctx.admins.length > 0) {
      exps = [];
      for (const admin of this.ctx.admins) {
        exps.push(this.ctx.expectations.expect(admin, `c|${this.id}|${connectorId}`, 'notify.connector.status', at, ts, status));
        if (connectorId === 0) exps.push(this.ctx.expectations.expect(admin, `g|${this.id}`, 'notify.charger.status', at, ts, status));
      }
    }
    try {
      await this.call('StatusNotification', { connectorId, errorCode, status, timestamp: new Date(ts).toISOString() }, at);
    } catch (error) {
      if (exps) for (const e of exps) this.ctx.expectations.cancel(e);
      throw error;
    }
  }

  /** The driver presents `owner`'s RFID card at connector `i`: Authorize, then the transaction. */
  presentTag(i: number, owner: SessionOwner, at: number): void {
    void this.runStart(i, this.claim(i, owner.idTag), 'rfid', at);
  }

  /** Takes connector `i` for a transaction of `idTag` (synchronously, so no second start can take it). */
  claim(i: number, idTag: string): Tx {
    const c = this.connectors[i];
    c.reservedBy = null;
    c.tx = {
      owner: this.ctx.ownersByIdTag.get(idTag) ?? null, idTag, transactionId: null, meterStart: 0, startTimestamp: '',
      powerW: 0, lastSentWh: 0, startPending: false, starting: false, refused: false, stopReason: null, stopping: false, stopTimeouts: 0, soc: this.ctx.random.int(10, 40),
    };
    return c.tx;
  }

  async runStart(i: number, tx: Tx, mode: 'app' | 'rfid', at: number): Promise<void> {
    const c = this.connectors[i];
    try {
      if (mode === 'rfid') {
        const auth = await this.call('Authorize', { idTag: tx.idTag }, at);
        if (auth.idTagInfo.status !== 'Accepted') {
          reportError(this.ctx, `ocpp.Authorize: ${auth.idTagInfo.status}`);
          this.abandon(i, tx);
          return;
        }
      }
      await this.status(i + 1, 'Preparing', performance.now());
      const now = performance.now();
      this.advance(c, now);
      const range = this.tpl.powerKw;
      tx.powerW = Math.round(this.ctx.random.between(range.min, range.max) * 1000);
      tx.meterStart = Math.floor(c.registerWh);
      tx.lastSentWh = tx.meterStart;
      tx.startTimestamp = new Date(this.timestamp(now)).toISOString();
      c.advancedTo = now;
      await this.sendStart(i, tx, now);
    } catch (error) {
      // Before StartTransaction went out (sendStart does not throw): the session never began.
      this.failed(mode === 'rfid' ? 'Authorize' : 'StatusNotification', error);
      this.abandon(i, tx);
    }
  }

  private async sendStart(i: number, tx: Tx, at: number): Promise<void> {
    // On the wire already (a resume racing the start it would resend): that one is answered or fails.
    if (tx.starting) return;
    const owner = tx.owner;
    tx.startPending = true;
    tx.starting = true;
    const conn = this.conn;
    const exp = owner ? this.ctx.expectations.expect(owner, `s|${this.id}|${i + 1}`, 'notify.charging.started', at) : null;
    let res;
    try {
      // Same payload on a resend: the CSMS answers a retried StartTransaction with the same transactionId.
      res = await this.call('StartTransaction', { connectorId: i + 1, idTag: tx.idTag, meterStart: tx.meterStart, timestamp: tx.startTimestamp }, at);
    } catch (error) {
      tx.starting = false;
      if (exp) this.ctx.expectations.cancel(exp);
      this.failed('StartTransaction', error);
      if (!(error instanceof OcppConnectionClosedError)) {
        tx.startPending = false;
        this.abandon(i, tx);
        return;
      }
      // Still pending: resent after the reconnect, or now if the charger is back already (its resume
      // skipped this start while it was still failing on the old socket).
      if (this.connectors[i].tx === tx && this.conn !== null && this.conn !== conn) await this.sendStart(i, tx, performance.now());
      return;
    }
    tx.starting = false;
    tx.startPending = false;
    if (res.idTagInfo.status !== 'Accepted') {
      if (exp) this.ctx.expectations.cancel(exp);
      reportError(this.ctx, `ocpp.StartTransaction: idTag ${res.idTagInfo.status}`);
      // The CSMS holds a (refused) transaction under this id: the charger ends it (StopTransactionOnInvalidId).
      tx.transactionId = res.transactionId;
      tx.refused = true;
      tx.stopReason = 'DeAuthorized';
      await this.finish(i, performance.now());
      return;
    }
    tx.transactionId = res.transactionId;
    owner?.onSessionStarted(this.index, i, res.transactionId);
    try {
      await this.status(i + 1, 'Charging', performance.now());
    } catch (error) {
      this.failed('StatusNotification', error);
    }
    if (tx.stopReason && !tx.stopping) await this.finish(i, performance.now());
  }

  /** The transaction never started: free the connector and tell its owner. */
  private abandon(i: number, tx: Tx): void {
    const c = this.connectors[i];
    if (c.tx !== tx) return;
    c.tx = null;
    tx.owner?.onSessionEnded(false);
    if (this.conn) this.status(i + 1, 'Available', performance.now()).catch((error) => this.failed('StatusNotification', error));
  }

  /** Ends the transaction on connector `i` (the driver unplugs, or after a RemoteStop). */
  stop(i: number, reason: StopReason, at = performance.now()): void {
    const tx = this.connectors[i]?.tx;
    if (!tx) return;
    tx.stopReason ??= reason;
    // Not started yet: sendStart finishes it once it has a transactionId; offline: after the reconnect.
    // Asked again while online and not on the wire (finish is idempotent): send it now.
    if (tx.transactionId !== null && !tx.stopping && this.conn) void this.finish(i, at);
  }

  private async finish(i: number, at: number): Promise<void> {
    const c = this.connectors[i];
    const tx = c.tx;
    if (!tx || tx.transactionId === null || tx.stopping) return;
    tx.stopping = true;
    const conn = this.conn;
    let exp: Expectation | null = null;
    try {
      await this.status(i + 1, 'Finishing', at);
      const now = performance.now();
      this.advance(c, now);
      const meterStop = Math.max(Math.floor(c.registerWh), tx.lastSentWh);
      // A refused transaction was never active: the CSMS notifies nothing when it ends.
      if (tx.owner && !tx.refused) exp = this.ctx.expectations.expect(tx.owner, `x|${tx.transactionId}`, 'notify.charging.stopped', now);
      await this.call('StopTransaction', {
        transactionId: tx.transactionId, meterStop, timestamp: new Date(this.timestamp(now)).toISOString(), idTag: tx.idTag, reason: tx.stopReason ?? 'Local',
      }, now);
    } catch (error) {
      if (exp) this.ctx.expectations.cancel(exp);
      this.failed('StopTransaction', error);
      tx.stopping = false;
      const closed = error instanceof OcppConnectionClosedError;
      if (closed || (error instanceof OcppTimeoutError && ++tx.stopTimeouts < STOP_ATTEMPTS)) {
        // Still open: sent again after the reconnect. If the charger is back already (its resume ran
        // while this send was still failing on the old socket), or the send timed out, send it now.
        if (c.tx === tx && this.conn !== null && (!closed || this.conn !== conn)) void this.finish(i, performance.now());
        return;
      }
      // Given up (a CALLERROR, or the last timeout), as a charger would; counted as an error above.
    }
    c.tx = null;
    tx.owner?.onSessionEnded(!tx.refused);
    if (this.conn) this.status(i + 1, 'Available', performance.now()).catch((error) => this.failed('StatusNotification', error));
  }

  /** Ends the run for this charger: no reconnects, socket closed. */
  shutdown(): void {
    if (this.state !== 'closed') this.reportUnfinished();
    this.state = 'closed';
    this.gen++;
    // Answers still on the wire after a local close would read as "answer to no outstanding CALL".
    this.conn?.socket.removeAllListeners('message');
    this.conn?.close(1000, 'simulation over');
    this.conn = null;
  }

  /**
   * Transactions still open as the charger goes: their StopTransaction (or StartTransaction) was never
   * answered. Always an unexpected error, chaos or not: the run promises that every session ends.
   */
  private reportUnfinished(): void {
    for (const c of this.connectors) {
      const tx = c.tx;
      if (!tx) continue;
      if (tx.transactionId !== null) this.ctx.metrics.error('ocpp.StopTransaction: not answered before the run ended', false);
      else if (tx.startPending) this.ctx.metrics.error('ocpp.StartTransaction: not answered before the run ended', false);
    }
  }

  private async call(action: string, payload: object, scheduledAt: number): Promise<any> {
    const conn = this.conn;
    if (!conn) throw new OcppConnectionClosedError(action, undefined, 'offline');
    const res = await conn.callAny(action, payload);
    this.ctx.metrics.latency(`ocpp.${action}`, performance.now() - scheduledAt);
    return res;
  }

  private failed(action: string, error: unknown): void {
    if (error instanceof OcppConnectionClosedError) return; // the close itself was counted
    if (error instanceof OcppTimeoutError) reportError(this.ctx, `ocpp.${action}: timeout`);
    else if (error instanceof OcppError) reportError(this.ctx, `ocpp.${action}: CALLERROR ${error.code}`);
    else reportError(this.ctx, `ocpp.${action}: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** What every charger of a fleet shares: one handler map and one hook of each kind (no closures per charger). */
export interface FleetShared {
  handlers: HandlerMap<CsmsToChargePoint, SimCharger>;
  onMessage: (info: OcppMessageInfo) => void;
  onProtocolError: (info: OcppProtocolErrorInfo) => void;
}

function startLater(charger: SimCharger, i: number, at: number): void {
  const tx = charger.connectors[i].tx;
  if (tx) void charger.runStart(i, tx, 'app', at);
}

function stopLater(charger: SimCharger, i: number, at: number): void {
  charger.stop(i, 'Remote', at);
}

export function createFleetShared(ctx: SimContext): FleetShared {
  const handlers: HandlerMap<CsmsToChargePoint, SimCharger> = {
    RemoteStartTransaction(req, call) {
      const charger = call.connection.context;
      const i = req.connectorId !== undefined ? req.connectorId - 1 : charger.connectors.findIndex((c) => c.tx === null && c.status !== 'Faulted');
      const c = charger.connectors[i];
      if (!c || c.tx !== null || c.status === 'Faulted' || charger.state !== 'online') return { status: 'Rejected' };
      // E2 §5.11: answer first; the transaction's own messages follow.
      charger.claim(i, req.idTag);
      setImmediate(startLater, charger, i, performance.now());
      return { status: 'Accepted' };
    },
    RemoteStopTransaction(req, call) {
      const charger = call.connection.context;
      const i = charger.connectors.findIndex((c) => c.tx?.transactionId === req.transactionId);
      if (i < 0) return { status: 'Rejected' };
      setImmediate(stopLater, charger, i, performance.now());
      return { status: 'Accepted' };
    },
    ChangeAvailability: () => ({ status: 'Accepted' }),
    ChangeConfiguration: () => ({ status: 'NotSupported' }),
    GetConfiguration: (req) => ({ configurationKey: [], unknownKey: req.key ?? [] }),
    Reset: () => ({ status: 'Accepted' }),
    ClearCache: () => ({ status: 'Accepted' }),
    UnlockConnector: () => ({ status: 'NotSupported' }),
    TriggerMessage: () => ({ status: 'Rejected' }),
    DataTransfer: () => ({ status: 'UnknownVendorId' }),
  };
  return {
    handlers,
    onMessage(info) {
      if (info.direction === 'out') ctx.metrics.counters.ocppSent++;
      else ctx.metrics.counters.ocppReceived++;
      // Our answers to the CSMS's commands: time from its CALL's arrival to our CALLRESULT.
      if (info.direction === 'out' && info.messageType !== 2 && info.action && info.latencyMs !== null) ctx.metrics.latency(`ocpp.in.${info.action}`, info.latencyMs);
    },
    onProtocolError(info) {
      if (info.messageId?.startsWith(MALFORMED_PREFIX)) return; // the CSMS refusing the frame we broke on purpose
      if (info.kind === 'socket-error') return; // the close that follows is counted
      reportError(ctx, `ocpp.protocol: ${info.kind}`);
    },
  };
}
