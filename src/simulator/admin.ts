/**
 * An admin with the CMS open: in the `cms:points` room (Socket.io) or polling the points list at the
 * web panel's list interval. It measures StatusNotification → connector.status / charger.status.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { CMS_ROOMS } from '../csms/domain/notification-routing.ts';
import { reportError, type Actor, type SimContext } from './context.ts';
import type { Expectation, Watcher } from './expectations.ts';
import type { WireNotification } from './isolation.ts';
import { openSocket } from './realtime.ts';

const K_POLL = 1;
const PAGE = 200;

export class AdminWatcher implements Actor, Watcher {
  readonly pending = new Map<string, Expectation[]>();
  socket: Socket | null = null;
  gen = 0;
  private readonly cache = new Map<string, { etag: string; data: unknown }>();

  constructor(private readonly token: string, private readonly ctx: SimContext) {}

  get graceMs(): number {
    return this.ctx.realtime === 'polling' ? this.ctx.pollIntervalsMs.list : 0;
  }

  async connect(): Promise<void> {
    if (this.ctx.realtime === 'polling') {
      this.ctx.scheduler.at(performance.now() + this.ctx.random.between(0, this.ctx.pollIntervalsMs.list), K_POLL, this, this.gen);
      return;
    }
    this.socket = await openSocket(this.ctx.httpUrl, this.token, (n: WireNotification) => this.notified(n));
    const join = async (): Promise<void> => {
      const ack = await this.socket!.timeout(5000).emitWithAck('join-room', CMS_ROOMS.points).catch(() => null);
      if (!ack?.ok) reportError(this.ctx, `admin join-room ${CMS_ROOMS.points} refused`);
    };
    await join();
    // Rooms are not kept across connections (docs/events.md): join again after a reconnect.
    this.socket.io.on('reconnect', () => void join());
  }

  private notified(n: WireNotification): void {
    this.ctx.metrics.counters.notifications++;
    const d = n.data ?? {};
    const now = performance.now();
    if (n.type === 'connector.status') {
      const at = Date.parse(d.at);
      this.ctx.expectations.resolve(this, `c|${d.chargePointId}|${d.connectorId}`, (e) => e.value === at, now);
    } else if (n.type === 'charger.status' && typeof d.status === 'string') {
      this.ctx.expectations.resolve(this, `g|${d.chargePointId}`, (e) => e.tag === d.status, now);
    }
  }

  private async poll(at: number): Promise<void> {
    this.ctx.scheduler.at(at + this.ctx.pollIntervalsMs.list, K_POLL, this, this.gen);
    const gen = this.gen;
    for (let offset = 0; ; offset += PAGE) {
      const path = `/api/cms/points?limit=${PAGE}&offset=${offset}`;
      const res = await this.ctx.rest.request<{ items: any[] }>('GET', '/api/cms/points', path, { token: this.token, scheduledAt: offset === 0 ? at : undefined, cache: this.cache });
      if (gen !== this.gen) return; // closed meanwhile: the run is over (see SimCustomer.poll)
      if (res.status !== 200 && res.status !== 304) {
        reportError(this.ctx, `rest.GET /api/cms/points: ${res.status} ${res.code ?? ''}`.trim());
        return;
      }
      const items = res.data?.items ?? [];
      if (!res.notModified) {
        const now = performance.now();
        for (const p of items) {
          for (const c of p.connectors ?? []) {
            const updated = Date.parse(c.updatedAt);
            this.ctx.expectations.resolveUpTo(this, `c|${p.id}|${c.connectorId}`, updated, now);
            if (c.connectorId === 0) this.ctx.expectations.resolveUpTo(this, `g|${p.id}`, updated, now);
          }
        }
      }
      if (items.length < PAGE) return;
    }
  }

  onTimer(kind: number, at: number, gen: number): void {
    if (gen === this.gen && kind === K_POLL) void this.poll(at);
  }

  close(): void {
    this.gen++;
    this.socket?.close();
    this.socket = null;
  }
}
