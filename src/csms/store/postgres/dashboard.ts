/** The counts behind the CMS dashboard, in two statements. */
import type { DashboardStats } from '../../domain/ports.ts';
import { utcMidnight } from '../rules.ts';
import type { PgContext } from './context.ts';

type Totals = Omit<DashboardStats, 'connectorsByStatus'>;

/**
 * Builds `dashboardStats(now)` as the SQLite adapter does. "Today" means since UTC midnight of
 * `now`; connector 0 (the charge point as a whole) is not counted.
 */
export function createDashboardStats({ db }: PgContext): (now: string) => Promise<DashboardStats> {
  return async (now) => {
    const [stats, connectors] = await Promise.all([
      db.first<Totals>({
        name: 'dashboard_totals',
        text: `SELECT
          (SELECT COUNT(*) FROM stations) AS "stations",
          (SELECT COUNT(DISTINCT station_id) FROM charge_points WHERE online AND station_id IS NOT NULL) AS "stationsOnline",
          (SELECT COUNT(*) FROM charge_points) AS "chargePoints",
          (SELECT COUNT(*) FROM charge_points WHERE online) AS "chargePointsOnline",
          (SELECT COUNT(*) FROM sessions WHERE status = 'active') AS "activeSessions",
          (SELECT COALESCE(SUM(energy_wh), 0)::bigint FROM sessions WHERE started_at >= $1) AS "energyWhToday",
          (SELECT COALESCE(SUM(energy_wh), 0)::bigint FROM sessions) AS "energyWhTotal",
          (SELECT -COALESCE(SUM(amount_minor), 0)::bigint FROM wallet_entries WHERE kind = 'charge' AND created_at >= $1) AS "revenueMinorToday",
          (SELECT -COALESCE(SUM(amount_minor), 0)::bigint FROM wallet_entries WHERE kind = 'charge') AS "revenueMinorTotal",
          (SELECT COUNT(*) FROM users WHERE role = 'customer') AS "customers"`,
        values: [utcMidnight(now)],
      }),
      db.rows<{ status: string; n: number }>({
        name: 'dashboard_connectors',
        text: 'SELECT status, COUNT(*) AS n FROM connectors WHERE connector_id > 0 GROUP BY status',
        values: [],
      }),
    ]);
    const connectorsByStatus: Record<string, number> = {};
    for (const { status, n } of connectors) connectorsByStatus[status] = n;
    // -0 from an empty SUM would print as 0 but fail Object.is checks downstream.
    return { ...stats!, revenueMinorToday: stats!.revenueMinorToday || 0, revenueMinorTotal: stats!.revenueMinorTotal || 0, connectorsByStatus };
  };
}
