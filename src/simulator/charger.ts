/**
 * A simulated charge point: its state, the dispatch of its timers, and the API the run, the customers
 * and the command handlers use. It behaves as a real charger does (docs/ocpp-notes.md, "What real
 * chargers do"); the behaviour lives in charger/: connection.ts (connect, boot, heartbeat, reconnect),
 * power.ts (power loss, Reset), faults.ts (injected faults), energy.ts (register, MeterValues),
 * transactions.ts (the transaction state machine), status.ts (StatusNotification and the admin
 * notifications it makes expected). Its timers live on the run's one scheduler, cancelled by bumping
 * a generation; its transaction messages go through tx-outbox.ts (E2 §4.8).
 */
import { performance } from 'node:perf_hooks';
import {
  OcppAnswerInvalidError, OcppConnectionClosedError, OcppError, OcppTimeoutError,
  type ChargePointStatus, type ConfigurationStatus, type CsmsToChargePoint, type OcppConnection, type StopReason,
} from '../ocpp/index.ts';
import { ChargerConfig } from './charger-config.ts';
import type { FleetShared } from './charger-commands.ts';
import { reportError, type Actor, type SessionOwner, type SimContext } from './context.ts';
import type { ChargerTemplate } from './scenario/schema.ts';
import { TxOutbox, type OutboxHost, type TxMessage } from './tx-outbox.ts';
import { boot, connect, drop, handleClose, heartbeat, scheduleHeartbeat, scheduleReconnect } from './charger/connection.ts';
import { meterReading, meterTick, sampleNow, setClock, startMeterClock, timestamp } from './charger/energy.ts';
import { fault, malformed, recover } from './charger/faults.ts';
import {
  K_BOOT_RETRY, K_CONNECT, K_DROP, K_EV_DRAWS, K_FAULT, K_HEARTBEAT, K_LIMIT, K_MALFORMED, K_METER, K_POWER_ON, K_RECOVER, K_TX_RETRY,
  type ChargerState, type Connector, type Tx,
} from './charger/model.ts';
import { powerOn, reboot, reset } from './charger/power.ts';
import { applyLimits, type SmartCharging } from './charger/smart-charging.ts';
import { startsOffline } from './charger/local-list.ts';
import { reportStatus } from './charger/status.ts';
import { answered, claim, dropped, evsWake, presentTag, reportUnfinished, runStart, stop } from './charger/transactions.ts';

export { createFleetShared, type FleetShared } from './charger-commands.ts';
export type { ChargerState, Tx } from './charger/model.ts';

export type ChargerConnection = OcppConnection<CsmsToChargePoint, any, SimCharger>;

export class SimCharger implements Actor, OutboxHost {
  state: ChargerState = 'idle';
  conn: ChargerConnection | null = null;
  gen = 0;
  booted = false;
  attempts = 0;
  /** Index into ctx.ocppUrls of the URL the next connect goes to (the failover order). */
  urlIndex = 0;
  /** Index of the URL it was last online at; before its first connection, the first URL. */
  onlineUrl = 0;
  /** Times it came online at another URL than the one it was last online at. */
  failovers = 0;
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
  /** The register moves only by `meterReading()` (a test or a replayed trace drives it), not by power × time. */
  scriptedMeter = false;
  /** How far this charger's clock is off the wall clock, ms; `setClock()` sets it. */
  clockOffsetMs = 0;
  /** Answers every RemoteStopTransaction Rejected, as a charger that will not stop (E2 §5.12 lets it). */
  refusesRemoteStop = false;
  /** What BootNotification reports; an installed firmware image changes it (charger/firmware.ts). */
  firmwareVersion = '1.0.0';
  // The fields below are the charger/ modules' shared state, not for the charger's users.
  /** Generation of the heartbeat timer (HeartbeatInterval may change under it). */
  hbGen = 0;
  /** Generation of the meter clock (it runs while powered, connected or not). */
  meterGen = 0;
  /** Last wall-clock timestamp handed out (ms), so they strictly increase. */
  lastTs = 0;
  malformedSeq = 0;
  /** The connector a simulated fault holds, or -1. */
  faultedIndex = -1;
  /** Its charging profiles, once it was sent one (charger/smart-charging.ts). */
  smart: SmartCharging | null = null;
  readonly onClose: () => void;
  private wakeFor = -1;
  private wakeGen = -1;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly tpl: ChargerTemplate,
    public password: string | null,
    readonly ctx: SimContext,
    readonly shared: FleetShared,
  ) {
    this.connectors = Array.from({ length: tpl.connectors }, () => ({ status: 'Available' as ChargePointStatus, registerWh: ctx.random.int(0, 50_000), advancedTo: 0, tx: null, heldBy: null, booking: false, reservation: null, unavailableAfterTx: false }));
    // Drawn only when asked for, so the seeds of scenarios without it make the same choices as before.
    this.losesTransactions = tpl.faults.rebootLosesTransactions > 0 && ctx.random.chance(tpl.faults.rebootLosesTransactions);
    this.config = new ChargerConfig(tpl);
    this.outbox = new TxOutbox(this, ctx);
    this.onClose = () => handleClose(this);
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
    if (this.resetting || this.poweredOff || (!this.link() && !(this.state !== 'idle' && this.state !== 'closed' && startsOffline(this)))) return -1;
    return this.connectors.findIndex((c) => c.tx === null && c.heldBy === null && !c.booking && c.status === 'Available');
  }

  /** The run's customer `owner` is about to use connector `i`: no other simulated customer picks it. */
  hold(i: number, owner: SessionOwner): void {
    this.connectors[i].heldBy = owner;
  }

  unhold(i: number): void {
    this.connectors[i].heldBy = null;
  }

  /** Powers the charger on at `at`: the first connection attempt, and its meter's clock. */
  scheduleConnect(at: number): void {
    this.ctx.scheduler.at(at, K_CONNECT, this, this.gen);
    startMeterClock(this, at);
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (this.state === 'closed') return;
    // The meter samples while powered, connected or not; heartbeats follow HeartbeatInterval changes.
    if (gen !== (kind === K_METER || kind === K_EV_DRAWS ? this.meterGen : kind === K_HEARTBEAT ? this.hbGen : kind === K_LIMIT ? this.smart?.limitGen : this.gen)) return;
    switch (kind) {
      case K_CONNECT: connect(this); return;
      case K_HEARTBEAT: heartbeat(this, at); return;
      case K_METER: meterTick(this, at); return;
      // Injected drops belong to the load phase; in ramp-down the open transactions must get through.
      case K_DROP: if (!this.ctx.stopping) drop(this); return;
      case K_MALFORMED: malformed(this, at); return;
      case K_BOOT_RETRY: void boot(this, at); return;
      case K_FAULT: fault(this, at); return;
      case K_RECOVER: recover(this, at); return;
      case K_TX_RETRY: this.wakeFor = -1; this.outbox.pump(); return;
      case K_POWER_ON: powerOn(this, at); return;
      case K_LIMIT: applyLimits(this, at); return;
      case K_EV_DRAWS: evsWake(this, at); return;
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

  bootPayload(): object {
    return { chargePointVendor: this.tpl.vendor, chargePointModel: this.tpl.model, chargePointSerialNumber: this.id.slice(0, 25), firmwareVersion: this.firmwareVersion };
  }

  /** Connector 0's status: the charger as a whole. */
  cpStatus(): ChargePointStatus {
    return this.cpUnavailable ? 'Unavailable' : 'Available';
  }

  /** Exponential backoff with jitter: initial · 2^attempts, capped, ± jitter. */
  scheduleReconnect(delayMs?: number): void {
    scheduleReconnect(this, delayMs);
  }

  /** Drops the connection on purpose; it comes back by itself (after `reconnectAfterMs`, else with backoff). */
  drop(reconnectAfterMs?: number): void {
    drop(this, reconnectAfterMs);
  }

  /** Restarts the charger (power loss, Reset): down for `downtimeMs`, then it connects and boots (charger/power.ts). */
  reboot(downtimeMs: number, reason: 'PowerLoss' | 'HardReset' | 'SoftReset' = 'PowerLoss', graceful = false): void {
    reboot(this, downtimeMs, reason, graceful);
  }

  /** E2 §5.14: Hard restarts at once (stops sent after the boot); Soft stops the transactions first. */
  reset(type: 'Hard' | 'Soft'): void {
    reset(this, type);
  }

  /** The wall-clock timestamp of `perf` time, strictly increasing per charger (statuses are matched by it). */
  timestamp(perf: number): number {
    return timestamp(this, perf);
  }

  /** A triggered reading (E2 §5.17) of connector `i`'s running transaction, queued; false when none runs. */
  sampleNow(i: number, at: number): boolean {
    return sampleNow(this, i, at);
  }

  /** A reading dictated from outside the energy model (see charger/energy.ts); true when a MeterValues was queued. */
  meterReading(i: number, registerWh: number, powerW: number | null = null, at = performance.now()): boolean {
    return meterReading(this, i, registerWh, powerW, at);
  }

  /** Sets the charger's clock so that `at` (performance time) reads `wallMs`; its timestamps follow from there. */
  setClock(wallMs: number, at = performance.now()): void {
    setClock(this, wallMs, at);
  }

  /** A status sent only when online; otherwise the boot reports the connector as it is then. */
  report(connectorId: number, status: ChargePointStatus): void {
    reportStatus(this, connectorId, status);
  }

  /** The driver presents `owner`'s RFID card at connector `i`: Authorize, then the transaction. */
  presentTag(i: number, owner: SessionOwner, at: number): void {
    presentTag(this, i, owner, at);
  }

  /** Takes connector `i` for a transaction of `idTag` (synchronously, so no second start can take it). */
  claim(i: number, idTag: string): Tx {
    return claim(this, i, idTag);
  }

  /** Authorize (for `rfid`), Preparing, then the StartTransaction of `tx` is queued. */
  runStart(i: number, tx: Tx, mode: 'app' | 'rfid', at: number): Promise<void> {
    return runStart(this, i, tx, mode, at);
  }

  /** OutboxHost: the CSMS answered a transaction message. */
  answered(m: TxMessage, res: any): void {
    answered(this, m, res);
  }

  /** OutboxHost: given up after TransactionMessageAttempts failed sends. */
  dropped(m: TxMessage): void {
    dropped(this, m);
  }

  /** Ends the transaction on connector `i` (the driver unplugs, a RemoteStop, a reset); its StopTransaction is queued. */
  stop(i: number, reason: StopReason, at = performance.now()): void {
    stop(this, i, reason, at);
  }

  /** ChangeConfiguration (E2 §5.3); HeartbeatInterval and MeterValueSampleInterval take effect at once. */
  changeConfiguration(key: string, value: string): ConfigurationStatus {
    const status = this.config.change(key, value);
    if (status !== 'Accepted') return status;
    const now = performance.now();
    if (key === 'HeartbeatInterval' && this.conn) scheduleHeartbeat(this, now);
    if (key === 'MeterValueSampleInterval' && !this.poweredOff && this.state !== 'idle') startMeterClock(this, now);
    return status;
  }

  /** Ends the run for this charger: no reconnects, socket closed. */
  shutdown(): void {
    if (this.state !== 'closed') reportUnfinished(this);
    this.state = 'closed';
    this.gen++;
    this.hbGen++;
    this.meterGen++;
    // Answers still on the wire after a local close would read as "answer to no outstanding CALL".
    this.conn?.socket.removeAllListeners('message');
    this.conn?.close(1000, 'simulation over');
    this.conn = null;
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
    // Checked before OcppError, its base class: the CSMS answered, but not as 1.6 allows; no CALLERROR came.
    else if (error instanceof OcppAnswerInvalidError) reportError(this.ctx, `ocpp.${action}: invalid answer ${error.code}`);
    else if (error instanceof OcppError) reportError(this.ctx, `ocpp.${action}: CALLERROR ${error.code}`);
    else reportError(this.ctx, `ocpp.${action}: ${(error as Error)?.message ?? String(error)}`);
  }
}
