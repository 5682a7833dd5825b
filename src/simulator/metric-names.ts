/**
 * Every metric the simulator can produce, so that a threshold naming one it never measures is a
 * load-time error instead of a threshold that silently never judges.
 */

/** CALLs a simulated charger sends (`ocpp.<Action>`). */
export const CHARGER_ACTIONS = [
  'BootNotification', 'Heartbeat', 'Authorize', 'StartTransaction', 'StopTransaction', 'StatusNotification',
  'MeterValues', 'DataTransfer', 'FirmwareStatusNotification', 'DiagnosticsStatusNotification',
] as const;

/** CALLs the CSMS sends that a simulated charger answers (`ocpp.in.<Action>`). */
export const COMMAND_ACTIONS = [
  'RemoteStartTransaction', 'RemoteStopTransaction', 'ChangeConfiguration', 'GetConfiguration', 'Reset',
  'UnlockConnector', 'ChangeAvailability', 'ClearCache', 'TriggerMessage', 'DataTransfer', 'ReserveNow', 'CancelReservation',
  'UpdateFirmware', 'GetDiagnostics',
  'SetChargingProfile', 'ClearChargingProfile', 'GetCompositeSchedule',
  'SendLocalList', 'GetLocalListVersion',
] as const;

/** REST routes the simulator calls, as `<METHOD> <route pattern>` (`rest.<METHOD> <route>`). */
export const REST_ROUTES = [
  'GET /api/config', 'POST /api/auth/login', 'POST /api/user/register', 'GET /api/user/me',
  'POST /api/user/charging/start', 'POST /api/user/charging/stop', 'POST /api/user/reservations', 'GET /api/user/reservations', 'GET /api/user/sessions/active',
  'GET /api/user/sessions/:id', 'POST /api/user/wallet/topup', 'GET /api/cms/points',
  'POST /api/cms/points', 'PUT /api/cms/points/:chargePointId', 'POST /api/cms/stations', 'PUT /api/cms/stations/:id', 'POST /api/cms/tariffs',
  'POST /api/cms/customers', 'POST /api/cms/customers/:id/wallet', 'GET /api/cms/stations', 'GET /api/cms/tariffs',
  'POST /api/cms/firmware', 'POST /api/cms/firmware/rollouts', 'GET /api/cms/jobs',
] as const;

/**
 * Measured by the chargers themselves: `loadmgmt.rebalance`, from a StartTransaction's answer to the
 * first TxProfile for that transaction (src/simulator/charger/smart-charging.ts).
 */
export const CHARGER_LATENCIES = ['loadmgmt.rebalance'] as const;

/** End-to-end notification latencies (`notify.<type>`), from the OCPP CALL's scheduled send time. */
export const NOTIFY_TYPES = ['meter.values', 'charging.started', 'charging.stopped', 'charger.status', 'connector.status'] as const;

export const LATENCY_STATS = ['p50', 'p95', 'p99', 'max', 'mean', 'count'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];

/** Plain numbers of the snapshot a threshold may name, with the unit they are in. */
export const SCALAR_METRICS: Record<string, 'count' | 'ms' | 'pct' | 'mb' | 'w'> = {
  'isolation.leaks': 'count',
  'isolation.acceptedJoins': 'count',
  'isolation.refusedJoins': 'count',
  'notifications.expected': 'count',
  'notifications.received': 'count',
  'notifications.lost': 'count',
  'errors.total': 'count',
  'errors.unexpected': 'count',
  'generator.eventLoopP99Ms': 'ms',
  'generator.cpuPct': 'pct',
  'generator.rssMb': 'mb',
  'fleet.offline': 'count',
  'fleet.faulted': 'count',
  'failovers.total': 'count',
  'auth.offline.started': 'count',
  'auth.localList.hits': 'count',
  'auth.cache.hits': 'count',
  'ocpp.acked_lost': 'count',
  'sessions.stuck': 'count',
  'billing.mismatches': 'count',
  'billing.negative_balances': 'count',
  'reservations.made': 'count',
  'reservations.refused': 'count',
  'reservations.expired': 'count',
  'reservations.used': 'count',
  'reservations.blocked': 'count',
  'reservations.taken': 'count',
  'firmware.targeted': 'count',
  'firmware.installed': 'count',
  'firmware.failed': 'count',
  'firmware.rollout.duration': 'ms',
  'site.power.max': 'w',
  'loadmgmt.rebalance_timeouts': 'count',
};

/** Scalar metrics that are not a path of the snapshot as written: where their value is. */
export const SCALAR_PATHS: Record<string, string> = {
  'ocpp.acked_lost': 'reconciliation.ackedLost',
  'sessions.stuck': 'reconciliation.sessionsStuck',
  'billing.mismatches': 'reconciliation.billingMismatches',
  'billing.negative_balances': 'reconciliation.negativeBalances',
  'firmware.rollout.duration': 'firmware.durationMs',
  'site.power.max': 'site.powerMaxW',
  'loadmgmt.rebalance_timeouts': 'loadmgmt.rebalanceTimeouts',
};

const LATENCY_KEYS = new Set<string>([
  ...CHARGER_ACTIONS.map((a) => `ocpp.${a}`),
  ...COMMAND_ACTIONS.map((a) => `ocpp.in.${a}`),
  ...REST_ROUTES.map((r) => `rest.${r}`),
  ...NOTIFY_TYPES.map((t) => `notify.${t}`),
  ...CHARGER_LATENCIES,
]);

/** True when `key` (without a stat suffix) is a latency the simulator measures. */
export function isLatencyKey(key: string): boolean {
  return LATENCY_KEYS.has(key);
}

/** All latency keys, for error messages and editor hints. */
export function latencyKeys(): string[] {
  return [...LATENCY_KEYS];
}
