/** @jsxImportSource preact */
/** Stations and chargers online, active sessions, energy and revenue, recent sessions, live. */
import { count, energy, money, ago } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import type { DashboardStats } from '../../domain/ports.ts';
import { withSessionEvent, type Page, type SessionEvent, type SessionView } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, PageHeader, Stat } from '../shared/ui.tsx';
import { useResource, useTick } from '../shared/use-resource.ts';

const STATUS_ORDER = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing', 'Reserved', 'Unavailable', 'Faulted'];

export function DashboardPage() {
  useTick(15_000);
  // dashboard.stats arrives every 5 s when anything changed; status changes and sessions refetch
  // sooner, merged over a second so that a reconnect storm costs one request, not thousands.
  const stats = useResource<DashboardStats>('/api/cms/dashboard', {
    refresh: 'list',
    coalesceMs: 1000,
    on: {
      'dashboard.stats': (d: DashboardStats) => d,
      'charger.status': () => 'refetch',
      'station.status': () => 'refetch',
      'charging.started': () => 'refetch',
      'charging.stopped': () => 'refetch',
    },
  });
  const recent = useResource<Page<SessionView>>('/api/cms/sessions?limit=8', {
    refresh: 'list',
    on: {
      'charging.started': () => 'refetch',
      'charging.stopped': (d: SessionEvent, cur) => {
        const items = cur && withSessionEvent(cur.items, d);
        return items && cur ? { ...cur, items } : 'refetch';
      },
    },
  });
  const s = stats.data;
  const statuses = s ? Object.entries(s.connectorsByStatus).sort(([a], [b]) => STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b)) : [];
  return (
    <>
      <PageHeader title="Dashboard" subtitle="The network at a glance." />
      <ErrorNote error={stats.error ?? recent.error} />
      <div class="stats" data-testid="dashboard-stats">
        <Stat label="Stations online" testid="stations-online" value={s ? `${s.stationsOnline} / ${s.stations}` : '—'} tone={s && s.stationsOnline > 0 ? 'good' : undefined} />
        <Stat label="Chargers online" testid="chargers-online" value={s ? `${s.chargePointsOnline} / ${s.chargePoints}` : '—'} tone={s && s.chargePointsOnline > 0 ? 'good' : undefined} />
        <Stat label="Charging now" testid="active-sessions" value={count(s?.activeSessions)} />
        <Stat label="Energy today" value={energy(s?.energyWhToday)} hint={`${energy(s?.energyWhTotal)} in total`} />
        <Stat label="Revenue today" testid="revenue-today" value={money(s?.revenueMinorToday)} hint={`${money(s?.revenueMinorTotal)} in total`} />
        <Stat label="Customers" value={count(s?.customers)} />
      </div>
      <div class="grid grid-2">
        <Card title="Recent sessions" actions={<a href={href('sessions')}>All sessions</a>} testid="recent-sessions">
          {recent.data?.items.length === 0 ? <Empty>No sessions yet.</Empty> : (
            <table>
              <thead><tr><th>#</th><th>Charger</th><th>Started</th><th class="right">Energy</th><th class="right">Cost</th><th>Status</th></tr></thead>
              <tbody>
                {recent.data?.items.map((x) => (
                  <tr key={x.id}>
                    <td class="muted">{x.id}</td>
                    <td><a href={href('points', x.chargePointId)}>{x.chargePointId}</a> #{x.connectorId}</td>
                    <td>{ago(x.startedAt)}</td>
                    <td class="right">{energy(x.energyWh)}</td>
                    <td class="right">{money(x.costMinor, x.currency)}</td>
                    <td><Badge status={x.status} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Connectors by status" testid="connectors-by-status">
          {statuses.length === 0 ? <Empty>No connectors reported yet.</Empty> : (
            <table>
              <tbody>
                {statuses.map(([status, n]) => (
                  <tr key={status}><td><Badge status={status} /></td><td class="right num">{count(n)}</td></tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}
