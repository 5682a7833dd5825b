/**
 * A simulated charge point. State is small and flat; its timers (connect, heartbeat, meter values,
 * injected faults) live on the run's one scheduler, cancelled by bumping a generation. It behaves as
 * a real charger does (docs/ocpp-notes.md, "What real chargers do"): it answers commands first and acts after;
 * its energy register only grows, by power × time; its transaction messages go through a queue that
 * keeps them while the CSMS is away (tx-outbox.ts, E2 §4.8); after a power loss or a Reset it boots
 * again and sends the StopTransaction of what was open, unless it is a model that forgets them.
 * Past 500 lines because connection, power, boot and transactions share one state (generations,
 * connector records); the commands, the configuration keys and the queue have their own files.
 */
import { performance } from 'node:perf_hooks';
import {
  connectOcpp, OcppConnectionClosedError, OcppError, OcppTimeoutError,
  type ChargePointErrorCode, type ChargePointStatus, type ConfigurationStatus, type CsmsToChargePoint, type OcppConnection,
  type ReadingContext, type SampledValue, type StopReason,
} from '../ocpp/index.ts';
import { ChargerConfig } from './charger-config.ts';
import { MALFORMED_PREFIX, type FleetShared } from './charger-commands.ts';
import { reportError, type Actor, type SessionOwner, type SimContext } from './context.ts';
import type { Expectation } from './expectations.ts';
import type { ChargerTemplate } from './scenario/schema.ts';
import { TxOutbox, type OutboxHost, type TxMessage, type TxRef } from './tx-outbox.ts';

export { createFleetShared, type FleetShared } from './charger-commands.ts';

const K_CONNECT = 1;
const K_HEARTBEAT = 2;
const K_METER = 3;
const K_DROP = 4;
const K_MALFORMED = 5;
const K_BOOT_RETRY = 6;
const K_FAULT = 7;
const K_RECOVER = 8;
const K_TX_RETRY = 9;
const K_POWER_ON = 10;

/** Error codes a simulated connector fault reports (OCPP 1.6 ChargePointErrorCode). */
const FAULT_CODES = ['GroundFailure', 'OverCurrentFailure', 'HighTemperature', 'ConnectorLockFailure', 'PowerMeterFailure'] as const;

/** How long a charger is down when a Reset restarts it. */
const RESET_DOWNTIME_MS = 1000;
/** How long a Soft reset waits for its StopTransactions to be answered before it restarts anyway. */
const SOFT_RESET_WAIT_MS = 10_000;

export interface Tx extends TxRef {
  /** '' until the StartTransaction is queued (Authorize, Preparing first). */
  startTimestamp: string;
  powerW: number;
  /** The last register reading put in a MeterValues (Wh); the meterStop is never below it. */
  lastSampledWh: number;
  stopReason: StopReason | null;
  /** Its StopTransaction is queued: the register no longer counts for it. */
  ended: boolean;
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
  /** ChangeAvailability Inoperative came during a transaction: Unavailable once it ends (E2 §5.2). */
  unavailableAfterTx: boolean;
}

type ChargerConnection = OcppConnection<CsmsToChargePoint, any, SimCharger>;

export type ChargerState = 'idle' | 'connecting' | 'online' | 'offline' | 'closed';

export class SimCharger implements Actor, OutboxHost {
  state: ChargerState = 'idle';
  conn: ChargerConnection | null = null;
  gen = 0;
  booted = false;
  attempts = 0;
  /** Set before we drop the connection on purpose (fault, chaos), so the close is not an error. */
  dropping = false;
  /** ChangeAvailability Inoperative for connector 0: the charger as a whole reports Unavailable. */
  cpUnavailable = false;
  /** Down after a power loss or a Reset until its K_POWER_ON. */
  poweredOff = false;
  /** A Soft reset is stopping the transactions: no new ones. */
  resetting = false;
  readonly connectors: Connector[];
  readonly config: ChargerConfig;
  readonly outbox: TxOutbox;
  /** A model that forgets its open transactions when it reboots (faults.rebootLosesTransactions). */
  readonly losesTransactions: boolean;
  private hbGen = 0;
  private meterGen = 0;
  private wakeFor = -1;
  private wakeGen = -1;
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
    this.connectors = Array.from({ length: tpl.connectors }, () => ({ status: 'Available' as ChargePointStatus, registerWh: ctx.random.int(0, 50_000), advancedTo: 0, tx: null, reservedBy: null, unavailableAfterTx: false }));
    // Drawn only when asked for, so the seeds of scenarios without it make the same choices as before.
    this.losesTransactions = tpl.faults.rebootLosesTransactions > 0 && ctx.random.chance(tpl.faults.rebootLosesTransactions);
    this.config = new ChargerConfig(tpl);
    this.outbox = new TxOutbox(this, ctx);
    this.onClose = this.handleClose.bind(this);
  }

  get charging(): boolean {
    return this.connectors.some((c) => c.tx !== null);
  }

  get faulted(): boolean {
    return this.connectors.some((c) => c.status === 'Faulted');
  }

  /** Connector indices whose transaction runs (begun, not ended): what a driver could end now. */
  running(): number[] {
    const out: number[] = [];
    this.connectors.forEach((c, i) => {
      if (c.tx && c.tx.startTimestamp !== '' && !c.tx.ended) out.push(i);
    });
    return out;
  }

  /** Ramp-down: ends every open transaction at the charger (the driver unplugs). */
  stopAll(reason: StopReason): void {
    for (let i = 0; i < this.connectors.length; i++) this.stop(i, reason);
  }

  /** Index of a connector a customer may take now, or -1. */
  freeConnector(): number {
    if (!this.link() || this.resetting) return -1;
    return this.connectors.findIndex((c) => c.tx === null && c.reservedBy === null && c.status === 'Available');
  }

  reserve(i: number, owner: SessionOwner): void {
    this.connectors[i].reservedBy = owner;
  }

  release(i: number): void {
    this.connectors[i].reservedBy = null;
  }

  /** Powers the charger on at `at`: the first connection attempt, and its meter's clock. */
  scheduleConnect(at: number): void {
    this.ctx.scheduler.at(at, K_CONNECT, this, this.gen);
    this.startMeterClock(at);
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (this.state === 'closed') return;
    // The meter samples while powered, connected or not; heartbeats follow HeartbeatInterval changes.
    if (gen !== (kind === K_METER ? this.meterGen : kind === K_HEARTBEAT ? this.hbGen : this.gen)) return;
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
      case K_TX_RETRY: this.wakeFor = -1; this.outbox.pump(); return;
      case K_POWER_ON: this.powerOn(at); return;
    }
  }

  /** OutboxHost: the connection transaction messages may use (online, BootNotification accepted). */
  link(): ChargerConnection | null {
    return this.state === 'online' && this.booted ? this.conn : null;
  }

  retryPolicy(): { attempts: number; intervalMs: number } {
    return { attempts: this.config.attempts, intervalMs: this.config.retryIntervalMs };
  }

  wakeAt(at: number): void {
    if (this.wakeFor === at && this.wakeGen === this.gen) return;
    this.wakeFor = at;
    this.wakeGen = this.gen;
    this.ctx.scheduler.at(at, K_TX_RETRY, this, this.gen);
  }

  private connect(): void {
    if (this.state === 'connecting' || this.state === 'online' || this.poweredOff) return;
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
    this.scheduleHeartbeat(now);
    this.scheduleFaults(now);
    void this.boot(now);
  }

  bootPayload(): object {
    return { chargePointVendor: this.tpl.vendor, chargePointModel: this.tpl.model, chargePointSerialNumber: this.id.slice(0, 25), firmwareVersion: '1.0.0' };
  }

  // J §5.4: after a reconnect a charger need not boot again; it reports its connectors and goes on.
  private async boot(scheduledAt: number): Promise<void> {
    try {
      if (!this.booted) {
        const res = await this.call('BootNotification', this.bootPayload(), scheduledAt);
        if (res.status !== 'Accepted') {
          reportError(this.ctx, `ocpp.BootNotification: ${res.status}`);
          this.ctx.scheduler.at(performance.now() + Math.max(1000, (res.interval ?? 10) * 1000), K_BOOT_RETRY, this, this.gen);
          return;
        }
        this.booted = true;
      }
      // E2 §4.8: what was queued while offline (or before a reboot) goes first, in its order.
      this.outbox.pump();
      await this.status(0, this.cpStatus(), performance.now());
      // A fault's recovery timer died with the old connection: the connector comes back Available.
      this.faultedIndex = -1;
      for (let i = 0; i < this.connectors.length; i++) {
        const c = this.connectors[i];
        // A transaction cut by a reboot: its connector reports Available once its StopTransaction is through.
        if (c.tx?.interrupted) continue;
        if (!c.tx && c.status !== 'Unavailable') c.status = 'Available';
        await this.status(i + 1, c.status, performance.now());
      }
    } catch (error) {
      this.failed('BootNotification', error);
    }
  }

  /** Connector 0's status: the charger as a whole. */
  cpStatus(): ChargePointStatus {
    return this.cpUnavailable ? 'Unavailable' : 'Available';
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
    this.hbGen++;
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

  /**
   * The charger restarts: the socket goes at once (`graceful`: closed, as after a Reset; else cut, as
   * at a power loss), it is down for `downtimeMs`, then connects and boots. Each open transaction
   * gets a StopTransaction with `reason`, timestamped now with the register as it is now, sent after
   * the BootNotification (E2 §5.14, §4.8); a model that loses transactions forgets them instead.
   */
  reboot(downtimeMs: number, reason: 'PowerLoss' | 'HardReset' | 'SoftReset' = 'PowerLoss', graceful = false): void {
    if (this.state === 'closed') return;
    const at = performance.now();
    const conn = this.conn;
    this.conn = null;
    this.booted = false;
    this.poweredOff = true;
    this.resetting = false;
    this.state = 'offline';
    this.gen++;
    this.hbGen++;
    this.meterGen++;
    this.faultedIndex = -1;
    if (conn) {
      conn.socket.removeListener('close', this.onClose);
      this.ctx.metrics.error(`ocpp.disconnect (${reason === 'PowerLoss' ? 'power loss' : 'reset'})`, true);
      if (graceful) conn.close(1000, 'reset');
      else conn.socket.terminate();
    }
    const forget = reason !== 'SoftReset' && this.losesTransactions;
    for (let i = 0; i < this.connectors.length; i++) {
      const tx = this.connectors[i].tx;
      if (!tx) continue;
      tx.interrupted = true;
      if (forget) this.forget(i, tx);
      else if (tx.startTimestamp === '') this.abandon(i, tx);
      else this.stop(i, reason, at);
    }
    this.ctx.scheduler.at(at + downtimeMs, K_POWER_ON, this, this.gen);
  }

  private powerOn(at: number): void {
    this.poweredOff = false;
    this.attempts = 0;
    this.startMeterClock(at);
    this.connect();
  }

  /** A model that keeps no transaction across a reboot: after the boot it only reports the connector Available. */
  private forget(i: number, tx: Tx): void {
    const c = this.connectors[i];
    tx.lost = true;
    this.outbox.removeWhere((m) => m.tx === tx);
    if (tx.transactionId !== null) this.ctx.ledger.lostTransaction(tx.transactionId);
    c.tx = null;
    c.status = this.afterTx(c);
    tx.owner?.onSessionEnded(false);
  }

  /** E2 §5.14: Hard restarts at once (stops sent after the boot); Soft stops the transactions first. */
  reset(type: 'Hard' | 'Soft'): void {
    if (type === 'Hard') this.reboot(RESET_DOWNTIME_MS, 'HardReset', true);
    else void this.softReset();
  }

  private async softReset(): Promise<void> {
    this.resetting = true;
    this.stopAll('SoftReset');
    const until = performance.now() + SOFT_RESET_WAIT_MS;
    while (this.charging && this.state !== 'closed' && !this.poweredOff && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.state !== 'closed' && !this.poweredOff) this.reboot(RESET_DOWNTIME_MS, 'SoftReset', true);
  }

  private malformed(at: number): void {
    if (!this.conn) return;
    // A CALL whose payload is not an object: the CSMS must answer FormationViolation, not fall over.
    this.conn.sendRaw(`[2,"${MALFORMED_PREFIX}${this.index}-${this.malformedSeq++}","Heartbeat","not-an-object"]`);
    this.ctx.metrics.error('ocpp.malformed frame sent', true);
    this.ctx.scheduler.at(at + this.exponential(this.tpl.faults.malformedFramesPerMinute), K_MALFORMED, this, this.gen);
  }

  private scheduleHeartbeat(from: number): void {
    this.ctx.scheduler.at(from + this.config.heartbeatMs, K_HEARTBEAT, this, ++this.hbGen);
  }

  private heartbeat(at: number): void {
    this.ctx.scheduler.at(at + this.config.heartbeatMs, K_HEARTBEAT, this, this.hbGen);
    this.call('Heartbeat', {}, at).catch((error) => this.failed('Heartbeat', error));
  }

  /** (Re)starts sampling every MeterValueSampleInterval (0: no sampled meter values, E2 §9.1). */
  private startMeterClock(from: number): void {
    this.meterGen++;
    if (this.config.meterMs > 0) this.ctx.scheduler.at(from + this.config.meterMs, K_METER, this, this.meterGen);
  }

  /** The wall-clock timestamp of `perf` time, strictly increasing per charger (statuses are matched by it). */
  timestamp(perf: number): number {
    const wall = Math.floor(performance.timeOrigin + perf);
    this.lastTs = Math.max(wall, this.lastTs + 1);
    return this.lastTs;
  }

  private advance(c: Connector, to: number): void {
    if (c.tx && !c.tx.ended && to > c.advancedTo) c.registerWh += (c.tx.powerW * (to - c.advancedTo)) / 3_600_000;
    c.advancedTo = Math.max(c.advancedTo, to);
  }

  private meterTick(at: number): void {
    if (this.config.meterMs > 0) this.ctx.scheduler.at(at + this.config.meterMs, K_METER, this, this.meterGen);
    for (let i = 0; i < this.connectors.length; i++) {
      const c = this.connectors[i];
      this.advance(c, at);
      const tx = c.tx;
      // Sampled while offline too (queued), as long as the transaction runs.
      if (tx && tx.startTimestamp !== '' && !tx.ended && !tx.refused) this.sampleMeter(i, tx, at, 'Sample.Periodic');
    }
  }

  /** A triggered reading (E2 §5.17) of connector `i`'s running transaction, queued; false when none runs. */
  sampleNow(i: number, at: number): boolean {
    const c = this.connectors[i];
    const tx = c?.tx;
    if (!tx || tx.startTimestamp === '' || tx.ended || tx.refused) return false;
    this.advance(c, at);
    this.sampleMeter(i, tx, at, 'Trigger');
    return true;
  }

  private sampleMeter(i: number, tx: Tx, at: number, context: ReadingContext): void {
    const measurands = this.config.measurands;
    if (measurands.length === 0) return;
    const c = this.connectors[i];
    // Whole Wh on the wire, strictly increasing, so each reading is recognisable in its notification.
    const wh = Math.max(Math.floor(c.registerWh), tx.lastSampledWh + 1);
    c.registerWh = Math.max(c.registerWh, wh);
    tx.lastSampledWh = wh;
    const ts = new Date(this.timestamp(at)).toISOString();
    const sampled: SampledValue[] = [];
    for (const m of measurands) {
      if (m === 'Energy.Active.Import.Register') sampled.push({ value: String(wh), context, measurand: m, location: 'Outlet', unit: 'Wh' });
      else if (m === 'Power.Active.Import') sampled.push({ value: String(tx.powerW), context, measurand: m, location: 'Outlet', unit: 'W' });
      else if (m === 'Current.Import') sampled.push({ value: (tx.powerW / (3 * 230)).toFixed(1), context, measurand: m, location: 'Outlet', unit: 'A' });
      else if (m === 'Voltage') sampled.push({ value: '230', context, measurand: m, location: 'Outlet', unit: 'V' });
      else if (m === 'SoC') sampled.push({ value: String(Math.min(100, Math.round(tx.soc + ((wh - tx.meterStart) / 60_000) * 100))), context, measurand: m, location: 'EV', unit: 'Percent' });
    }
    this.outbox.push(message('MeterValues', i, tx, at, { meterValue: [{ timestamp: ts, sampledValue: sampled }], energyWh: wh }));
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

  /** A status sent only when online; otherwise the boot reports the connector as it is then. */
  report(connectorId: number, status: ChargePointStatus): void {
    if (connectorId > 0) this.connectors[connectorId - 1].status = status;
    if (this.link()) this.status(connectorId, status, performance.now()).catch((error) => this.failed('StatusNotification', error));
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
      powerW: 0, lastSampledWh: 0, refused: false, interrupted: false, lost: false, queuedMeters: 0, stopReason: null, ended: false,
      soc: this.ctx.random.int(10, 40),
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
      if (c.tx !== tx) return; // a reboot took it meanwhile
      await this.status(i + 1, 'Preparing', performance.now());
      if (c.tx !== tx) return;
    } catch (error) {
      // Before StartTransaction was queued: the session never began.
      this.failed(mode === 'rfid' ? 'Authorize' : 'StatusNotification', error);
      this.abandon(i, tx);
      return;
    }
    const now = performance.now();
    this.advance(c, now);
    const range = this.tpl.powerKw;
    tx.powerW = Math.round(this.ctx.random.between(range.min, range.max) * 1000);
    tx.meterStart = Math.floor(c.registerWh);
    tx.lastSampledWh = tx.meterStart;
    tx.startTimestamp = new Date(this.timestamp(now)).toISOString();
    c.advancedTo = now;
    // Same payload on every resend: the CSMS answers a retried StartTransaction with the same transactionId.
    this.outbox.push(message('StartTransaction', i, tx, now, { start: { connectorId: i + 1, idTag: tx.idTag, meterStart: tx.meterStart, timestamp: tx.startTimestamp } }));
    // Stopped while it was authorising: a transaction of no length, as a charger would record it.
    if (tx.stopReason) this.endTx(i, tx, now);
  }

  /** OutboxHost: the CSMS answered a transaction message. */
  answered(m: TxMessage, res: any): void {
    const i = m.connectorId - 1;
    const tx = m.tx as Tx;
    if (m.action === 'StopTransaction') {
      this.stopDone(i, tx);
      return;
    }
    if (m.action !== 'StartTransaction') return;
    tx.transactionId = res.transactionId;
    if (res.idTagInfo.status !== 'Accepted') {
      reportError(this.ctx, `ocpp.StartTransaction: idTag ${res.idTagInfo.status}`);
      // The CSMS holds a (refused) transaction under this id: the charger ends it (StopTransactionOnInvalidId).
      tx.refused = true;
      this.outbox.removeWhere((q) => q.tx === tx && q.action === 'MeterValues' && !q.sent);
      if (!tx.stopReason) {
        tx.stopReason = 'DeAuthorized';
        this.endTx(i, tx, performance.now());
      }
      return;
    }
    if (tx.lost) return;
    tx.owner?.onSessionStarted(this.index, i, res.transactionId);
    if (!tx.stopReason) this.report(i + 1, 'Charging');
  }

  /** OutboxHost: given up after TransactionMessageAttempts failed sends. */
  dropped(m: TxMessage): void {
    const tx = m.tx as Tx;
    const i = m.connectorId - 1;
    if (m.action === 'StopTransaction') this.stopDone(i, tx);
    else if (m.action === 'StartTransaction') {
      // Without a transactionId its MeterValues and StopTransaction cannot be sent.
      this.outbox.removeWhere((q) => q.tx === tx);
      this.abandon(i, tx);
    }
  }

  /** The transaction never started: free the connector and tell its owner. */
  private abandon(i: number, tx: Tx): void {
    const c = this.connectors[i];
    if (c.tx !== tx) return;
    c.tx = null;
    tx.owner?.onSessionEnded(false);
    this.report(i + 1, this.afterTx(c));
  }

  private afterTx(c: Connector): ChargePointStatus {
    const next = c.unavailableAfterTx || c.status === 'Unavailable' ? 'Unavailable' : 'Available';
    c.unavailableAfterTx = false;
    return next;
  }

  /** Ends the transaction on connector `i` (the driver unplugs, a RemoteStop, a reset); its StopTransaction is queued. */
  stop(i: number, reason: StopReason, at = performance.now()): void {
    const tx = this.connectors[i]?.tx;
    if (!tx || tx.stopReason) return;
    tx.stopReason = reason;
    // Not begun (authorising): runStart ends it right after queueing its StartTransaction.
    if (tx.startTimestamp !== '') this.endTx(i, tx, at);
  }

  private endTx(i: number, tx: Tx, at: number): void {
    const c = this.connectors[i];
    this.advance(c, at);
    tx.ended = true;
    const meterStop = Math.max(Math.floor(c.registerWh), tx.lastSampledWh);
    c.registerWh = Math.max(c.registerWh, meterStop);
    if (!tx.interrupted) this.report(i + 1, 'Finishing');
    const stop = { meterStop, timestamp: new Date(this.timestamp(at)).toISOString(), idTag: tx.idTag, reason: tx.stopReason! };
    this.outbox.push(message('StopTransaction', i, tx, at, { stop, energyWh: meterStop }));
  }

  private stopDone(i: number, tx: Tx): void {
    const c = this.connectors[i];
    if (c.tx !== tx) return;
    c.tx = null;
    tx.owner?.onSessionEnded(!tx.refused);
    this.report(i + 1, this.afterTx(c));
  }

  /** ChangeConfiguration (E2 §5.3); HeartbeatInterval and MeterValueSampleInterval take effect at once. */
  changeConfiguration(key: string, value: string): ConfigurationStatus {
    const status = this.config.change(key, value);
    if (status !== 'Accepted') return status;
    const now = performance.now();
    if (key === 'HeartbeatInterval' && this.conn) this.scheduleHeartbeat(now);
    if (key === 'MeterValueSampleInterval' && !this.poweredOff && this.state !== 'idle') this.startMeterClock(now);
    return status;
  }

  /** Ends the run for this charger: no reconnects, socket closed. */
  shutdown(): void {
    if (this.state !== 'closed') this.reportUnfinished();
    this.state = 'closed';
    this.gen++;
    this.hbGen++;
    this.meterGen++;
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
      if (this.outbox.has(tx, 'StartTransaction')) this.ctx.metrics.error('ocpp.StartTransaction: not answered before the run ended', false);
      else if (tx.transactionId !== null) this.ctx.metrics.error('ocpp.StopTransaction: not answered before the run ended', false);
    }
  }

  /** A CALL outside the transaction queue; its latency counts from `scheduledAt`. */
  async call(action: string, payload: object, scheduledAt: number): Promise<any> {
    const conn = this.conn;
    if (!conn) throw new OcppConnectionClosedError(action, undefined, 'offline');
    const res = await conn.callAny(action, payload);
    this.ctx.metrics.latency(`ocpp.${action}`, performance.now() - scheduledAt);
    return res;
  }

  /** OutboxHost: a CALL failed; a lost connection was counted by its close. */
  failed(action: string, error: unknown): void {
    if (error instanceof OcppConnectionClosedError) return;
    if (error instanceof OcppTimeoutError) reportError(this.ctx, `ocpp.${action}: timeout`);
    else if (error instanceof OcppError) reportError(this.ctx, `ocpp.${action}: CALLERROR ${error.code}`);
    else reportError(this.ctx, `ocpp.${action}: ${(error as Error)?.message ?? String(error)}`);
  }
}

function message(action: TxMessage['action'], i: number, tx: Tx, at: number, extra: Partial<TxMessage>): TxMessage {
  return { action, connectorId: i + 1, tx, energyWh: 0, queuedAt: at, failures: 0, sent: false, notBefore: 0, done: false, ...extra };
}
