/**
 * A simulated customer who reserves before charging (customers.reservations): POST
 * /api/user/reservations, another customer tries the reserved connector (and must be refused),
 * then the reserver arrives after `hold` and starts, or never comes (`noShow`) and the reservation
 * must expire on both sides. Counts go to the snapshot's `reservations`.
 */
import { performance } from 'node:perf_hooks';
import type { SimCharger } from './charger.ts';
import { reportError, type SimContext } from './context.ts';
import type { Scenario } from './scenario/schema.ts';

export interface PendingReservation {
  id: number;
  charger: SimCharger;
  /** Connector index. */
  connector: number;
  expiresAt: string;
  noShow: boolean;
}

/** What this module needs of a customer (SimCustomer). */
export interface Reserver {
  readonly id: number;
  readonly token: string;
  /** An idle customer, to try the reserved connector with. */
  otherIdle(): Reserver | null;
}

type Config = NonNullable<Scenario['customers']['reservations']>;

/** Reserves connector `connector` of `charger`; null when refused (counted, and reported as expected when the refusal is a fair answer). */
export async function reserve(ctx: SimContext, cfg: Config, who: Reserver, charger: SimCharger, connector: number, at: number): Promise<PendingReservation | null> {
  const res = await ctx.rest.request<{ id: number; expiresAt: string }>('POST', '/api/user/reservations', '/api/user/reservations', {
    token: who.token, body: { chargePointId: charger.id, connectorId: connector + 1 }, scheduledAt: at,
  });
  if (res.status !== 201 || !res.data) {
    ctx.metrics.reservations.refused++;
    // 409: the charger refused (its state changed since we looked) or another customer was first; offline: the charger's.
    const fair = res.status === 409 || charger.state !== 'online' || res.code === 'CSMS_ERR_INSUFFICIENT_BALANCE';
    reportError(ctx, `rest.POST /api/user/reservations: ${res.status} ${res.code ?? ''}`.trim(), fair);
    return null;
  }
  ctx.metrics.reservations.made++;
  await tryAsAnother(ctx, who, charger, connector);
  return { id: res.data.id, charger, connector, expiresAt: res.data.expiresAt, noShow: ctx.random.chance(cfg.noShow) };
}

/**
 * Another idle customer tries to start on the reserved connector: the CSMS must refuse it (409
 * CSMS_ERR_CONNECTOR_RESERVED). Other refusals (their own wallet, their own running session) say
 * nothing about the reservation and are not counted.
 */
async function tryAsAnother(ctx: SimContext, who: Reserver, charger: SimCharger, connector: number): Promise<void> {
  const other = who.otherIdle();
  if (!other) return;
  const res = await ctx.rest.request('POST', '/api/user/charging/start', '/api/user/charging/start', {
    token: other.token, body: { chargePointId: charger.id, connectorId: connector + 1 }, scheduledAt: performance.now(),
  });
  if (res.status === 409 && res.code === 'CSMS_ERR_CONNECTOR_RESERVED') ctx.metrics.reservations.blocked++;
  else if (res.status >= 200 && res.status < 300) {
    ctx.metrics.reservations.taken++;
    reportError(ctx, 'reservation: another customer started on a reserved connector');
  }
}

/**
 * The reserver never came: once past its expiry, the CSMS must list it expired and the charger
 * must have freed the connector.
 */
export async function checkExpired(ctx: SimContext, who: Reserver, r: PendingReservation, at: number): Promise<void> {
  const res = await ctx.rest.request<{ items: { id: number; status: string }[] }>('GET', '/api/user/reservations', '/api/user/reservations?status=expired', {
    token: who.token, scheduledAt: at,
  });
  const listed = res.status === 200 && res.data?.items.some((x) => x.id === r.id);
  const freed = r.charger.connectors[r.connector].reservation?.id !== r.id;
  if (listed && freed) ctx.metrics.reservations.expired++;
  else reportError(ctx, `reservation: ${r.id} not expired ${listed ? 'on the charger' : 'in the CSMS'} after its expiry`, r.charger.state !== 'online');
}

/** When to check a no-show's expiry: a little after it, for the CSMS's sweep and the charger's timer. */
export function expiryCheckAt(r: PendingReservation): number {
  return performance.now() + Math.max(0, Date.parse(r.expiresAt) - Date.now()) + 2500;
}
