/** @jsxImportSource preact */
/** Every charging session, new ones appearing and running ones counting up, live. */
import { useState } from 'preact/hooks';
import { CMS_ROOMS } from '../../domain/notification-routing.ts';
import { dateTime, duration, energy, money, perKwh, power } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { withSessionEvent, type Page, type SessionEvent, type SessionView } from '../shared/types.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader, Pager } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { CloseSessionButton, SessionState } from './session-state.tsx';

const PAGE = 50;

/** The CMS's sessions also say who charged. */
type CmsSession = SessionView & { customer?: { id: number; name: string; email: string } | null };

function patch(cur: Page<CmsSession> | undefined, e: SessionEvent) {
  const items = cur && withSessionEvent(cur.items, e);
  return items && cur ? { ...cur, items } : undefined;
}

export function SessionsPage() {
  const [status, setStatus] = useState<'' | 'active' | 'completed' | 'refused' | 'stale'>('');
  const [offset, setOffset] = useState(0);
  const filter = status === 'stale' ? '&stale=true' : status ? `&status=${status}` : '';
  const query = `limit=${PAGE}&offset=${offset}${filter}`;
  const sessions = useResource<Page<CmsSession>>(`/api/cms/sessions?${query}`, {
    refresh: 'list',
    rooms: [CMS_ROOMS.sessions],
    on: {
      'charging.started': () => (offset === 0 && status !== 'completed' ? 'refetch' : undefined),
      'meter.values': (d: SessionEvent, cur) => patch(cur, d),
      'charging.stopped': (d: SessionEvent, cur) => (status === 'active' ? 'refetch' : patch(cur, d) ?? (status === 'completed' ? 'refetch' : undefined)),
      'session.updated': (d: SessionEvent, cur) => patch(cur, d),
    },
  });
  const page = sessions.data;
  return (
    <>
      <PageHeader
        title="Charging sessions"
        subtitle={page ? `${page.total} session${page.total === 1 ? '' : 's'}` : undefined}
        actions={
          <select value={status} onChange={(e) => { setStatus((e.target as HTMLSelectElement).value as typeof status); setOffset(0); }} aria-label="Status">
            <option value="">All sessions</option>
            <option value="active">Charging now</option>
            <option value="completed">Completed</option>
            <option value="refused">Refused starts</option>
            <option value="stale">No report for a while</option>
          </select>
        }
      />
      <ErrorNote error={sessions.error} />
      <Card>
        {sessions.loading && !page ? <Loading /> : page?.items.length === 0 ? <Empty>No sessions.</Empty> : (
          <div class="table-wrap">
            <table data-testid="sessions-table">
              <thead><tr><th>#</th><th>Charger</th><th>Customer</th><th>Started</th><th>Duration</th><th class="right">Power</th><th class="right">Energy</th><th class="right">Cost</th><th>Status</th></tr></thead>
              <tbody>
                {page?.items.map((s) => (
                  <tr key={s.id} data-testid={`session-${s.id}`}>
                    <td class="muted">{s.id}</td>
                    <td><a href={href('points', s.chargePointId)}>{s.chargePointId}</a> #{s.connectorId}</td>
                    <td>{s.customer ? <span title={s.customer.email}>{s.customer.name}</span> : <span class="muted" title="No customer account: an idTag the CSMS authorized">{s.idTag}</span>}</td>
                    <td>{dateTime(s.startedAt)}</td>
                    <td>{duration(s.durationS)}</td>
                    <td class="right">{s.status === 'active' ? power(s.powerW) : '—'}</td>
                    <td class="right" data-testid="energy">{energy(s.energyWh)}</td>
                    <td class="right" data-testid="cost">
                      {money(s.costMinor, s.currency)}
                      <div class="muted" data-testid="session-tariff" title={s.tariff ? `${perKwh(s.tariff.pricePerKwh, s.tariff.currency)} + ${money(s.tariff.pricePerMinute, s.tariff.currency)}/min + ${money(s.tariff.sessionFee, s.tariff.currency)} per session, as when it started` : 'No tariff: free'}>
                        {s.tariff ? s.tariff.name : 'Free'}{s.autoStop === 'balance' ? ' · balance used up' : ''}
                      </div>
                    </td>
                    <td><SessionState session={s} />{s.status === 'active' && s.stale && <> <CloseSessionButton session={s} onClosed={() => void sessions.reload()} /></>}</td>
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
