/** @jsxImportSource preact */
/**
 * On a charger's page: reserve a free connector (ReserveNow), watch the time left, cancel it, or
 * start charging on it. The CSMS holds one active reservation per customer (docs/reservation.md).
 */
import { useEffect, useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { duration } from '../shared/format.ts';
import { navigate } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import { Card, ErrorNote } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

export interface ReservationView {
  id: number;
  chargePointId: string;
  connectorId: number;
  expiresAt: string;
  status: string;
  feeMinor: number;
}

const refetch = () => 'refetch' as const;

/** Seconds until `iso`, ticking every second. */
function useSecondsLeft(iso: string | null): number | null {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (iso === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [iso]);
  return iso === null ? null : Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
}

export function ReservationCard(props: { chargePointId: string; online: boolean; connectors: { connectorId: number; status: string }[] }) {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const mine = useResource<{ items: ReservationView[] }>('/api/user/reservations?status=active&limit=1', {
    refresh: 'detail',
    on: { 'reservation.created': refetch, 'reservation.cancelled': refetch, 'reservation.expired': refetch, 'reservation.used': refetch },
  });
  const active = mine.data?.items[0] ?? null;
  const left = useSecondsLeft(active?.expiresAt ?? null);
  const here = active && active.chargePointId === props.chargePointId ? active : null;

  const act = async (what: string, fn: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    try {
      await fn();
      await mine.reload();
      after?.();
    } catch (err) {
      toast('error', `Could not ${what}`, (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const reserve = (connectorId: number) => act('reserve', async () => {
    const r = await api.send<ReservationView>('POST', '/api/user/reservations', { chargePointId: props.chargePointId, connectorId });
    toast('success', 'Reserved', `Connector ${connectorId} is yours until ${new Date(r.expiresAt).toLocaleTimeString()}`);
  });
  const cancel = (r: ReservationView) => act('cancel', () => api.send('DELETE', `/api/user/reservations/${r.id}`));
  const start = (r: ReservationView) => act('start', () => api.send('POST', '/api/user/charging/start', { chargePointId: r.chargePointId, connectorId: r.connectorId }), () => navigate('session'));

  return (
    <Card title="Reservation" testid="reservation">
      <ErrorNote error={mine.error} />
      {here ? (
        <div data-testid="my-reservation">
          <p>Connector #{here.connectorId} is reserved for you: <strong data-testid="reservation-left">{duration(left)}</strong> left.</p>
          <div class="actions">
            <button class="btn btn-primary btn-small" disabled={busy || !props.online} onClick={() => start(here)} data-testid="reservation-start">Start charging</button>
            <button class="btn btn-small" disabled={busy} onClick={() => cancel(here)} data-testid="reservation-cancel">Cancel reservation</button>
          </div>
        </div>
      ) : active ? (
        <p class="muted" data-testid="reserved-elsewhere">You have a reservation at {active.chargePointId}, connector #{active.connectorId} ({duration(left)} left).</p>
      ) : (
        <div class="actions">
          {props.connectors.filter((c) => c.status === 'Available').map((c) => (
            <button key={c.connectorId} class="btn btn-small" disabled={busy || !props.online} onClick={() => reserve(c.connectorId)} data-testid={`reserve-${c.connectorId}`}>
              Reserve #{c.connectorId}
            </button>
          ))}
          {!props.connectors.some((c) => c.status === 'Available') && <span class="muted">No connector is free to reserve.</span>}
        </div>
      )}
    </Card>
  );
}
