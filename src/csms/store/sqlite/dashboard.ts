/** The counts behind the CMS dashboard, in two statements. */
import type { Database } from 'better-sqlite3';
import type { DashboardStats } from '../../domain/ports.ts';
import { utcMidnight } from '../rules.ts';

type Totals = Omit<DashboardStats, 'connectorsByStatus'>;

/**
 * Builds `dashboardStats(now)`. "Today" means since UTC midnight of `now`: sessions started
 * since then and charges booked since then. Connector 0 (the charge point as a whole, OCPP
 * StatusNotification) is not a connector a customer can use, so it is not counted.
 */
export function createDashboardStats(db: Database): (now: string) => DashboardStats {
  const totals = db.prepare<{ today: string }, Totals>(`
    SELECT
      (SELECT COUNT(*) FROM stations) AS stations,
      (SELECT COUNT(DISTINCT station_id) FROM charge_points WHERE online = 1 AND station_id IS NOT NULL) AS stationsOnline,
      (SELECT COUNT(*) FROM charge_points) AS chargePoints,
      (SELECT COUNT(*) FROM charge_points WHERE online = 1) AS chargePointsOnline,
      (SELECT COUNT(*) FROM sessions WHERE status = 'active') AS activeSessions,
      (SELECT COALESCE(SUM(energy_wh), 0) FROM sessions WHERE started_at >= @today) AS energyWhToday,
      (SELECT COALESCE(SUM(energy_wh), 0) FROM sessions) AS energyWhTotal,
      (SELECT -COALESCE(SUM(amount_minor), 0) FROM wallet_entries WHERE kind = 'charge' AND created_at >= @today) AS revenueMinorToday,
      (SELECT -COALESCE(SUM(amount_minor), 0) FROM wallet_entries WHERE kind = 'charge') AS revenueMinorTotal,
      (SELECT COUNT(*) FROM users WHERE role = 'customer') AS customers
  `);
  const connectors = db.prepare<[], { status: string; n: number }>(
    'SELECT status, COUNT(*) AS n FROM connectors WHERE connector_id > 0 GROUP BY status',
  );

  return (now) => {
    const stats = totals.get({ today: utcMidnight(now) })!;
    const connectorsByStatus: Record<string, number> = {};
    for (const { status, n } of connectors.all()) connectorsByStatus[status] = n;
    // -0 from an empty SUM would print as 0 but fail Object.is checks downstream.
    return {
      ...stats,
      revenueMinorToday: stats.revenueMinorToday || 0,
      revenueMinorTotal: stats.revenueMinorTotal || 0,
      connectorsByStatus,
    };
  };
}
