/**
 * A customer who tries to see other customers' data: with Socket.io it asks to join their
 * `customer:<id>` rooms; with polling it asks for their sessions by id. A refusal is counted; an
 * acceptance is a leak. It also checks every notification it receives, like any customer.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { customerRoom } from '../csms/domain/notification-routing.ts';
import { reportError, type Actor, type SimContext } from './context.ts';
import type { Account, SimCustomer } from './customer.ts';
import { checkIsolation, type WireNotification } from './isolation.ts';
import { openSocket } from './realtime.ts';

const K_PROBE = 1;

export class Adversary implements Actor {
  readonly sessions = new Set<number>();
  socket: Socket | null = null;
  gen = 0;

  constructor(
    readonly account: Account,
    private readonly ctx: SimContext,
    private readonly victims: readonly SimCustomer[],
    private readonly intervalMs: number,
  ) {}

  get id(): number {
    return this.account.id;
  }

  async connect(): Promise<void> {
    if (this.ctx.realtime === 'socket.io') {
      this.socket = await openSocket(this.ctx.httpUrl, this.account.token, (n: WireNotification) => {
        this.ctx.metrics.counters.notifications++;
        checkIsolation(this, n, this.ctx.metrics);
      });
    }
    this.ctx.scheduler.at(performance.now() + this.ctx.random.between(0, this.intervalMs), K_PROBE, this, this.gen);
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (gen !== this.gen || kind !== K_PROBE) return;
    this.ctx.scheduler.at(at + this.intervalMs, K_PROBE, this, this.gen);
    if (this.victims.length > 0) void this.probe(at);
  }

  private async probe(at: number): Promise<void> {
    const victim = this.ctx.random.pick(this.victims);
    if (this.socket) {
      const room = customerRoom(victim.id);
      const ack = await this.socket.timeout(5000).emitWithAck('join-room', room).catch(() => null);
      if (ack === null) {
        reportError(this.ctx, 'adversary join-room: no answer');
        return;
      }
      this.record(ack.ok === true, 'join-room', { room, customerId: victim.id });
      // Leave again, so a (wrongly) accepted join does not make every later notification a leak too.
      if (ack.ok) this.socket.emit('leave-room', room);
      return;
    }
    const known = [...victim.sessions];
    if (known.length === 0) return; // nothing of the victim's to look for yet
    const sessionId = this.ctx.random.pick(known);
    const gen = this.gen;
    const res = await this.ctx.rest.request('GET', '/api/user/sessions/:id', `/api/user/sessions/${sessionId}`, { token: this.account.token, scheduledAt: at });
    if (gen !== this.gen) return; // closed meanwhile: the run is over (see SimCustomer.poll)
    if (res.status === 404) this.record(false, 'GET /api/user/sessions/:id', { sessionId });
    else if (res.status === 200 && res.data?.customerId !== this.id) this.record(true, 'GET /api/user/sessions/:id', { sessionId, customerId: res.data?.customerId });
    else reportError(this.ctx, `rest.GET /api/user/sessions/:id: ${res.status} ${res.code ?? ''}`.trim());
  }

  private record(accepted: boolean, type: string, ids: Record<string, unknown>): void {
    this.ctx.metrics.joins(accepted);
    if (accepted) this.ctx.metrics.leak({ customerId: this.id, type, ids, at: Date.now() });
  }

  close(): void {
    this.gen++;
    this.socket?.close();
    this.socket = null;
  }
}
