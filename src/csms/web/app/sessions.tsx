/** @jsxImportSource preact */
/** Charging history; new and changed sessions appear without a reload. */
import { useState } from 'preact/hooks';
import { dateTime, duration, energy, money } from '../shared/format.ts';
import { withSessionEvent, type Page, type SessionEvent, type SessionView } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Loading, PageHeader, Pager } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

const PAGE = 20;

export function SessionsPage() {
  const [offset, setOffset] = useState(0);
  const sessions = useResource<Page<SessionView>>(`/api/user/sessions?limit=${PAGE}&offset=${offset}`, {
    refresh: 'list',
    on: {
      'charging.started': () => 'refetch',
      'charging.stopped': () => 'refetch',
      'session.updated': () => 'refetch',
      'meter.values': (d: SessionEvent, cur) => {
        const items = cur && withSessionEvent(cur.items, d);
        return items && cur ? { ...cur, items } : undefined;
      },
    },
  });
  const page = sessions.data;
  return (
    <>
      <PageHeader title="Charging history" subtitle={page ? `${page.total} session${page.total === 1 ? '' : 's'}` : undefined} />
      <ErrorNote error={sessions.error} />
      <Card testid="sessions">
        {sessions.loading && !page ? <Loading /> : page?.items.length === 0 ? <Empty>No sessions yet.</Empty> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th>#</th><th>Charger</th><th>Started</th><th>Duration</th><th class="right">Energy</th><th class="right">Cost</th><th>Status</th></tr></thead>
              <tbody>
                {page?.items.map((s) => (
                  <tr key={s.id} data-testid={`session-${s.id}`}>
                    <td class="muted">{s.id}</td>
                    <td>{s.chargePointId} #{s.connectorId}</td>
                    <td>{dateTime(s.startedAt)}</td>
                    <td>{duration(s.durationS)}</td>
                    <td class="right">{energy(s.energyWh)}</td>
                    <td class="right">{money(s.costMinor, s.currency)}</td>
                    <td><Badge status={s.status} label={s.status === 'active' ? 'Charging' : s.status === 'refused' ? `Refused (${s.refusal ?? 'idTag'})` : 'Completed'} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {page && <Pager offset={offset} size={PAGE} total={page.total} onChange={setOffset} />}
      </Card>
    </>
  );
}
