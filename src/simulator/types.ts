/**
 * What the simulator's engine hands to its outputs (live dashboard, plain progress lines, reports).
 * The engine produces a MetricsSnapshot a few times a second and a RunResult at the end; every view
 * and report is built from these two alone.
 */

/** Latency statistics of one measured key, in milliseconds (from the scheduled send time). */
export interface LatencyStats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ThresholdState {
  /** As written in the scenario, e.g. `ocpp.StartTransaction.p99 < 200ms`. */
  expression: string;
  /** null while there is not enough data to judge. */
  ok: boolean | null;
  /** The measured value in the threshold's unit (ms for latencies). */
  value: number | null;
  /** One readable line: `ocpp.StartTransaction.p99 = 231 ms, limit < 200 ms`. */
  message: string;
}

export interface LeakRecord {
  /** The customer who received what was not theirs. */
  customerId: number;
  type: string;
  /** Ids in the notification that belong to someone else (session, customer, transaction). */
  ids: Record<string, unknown>;
  at: number;
}

/** The scenario's firmware rollout as the CSMS's jobs report it; `durationMs` null until every job has an outcome. */
export interface FirmwareRolloutSnapshot {
  targeted: number;
  installed: number;
  failed: number;
  durationMs: number | null;
}

export interface MetricsSnapshot {
  /** Epoch ms of the snapshot. */
  at: number;
  elapsedS: number;
  phase: 'setup' | 'ramp-up' | 'hold' | 'ramp-down' | 'draining' | 'reconciling' | 'done';
  /** `ocppUrl`: the OCPP endpoint, or the failover list joined with ", ". */
  target: { kind: 'embedded' | 'remote'; httpUrl: string; ocppUrl: string; realtime: 'socket.io' | 'polling'; cmsUrl: string | null };
  fleet: { total: number; connecting: number; available: number; charging: number; faulted: number; offline: number };
  /**
   * Chargers that came online at another OCPP URL than the one they were last online at (the first
   * URL before their first connection): `total`, and per charger id (only those that failed over).
   */
  failovers: { total: number; byCharger: Record<string, number> };
  /** Cards the chargers authorised themselves (E2 §3.5, §3.6): offline starts, local list and cache hits. */
  auth?: { offline: { started: number }; localList: { hits: number }; cache: { hits: number } };
  customers: { total: number; connected: number; realtime: number; polling: number; adversarial: number; admins: number };
  /** Per second, over the last snapshot interval. */
  rates: { ocppSent: number; ocppReceived: number; restRequests: number; notifications: number };
  /**
   * Latencies by key: `ocpp.<Action>` (CALL→CALLRESULT, both directions: commands the charger
   * answers are `ocpp.in.<Action>`), `rest.<METHOD> <route>`, `notify.<type>` (end to end).
   */
  latency: Record<string, LatencyStats>;
  thresholds: ThresholdState[];
  errors: { total: number; unexpected: number; top: { key: string; count: number }[] };
  isolation: { leaks: number; acceptedJoins: number; refusedJoins: number; recent: LeakRecord[] };
  reservations: ReservationCounts;
  notifications: { expected: number; received: number; lost: number };
  generator: { eventLoopP99Ms: number; cpuPct: number; rssMb: number; overloaded: boolean; reason: string | null };
  /**
   * Power per station (a site), W, from what its chargers report in Power.Active.Import
   * (src/simulator/site-power.ts): now, and the most at any sampled instant; `powerMaxW` is the
   * largest over the stations (`site.power.max`).
   */
  site: { powerMaxW: number; stations: Record<string, { powerW: number; powerMaxW: number; gridLimitW?: number }> };
  /**
   * Load management as the chargers of stations with a grid limit see it: StartTransactions accepted
   * with no TxProfile for their transaction within 30 s (`loadmgmt.rebalance_timeouts`); the ones
   * that got one are the latency `loadmgmt.rebalance`.
   */
  loadmgmt: { rebalanceTimeouts: number };
  /** The end-of-run reconciliation; null until it has run (or when it could not). */
  reconciliation: ReconcileSummary | null;
  /** The firmware rollout (scenario `firmware.rollout`); absent without one. */
  firmware?: FirmwareRolloutSnapshot;
}

/** What the CSMS acknowledged against what its admin API shows at the end (src/simulator/reconcile.ts). */
export interface ReconcileSummary {
  /** `ocpp.acked_lost`: acknowledged StopTransactions whose session is missing, active or stopped lower; acknowledged MeterValues not stored; accepted starts without a session. */
  ackedLost: number;
  /** `ackedLost` by message: accepted StartTransactions, StopTransactions, MeterValues. */
  lost: { starts: number; stops: number; meterValues: number };
  /** `sessions.stuck`: sessions of the run's chargers still active at the end. */
  sessionsStuck: number;
  /** `billing.mismatches`: sessions whose cost is not their energy's, whose wallet debits differ from their cost; wallets not equal to top-ups minus costs. */
  billingMismatches: number;
  /** `billing.negative_balances`: the run's customers whose wallet ends below zero (a session ran past the balance). */
  negativeBalances: number;
  checked: { starts: number; stops: number; meterValues: number; sessions: number; wallets: number };
  /** Acknowledged meter timestamps older than the window the API returns (not judged). */
  unverifiable: number;
  /** How long it waited for the CSMS to settle. */
  settledAfterMs: number;
  /** The first findings, one line each. */
  findings: string[];
}

export type ExitCode = 0 | 1 | 2 | 3;

export interface RunResult {
  scenario: { name: string; file: string | null; seed: number };
  startedAt: string;
  finishedAt: string;
  durationS: number;
  final: MetricsSnapshot;
  /** One point per snapshot (thinned to at most ~600): what the HTML report charts over time. */
  timeline: { t: number; rates: MetricsSnapshot['rates']; latency: Record<string, Pick<LatencyStats, 'p50' | 'p99'>> }[];
  /** Percentile curves per key for the HTML report: [percentile, ms] pairs. */
  percentiles: Record<string, [number, number][]>;
  thresholds: ThresholdState[];
  /** 0 all thresholds held, 1 a threshold failed, 2 scenario invalid, 3 generator overloaded or infrastructure error. */
  exitCode: ExitCode;
  /** Why the run ended with that code, in one line. */
  reason: string;
}

/** What the customers' reservations came to. */
export interface ReservationCounts {
  /** Accepted by the CSMS and the charger (201). */
  made: number;
  /** Refused (409: the charger's answer, or the connector was reserved meanwhile). */
  refused: number;
  /** Not come for, and expired as they should. */
  expired: number;
  /** The reserver started on the reserved connector. */
  used: number;
  /** Another customer tried the reserved connector and was refused (409 CSMS_ERR_CONNECTOR_RESERVED). */
  blocked: number;
  /** Another customer's start on a reserved connector was accepted: a broken reservation. */
  taken: number;
}
