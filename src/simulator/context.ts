/**
 * What the actors of a run (chargers, customers, admins, adversaries) share: one scheduler, the
 * metrics, the expectations, the REST client, seeded randomness and a few run-wide flags.
 */
import { performance } from 'node:perf_hooks';
import type { Expectations, Watcher } from './expectations.ts';
import type { Ledger } from './ledger.ts';
import type { Metrics } from './metrics.ts';
import type { Random } from './random.ts';
import type { RestClient } from './rest.ts';
import type { Scheduler } from './scheduler.ts';
import type { SitePower } from './site-power.ts';

/** Anything with timers on the shared scheduler. */
export interface Actor {
  onTimer(kind: number, at: number, gen: number): void;
}

/** The owner of a session as the charger sees it (a simulated customer). */
export interface SessionOwner extends Watcher {
  readonly id: number;
  readonly idTag: string;
  onSessionStarted(chargerIndex: number, connectorIndex: number, transactionId: number): void;
  /** The session ended (stopped, or could not start); `ok` false when it failed. */
  onSessionEnded(ok: boolean): void;
}

export interface SimContext {
  metrics: Metrics;
  expectations: Expectations;
  /** What the CSMS acknowledged: checked against the target at the end of the run. */
  ledger: Ledger;
  scheduler: Scheduler<Actor>;
  rest: RestClient;
  random: Random;
  /** The target's OCPP endpoints, at least one: the chargers' failover order. */
  ocppUrls: readonly string[];
  httpUrl: string;
  realtime: 'socket.io' | 'polling';
  /** The target's web CMS, when it serves one. */
  cmsUrl: string | null;
  pollIntervalsMs: { activeSession: number; detail: number; list: number };
  /** Admin watchers: each expects every charger/connector status change. */
  admins: Watcher[];
  ownersByIdTag: Map<string, SessionOwner>;
  /** Power per station, from what the chargers report (`site.power.max`). */
  sites: SitePower;
  /** Ramp-down started: no new sessions. */
  stopping: boolean;
  /** performance.now() until which errors are the expected fallout of chaos. */
  chaosUntil: number;
  log(line: string): void;
}

/** Counts an error; during a chaos window (or when `expected`) it does not count as unexpected. */
export function reportError(ctx: SimContext, key: string, expected = false): void {
  ctx.metrics.error(key, expected || performance.now() < ctx.chaosUntil);
}
