/** @jsxImportSource preact */
/**
 * Reservations in the CMS: the page of all of them (active ones first by default) and the card on
 * a charge point's detail view. An admin cancels one (CancelReservation; the fee is refunded).
 */
import { useState } from 'preact/hooks';
import { CMS_ROOMS, pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { dateTime, duration, money } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import { Badge, Card, Empty, ErrorNote, Loading, PageHeader } from '../shared/ui.tsx';
import { useResource, useTick } from '../shared/use-resource.ts';

interface Reservation {
  id: number;
  chargePointId: string;
  connectorId: number;
  customerId: number;
  idTag: string;
  expiresAt: string;
  status: string;
  feeMinor: number;
  note: string | null;
  sessionId: number | null;
  createdAt: string;
}

const STATUS_TONE: Record<string, string> = { active: 'Reserved', used: 'Charging', cancelled: 'Unavailable', expired: 'Unavailable', refused: 'Faulted' };
const refetch = () => 'refetch' as const;
// A reservation changes with its connector's status (Reserved, then Available or Charging).
/** The point's room hears every change of its reservations. */
const POINT_REFETCH_ON = { 'reservation.created': refetch, 'reservation.cancelled': refetch, 'reservation.expired': refetch, 'reservation.used': refetch };
/** The points room hears no reservation.* events: a connector turning Reserved or leaving it is the sign. */
const REFETCH_ON = { ...POINT_REFETCH_ON, 'connector.status': refetch };

function ReservationTable(props: { items: Reservation[]; showPoint: boolean; onChanged(): void }) {
  const { api } = useServices();
  useTick(1000);
  const cancel = async (r: Reservation) => {
    if (!confirm(`Cancel reservation ${r.id} of ${r.chargePointId} #${r.connectorId}? Its fee is refunded.`)) return;
    try {
      const res = await api.send<{ chargerAnswer: string }>('POST', `/api/cms/reservations/${r.id}/cancel`);
      toast('success', 'Reservation cancelled', `The charger answered ${res.chargerAnswer}`);
      props.onChanged();
    } catch (err) {
      toast('error', 'Could not cancel', (err as Error).message);
    }
  };
  return (
    <div class="table-wrap">
      <table data-testid="reservations-table">
        <thead><tr><th>#</th>{props.showPoint && <th>Charger</th>}<th>Connector</th><th>Customer</th><th>Expires</th><th class="right">Fee</th><th>Status</th><th /></tr></thead>
        <tbody>
          {props.items.map((r) => (
            <tr key={r.id} data-testid={`reservation-${r.id}`}>
              <td class="muted">{r.id}</td>
              {props.showPoint && <td><a href={href('points', r.chargePointId)}>{r.chargePointId}</a></td>}
              <td>#{r.connectorId}</td>
              <td title={`idTag ${r.idTag}`}><a href={href('customers')}>#{r.customerId}</a></td>
              <td>{r.status === 'active' ? `in ${duration(Math.max(0, (Date.parse(r.expiresAt) - Date.now()) / 1000))}` : dateTime(r.expiresAt)}</td>
              <td class="right">{r.feeMinor > 0 ? money(r.feeMinor) : '—'}</td>
              <td><Badge status={STATUS_TONE[r.status] ?? r.status} label={r.status} />{r.note && <span class="muted"> {r.note}</span>}{r.sessionId !== null && <span class="muted"> session #{r.sessionId}</span>}</td>
              <td class="right">{r.status === 'active' && <button class="btn btn-small" onClick={() => void cancel(r)} data-testid={`cancel-reservation-${r.id}`}>Cancel</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** #/reservations: every reservation, filtered by status. */
export function ReservationsPage() {
  const [status, setStatus] = useState('active');
  const list = useResource<{ items: Reservation[] }>(`/api/cms/reservations?limit=200${status ? `&status=${status}` : ''}`, { refresh: 'list', rooms: [CMS_ROOMS.points], on: REFETCH_ON });
  return (
    <>
      <PageHeader
        title="Reservations"
        actions={
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)} aria-label="Status">
            <option value="active">Active</option>
            <option value="">All</option>
            <option value="used">Used</option>
            <option value="cancelled">Cancelled</option>
            <option value="expired">Expired</option>
            <option value="refused">Refused</option>
          </select>
        }
      />
      <ErrorNote error={list.error} />
      <Card>
        {list.loading && !list.data ? <Loading /> : list.data?.items.length === 0 ? <Empty>No reservations.</Empty> : list.data && <ReservationTable items={list.data.items} showPoint onChanged={() => void list.reload()} />}
      </Card>
    </>
  );
}

/** On a charge point's page: its last reservations. */
export function PointReservations(props: { chargePointId: string }) {
  const id = props.chargePointId;
  const list = useResource<{ items: Reservation[] }>(`/api/cms/reservations?limit=10&chargePointId=${encodeURIComponent(id)}`, { refresh: 'detail', rooms: [pointRoom(id)], on: POINT_REFETCH_ON });
  return (
    <Card title="Reservations" testid="point-reservations" actions={<a href={href('reservations')}>All reservations</a>}>
      <ErrorNote error={list.error} />
      {list.data?.items.length === 0 ? <Empty>No reservations.</Empty> : list.data && <ReservationTable items={list.data.items} showPoint={false} onChanged={() => void list.reload()} />}
    </Card>
  );
}
