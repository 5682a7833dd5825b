/**
 * A simulated customer: listens (Socket.io or polling, as the pages do), starts sessions from the
 * app (REST → RemoteStartTransaction) or by RFID at the charger, stops them, tops up its wallet,
 * and checks that everything it receives is its own.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import type { SimCharger } from './charger.ts';
import { reportError, type Actor, type SessionOwner, type SimContext } from './context.ts';
import type { Expectation } from './expectations.ts';
import { checkIsolation, type WireNotification } from './isolation.ts';
import { openSocket } from './realtime.ts';
import type { Scenario } from './scenario/schema.ts';
import { checkExpired, expiryCheckAt, reserve, type PendingReservation, type Reserver } from './customer-reservation.ts';

const K_NEXT = 1;
const K_STOP = 2;
const K_TOPUP = 3;
const K_POLL = 4;
const K_RETRY_STOP = 5;
const K_ARRIVE = 6;
const K_EXPIRY_CHECK = 7;

export interface Account {
  id: number;
  email: string;
  /** So that a person can sign in as this customer in the web panel while the run goes on. */
  password: string;
  token: string;
  idTag: string;
}

export class SimCustomer implements Actor, SessionOwner, Reserver {
  readonly pending = new Map<string, Expectation[]>();
  readonly sessions = new Set<number>();
  /** The charging.started key of each of this customer's sessions, for polling (`s|<cp>|<connector>`). */
  private readonly startKeys = new Map<number, string>();
  socket: Socket | null = null;
  connected = false;
  gen = 0;
  /** The current session: where and how it runs; null when idle. */
  current: { charger: SimCharger; connector: number; mode: 'app' | 'rfid'; transactionId: number | null; stopAsked?: boolean } | null = null;
  /** A reservation made, before the customer arrives (or does not: a no-show). */
  reservation: PendingReservation | null = null;
  private readonly cache = new Map<string, { etag: string; data: unknown }>();
  private readonly onNotification: (n: WireNotification) => void;

  constructor(
    readonly account: Account,
    private readonly ctx: SimContext,
    private readonly cfg: Scenario['customers'],
    private readonly chargers: readonly SimCharger[],
  ) {
    this.onNotification = this.notified.bind(this);
  }

  get id(): number {
    return this.account.id;
  }

  get graceMs(): number {
    return this.ctx.realtime === 'polling' ? this.ctx.pollIntervalsMs.activeSession : 0;
  }

  get idTag(): string {
    return this.account.idTag;
  }

  get token(): string {
    return this.account.token;
  }

  /** Another customer of the run with no session or reservation now (the run's owners by idTag). */
  otherIdle(): SimCustomer | null {
    for (const owner of this.ctx.ownersByIdTag.values()) {
      if (owner !== this && owner instanceof SimCustomer && !owner.current && !owner.reservation) return owner;
    }
    return null;
  }

  /** Opens the realtime channel the pages would use. */
  async connect(): Promise<void> {
    if (this.ctx.realtime === 'socket.io') {
      this.socket = await openSocket(this.ctx.httpUrl, this.account.token, this.onNotification);
      this.socket.on('disconnect', () => (this.connected = false));
      this.socket.on('connect', () => (this.connected = true));
    } else {
      this.ctx.scheduler.at(performance.now() + this.ctx.random.between(0, this.ctx.pollIntervalsMs.activeSession), K_POLL, this, this.gen);
    }
    this.connected = true;
  }

  /** Starts the session loop (first session after one idle interval). */
  begin(): void {
    this.ctx.scheduler.at(performance.now() + this.pickMs(this.cfg.sessions.interval), K_NEXT, this, this.gen);
    if (this.cfg.topUps) this.ctx.scheduler.at(performance.now() + this.pickMs(this.cfg.topUps.interval), K_TOPUP, this, this.gen);
  }

  private pickMs(r: { min: number; max: number }): number {
    return this.ctx.random.between(r.min, r.max);
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (gen !== this.gen) return;
    switch (kind) {
      case K_NEXT: void this.startSession(at); return;
      case K_STOP: case K_RETRY_STOP: void this.stopSession(at); return;
      case K_TOPUP: void this.topUp(at); return;
      case K_POLL: void this.poll(at); return;
      case K_ARRIVE: void this.arrive(at); return;
      case K_EXPIRY_CHECK: void this.expiryChecked(at); return;
    }
  }

  private async startSession(at: number): Promise<void> {
    if (this.ctx.stopping || this.current || this.reservation) return;
    let charger: SimCharger | null = null;
    let connector = -1;
    for (let tries = 0; tries < 20 && connector < 0; tries++) {
      charger = this.ctx.random.pick(this.chargers);
      connector = charger.freeConnector();
    }
    if (!charger || connector < 0) {
      this.ctx.scheduler.at(at + 1000, K_NEXT, this, this.gen);
      return;
    }
    // Drawn only when asked for, so the seeds of scenarios without reservations make the same choices as before.
    const reservations = this.cfg.reservations;
    if (reservations && this.ctx.random.chance(reservations.share)) {
      // Kept from the other customers while the CSMS books it: until the charger has it Reserved they
      // would see it free and be refused (a fair 409 of the CSMS, but not one a driver on site meets).
      charger.connectors[connector].booking = true;
      this.reservation = await reserve(this.ctx, reservations, this, charger, connector, at);
      charger.connectors[connector].booking = false;
      if (!this.reservation) return this.next();
      const r = this.reservation;
      this.ctx.scheduler.at(r.noShow ? expiryCheckAt(r) : performance.now() + this.pickMs(reservations.hold), r.noShow ? K_EXPIRY_CHECK : K_ARRIVE, this, this.gen);
      return;
    }
    await this.startOn(charger, connector, at);
  }

  /** The reserver arrives at the reserved connector and starts, as any session starts. */
  private async arrive(at: number): Promise<void> {
    const r = this.reservation;
    this.reservation = null;
    if (!r) return;
    if (this.ctx.stopping) return;
    if (r.charger.connectors[r.connector].reservation?.id !== r.id) {
      // Gone before we came (a reboot of the charger, a hold longer than the reservation).
      reportError(this.ctx, 'reservation: gone before the customer arrived', true);
      return this.next();
    }
    this.ctx.metrics.reservations.used++;
    await this.startOn(r.charger, r.connector, at);
  }

  private async expiryChecked(at: number): Promise<void> {
    const r = this.reservation;
    this.reservation = null;
    if (r) await checkExpired(this.ctx, this, r, at);
    this.next();
  }

  private async startOn(charger: SimCharger, connector: number, at: number): Promise<void> {
    const { app, rfid } = this.cfg.sessions.mix;
    const mode = this.ctx.random.next() * (app + rfid) < app ? 'app' : 'rfid';
    this.current = { charger, connector, mode, transactionId: null };
    charger.hold(connector, this);
    if (mode === 'rfid') {
      charger.presentTag(connector, this, at);
      return;
    }
    const res = await this.ctx.rest.request('POST', '/api/user/charging/start', '/api/user/charging/start', {
      token: this.account.token, body: { chargePointId: charger.id, connectorId: connector + 1 }, scheduledAt: at,
    });
    if (res.status === 202) return; // the charger takes it from here (onSessionStarted)
    charger.unhold(connector);
    // An empty wallet is refused (402): the CSMS is right; whether it billed right, the reconciliation judges.
    const expected = charger.state !== 'online' || res.code === 'CSMS_ERR_INSUFFICIENT_BALANCE';
    reportError(this.ctx, `rest.POST /api/user/charging/start: ${res.status} ${res.code ?? ''}`.trim(), expected);
    this.current = null;
    this.next();
  }

  onSessionStarted(chargerIndex: number, connector: number, transactionId: number): void {
    this.sessions.add(transactionId);
    const charger = this.chargers[chargerIndex];
    if (this.ctx.realtime === 'polling') this.startKeys.set(transactionId, `s|${charger.id}|${connector + 1}`);
    if (!this.current) this.current = { charger: this.chargers[chargerIndex], connector, mode: 'app', transactionId };
    this.current.transactionId = transactionId;
    // Started during ramp-down (its StartTransaction was in flight): stop it at once.
    const duration = this.ctx.stopping ? 0 : this.pickMs(this.cfg.sessions.duration);
    this.ctx.scheduler.at(performance.now() + duration, K_STOP, this, this.gen);
  }

  onSessionEnded(): void {
    this.current = null;
    this.next();
  }

  private next(): void {
    if (!this.ctx.stopping) this.ctx.scheduler.at(performance.now() + this.pickMs(this.cfg.sessions.interval), K_NEXT, this, this.gen);
  }

  /** Stops the running session: from the app (RemoteStop) or by unplugging at the charger. */
  async stopSession(at = performance.now()): Promise<void> {
    const cur = this.current;
    if (!cur || cur.transactionId === null) return;
    if (cur.mode === 'rfid' || cur.charger.state === 'closed') {
      cur.charger.stop(cur.connector, 'Local', at);
      return;
    }
    // Asked already (the session's own timer and the ramp-down can both ask): one request is enough.
    if (cur.stopAsked) return;
    cur.stopAsked = true;
    const res = await this.ctx.rest.request('POST', '/api/user/charging/stop', '/api/user/charging/stop', {
      token: this.account.token, body: { sessionId: cur.transactionId }, scheduledAt: at,
    });
    if (res.status === 202 || this.current !== cur) return;
    cur.stopAsked = false;
    const offline = cur.charger.state !== 'online';
    // The CSMS has the stop already (the charger's StopTransaction is applied before it is answered,
    // so this can come a moment before the charger ends the session on our side): not an error.
    const ending = res.code === 'CSMS_ERR_SESSION_NOT_ACTIVE' && cur.charger.connectors[cur.connector]?.tx?.stopReason != null;
    reportError(this.ctx, `rest.POST /api/user/charging/stop: ${res.status} ${res.code ?? ''}`.trim(), offline || ending);
    if (ending) return;
    // Charger offline: try again soon. Refused otherwise: the driver unplugs (a local stop).
    if (offline && !this.ctx.stopping) this.ctx.scheduler.at(performance.now() + 2000, K_RETRY_STOP, this, this.gen);
    else cur.charger.stop(cur.connector, 'Local');
  }

  private async topUp(at: number): Promise<void> {
    if (this.ctx.stopping || !this.cfg.topUps) return;
    this.ctx.scheduler.at(at + this.pickMs(this.cfg.topUps.interval), K_TOPUP, this, this.gen);
    const res = await this.ctx.rest.request('POST', '/api/user/wallet/topup', '/api/user/wallet/topup', { token: this.account.token, body: { amount: this.cfg.topUps.amount }, scheduledAt: at });
    // Confirmed: the wallet must show it at the end of the run (the ledger's reconciliation).
    if (res.status === 200) this.ctx.ledger.toppedUp(this.account.email, this.cfg.topUps.amount);
    else reportError(this.ctx, `rest.POST /api/user/wallet/topup: ${res.status} ${res.code ?? ''}`.trim());
  }

  private notified(n: WireNotification): void {
    this.ctx.metrics.counters.notifications++;
    if (!checkIsolation(this, n, this.ctx.metrics)) return;
    const d = n.data ?? {};
    const now = performance.now();
    const { expectations } = this.ctx;
    switch (n.type) {
      case 'meter.values': expectations.resolve(this, `m|${d.sessionId}`, (e) => e.value === d.energyWh, now); return;
      case 'charging.started': expectations.resolve(this, `s|${d.chargePointId}|${d.connectorId}`, () => true, now); return;
      case 'charging.stopped': expectations.resolve(this, `x|${d.sessionId}`, () => true, now); return;
    }
  }

  // The user panel's active-session view: GET /api/user/sessions/active every pollIntervalsMs.activeSession.
  private async poll(at: number): Promise<void> {
    this.ctx.scheduler.at(at + this.ctx.pollIntervalsMs.activeSession, K_POLL, this, this.gen);
    const gen = this.gen;
    const res = await this.ctx.rest.request<{ items: any[] }>('GET', '/api/user/sessions/active', '/api/user/sessions/active', { token: this.account.token, scheduledAt: at, cache: this.cache });
    // Closed meanwhile: the run is over and its CSMS may be closing (a request it had not read yet is
    // reset). The answer concerns nobody any more: not an error, nor a notification.
    if (gen !== this.gen) return;
    if (res.status !== 200 && res.status !== 304) {
      reportError(this.ctx, `rest.GET /api/user/sessions/active: ${res.status} ${res.code ?? ''}`.trim());
      return;
    }
    if (res.notModified || !res.data) return;
    const now = performance.now();
    const { expectations } = this.ctx;
    const active = new Set<number>();
    for (const s of res.data.items) {
      this.ctx.metrics.counters.notifications++;
      if (s.customerId !== this.id) {
        this.ctx.metrics.leak({ customerId: this.id, type: 'GET /api/user/sessions/active', ids: { customerId: s.customerId, sessionId: s.id }, at: Date.now() });
        continue;
      }
      active.add(s.id);
      this.sessions.add(s.id);
      expectations.resolveUpTo(this, `s|${s.chargePointId}|${s.connectorId}`, Infinity, now);
      expectations.resolveUpTo(this, `m|${s.id}`, s.energyWh, now);
    }
    for (const key of [...this.pending.keys()]) {
      if (!key.startsWith('x|')) continue;
      const sessionId = Number(key.slice(2));
      if (active.has(sessionId)) continue;
      // Gone from the active list: completed. Its final energy is at least every reading sent before.
      expectations.resolveUpTo(this, key, Infinity, now);
      expectations.resolveUpTo(this, `m|${sessionId}`, Infinity, now);
      const startKey = this.startKeys.get(sessionId);
      if (startKey) expectations.resolveUpTo(this, startKey, Infinity, now);
      this.startKeys.delete(sessionId);
    }
  }

  close(): void {
    this.gen++;
    this.socket?.close();
    this.socket = null;
    this.connected = false;
  }
}
