/**
 * Load management at work: when a session starts, stops or reports a reading, the station it runs at
 * is divided again (load-management.ts) and each session whose share moved gets a TxProfile
 * through the Smart Charging commands (audited, stored when Accepted, counted when not).
 *
 * One division per station at a time on this node; a change that arrives meanwhile runs one more
 * division afterwards. Several nodes may divide the same station at once (their processors hold
 * different chargers): each reads the committed sessions and the profiles the chargers accepted, so
 * the last division wins and the next event corrects any overlap.
 */
import type { ChargingProfile } from '../../ocpp/messages.ts';
import { RESERVED_PROFILE_ID_BASE } from './charging-profiles.ts';
import { divide, plan, type LoadSession, type ShareChange } from './load-management.ts';
import type { Clock, Store } from './ports.ts';
import type { SmartCharging } from './smart-charging.ts';

/** The stack level of the CSMS's TxProfiles: an admin's TxProfile at a higher level overrides them. */
export const LOAD_STACK_LEVEL = 1;
/** Who the audit says sent them. */
export const LOAD_REQUESTED_BY = 'csms: load management';
/** A share a charger did not confirm is sent again after this long (at the next division). */
export const RETRY_UNCONFIRMED_MS = 60_000;
/** How long a load-management command waits for the charger (shorter than an admin's: others wait for it). */
const COMMAND_TIMEOUT_MS = 10_000;
/**
 * How long a charger's station, and whether a station has a grid limit, are remembered: every
 * MeterValues asks, and most stations have no limit. A changed limit counts within this time.
 */
const LOOKUP_CACHE_MS = 5_000;

/** The chargingProfileId of a transaction's load-management TxProfile: stable, one per transaction. */
export function loadProfileId(transactionId: number): number {
  return RESERVED_PROFILE_ID_BASE + transactionId;
}

/** The TxProfile that holds a transaction to `limitW` watts (0: paused) for the rest of it. */
export function loadProfile(transactionId: number, limitW: number): ChargingProfile {
  return {
    chargingProfileId: loadProfileId(transactionId),
    transactionId,
    stackLevel: LOAD_STACK_LEVEL,
    chargingProfilePurpose: 'TxProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: limitW }] },
  };
}

export interface LoadManagerDeps {
  store: Store;
  smartCharging: SmartCharging;
  clock: Clock;
  onError?(err: unknown, stationId: number | null): void;
}

interface Unconfirmed {
  stationId: number;
  limitW: number;
  atMs: number;
}

export function createLoadManager({ store, smartCharging, clock, onError }: LoadManagerDeps) {
  const running = new Map<number, { again: boolean; done: Promise<void> }>();
  /** Shares sent that the charger did not accept, by transaction: not sent again before RETRY_UNCONFIRMED_MS. */
  const unconfirmed = new Map<number, Unconfirmed>();
  let closed = false;
  const stationOf = new Map<string, { stationId: number | null; atMs: number }>();
  const limited = new Map<number, { yes: boolean; atMs: number }>();

  /** The station of a charger that has a grid limit, or null; from the cache while it is fresh. */
  async function limitedStationOf(chargePointId: string): Promise<number | null> {
    const nowMs = clock.now().getTime();
    let known = stationOf.get(chargePointId);
    if (!known || nowMs - known.atMs > LOOKUP_CACHE_MS) {
      known = { stationId: (await store.chargePoints.get(chargePointId))?.stationId ?? null, atMs: nowMs };
      stationOf.set(chargePointId, known);
    }
    const stationId = known.stationId;
    if (stationId === null) return null;
    let limit = limited.get(stationId);
    if (!limit || nowMs - limit.atMs > LOOKUP_CACHE_MS) {
      limit = { yes: ((await store.stations.get(stationId))?.gridLimitW ?? null) !== null, atMs: nowMs };
      limited.set(stationId, limit);
    }
    return limit.yes ? stationId : null;
  }

  async function rebalance(stationId: number): Promise<void> {
    const station = await store.stations.get(stationId);
    if (!station || station.gridLimitW === null) return;
    const nowMs = clock.now().getTime();
    const where = new Map<number, { chargePointId: string; connectorId: number }>();
    const sessions: LoadSession[] = [];
    /** The limit each charger confirmed for its transaction (null: none, it may draw what it likes). */
    const confirmed = new Map<number, number | null>();
    for (const point of await store.chargePoints.list({ stationId })) {
      const active = await store.sessions.list({ chargePointId: point.id, status: 'active' });
      if (active.length === 0) continue;
      const installed = await store.chargingProfiles.list(point.id);
      for (const s of active) {
        where.set(s.id, { chargePointId: point.id, connectorId: s.connectorId });
        const accepted = installed.find((p) => p.chargingProfileId === loadProfileId(s.id))?.profile.chargingSchedule.chargingSchedulePeriod[0]?.limit;
        confirmed.set(s.id, accepted ?? null);
        const pending = unconfirmed.get(s.id);
        const recent = pending && nowMs - pending.atMs < RETRY_UNCONFIRMED_MS ? pending.limitW : undefined;
        sessions.push({
          transactionId: s.id,
          priority: point.priority,
          startedAt: s.startedAt,
          // Power.Active.Import as last reported; 0 cannot be told from a charger that reports no power.
          drawW: s.lastMeterAt !== null && s.powerW > 0 ? s.powerW : null,
          limitW: recent ?? accepted ?? null,
        });
      }
    }
    for (const [tx, u] of unconfirmed) if (u.stationId === stationId && !where.has(tx)) unconfirmed.delete(tx);
    const shares = divide({ gridLimitW: station.gridLimitW, minPerSessionW: station.minPerSessionW ?? 0 }, sessions);
    const previous = new Map(sessions.map((s) => [s.transactionId, s.limitW]));
    const { decreases, increases } = plan(station.gridLimitW, previous, shares);
    const send = async ({ transactionId, limitW }: ShareChange): Promise<void> => {
      const { chargePointId, connectorId } = where.get(transactionId)!;
      try {
        const outcome = await smartCharging.send(chargePointId, 'SetChargingProfile', { connectorId, csChargingProfiles: loadProfile(transactionId, limitW) }, {
          requestedBy: LOAD_REQUESTED_BY, timeoutMs: COMMAND_TIMEOUT_MS, own: true,
        });
        const accepted = outcome.status === 'answered' && (outcome.response as { status?: unknown } | null)?.status === 'Accepted';
        if (accepted) {
          unconfirmed.delete(transactionId);
          confirmed.set(transactionId, limitW);
        } else unconfirmed.set(transactionId, { stationId, limitW, atMs: clock.now().getTime() });
      } catch (err) {
        // The transaction ended meanwhile (409), or the database went away: the next division tries again.
        onError?.(err, stationId);
      }
    };
    // Lower shares first, so the limits in force never add up to more than the grid limit on the way.
    await Promise.all(decreases.map(send));
    // An increase only fits once the others' limits are in force: a decrease the charger did not
    // confirm (or a session with no confirmed limit) leaves no room for it; the next division tries again.
    const raised = new Map(increases.map((c) => [c.transactionId, c.limitW]));
    let inForce = 0;
    for (const [tx, limitW] of confirmed) inForce += raised.get(tx) ?? limitW ?? Number.POSITIVE_INFINITY;
    if (inForce > station.gridLimitW) {
      for (const { transactionId } of increases) unconfirmed.delete(transactionId);
      return;
    }
    await Promise.all(increases.map(send));
  }

  /** Divides the station now, or once more after the division running for it. */
  function schedule(stationId: number): Promise<void> {
    const current = running.get(stationId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: true, done: Promise.resolve() };
    entry.done = (async () => {
      while (entry.again && !closed) {
        entry.again = false;
        try {
          await rebalance(stationId);
        } catch (err) {
          onError?.(err, stationId);
        }
      }
      running.delete(stationId);
    })();
    running.set(stationId, entry);
    return entry.done;
  }

  return {
    /** Sessions of these charge points started, stopped or reported: their stations are divided again. */
    async sessionsChanged(chargePointIds: readonly string[]): Promise<void> {
      if (closed) return;
      const stations = new Set<number>();
      try {
        for (const id of chargePointIds) {
          const stationId = await limitedStationOf(id);
          if (stationId !== null) stations.add(stationId);
        }
      } catch (err) {
        onError?.(err, null);
        return;
      }
      await Promise.all([...stations].map(schedule));
    },
    /** Divides one station's limit now (and resolves when its sends are answered). */
    rebalance: schedule,
    /** Stops taking changes and waits for the divisions under way. */
    async close(): Promise<void> {
      closed = true;
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}

export type LoadManager = ReturnType<typeof createLoadManager>;
