/** @jsxImportSource preact */
/** One charger's status and connectors, live, and where charging starts. */
import { useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { ago, money, perKwh } from '../shared/format.ts';
import { href, navigate } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import { withConnector, type ChargerStatusEvent, type ConnectorStatusEvent, type PublicPoint } from '../shared/types.ts';
import { Badge, Card, ErrorNote, Loading, Online, PageHeader } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { ReservationCard } from './reservation.tsx';
import { PUBLIC_ROOMS } from './stations.tsx';

/** Statuses in which a plugged-in car can be started remotely (OCPP 1.6 §4.9). */
const STARTABLE = new Set(['Available', 'Preparing']);

export function ChargerPage(props: { chargePointId: string }) {
  const { api } = useServices();
  const [starting, setStarting] = useState<number | null>(null);
  const point = useResource<PublicPoint>(`/api/user/chargers/${encodeURIComponent(props.chargePointId)}`, {
    refresh: 'detail',
    rooms: PUBLIC_ROOMS,
    on: {
      'connector.status': (e: ConnectorStatusEvent, cur) => (cur && e.chargePointId === cur.id ? { ...cur, connectors: withConnector(cur.connectors, e).filter((c) => c.connectorId > 0) } : undefined),
      'charger.status': (e: ChargerStatusEvent, cur) => (cur && e.chargePointId === cur.id ? { ...cur, online: e.online } : undefined),
    },
  });
  const start = async (connectorId: number) => {
    setStarting(connectorId);
    try {
      await api.send('POST', '/api/user/charging/start', { chargePointId: props.chargePointId, connectorId });
      toast('success', 'Start accepted', `${props.chargePointId} is starting connector ${connectorId}`);
      navigate('session');
    } catch (err) {
      toast('error', 'Could not start', (err as Error).message);
    } finally {
      setStarting(null);
    }
  };
  const cp = point.data;
  return (
    <>
      <PageHeader title={props.chargePointId} subtitle={<a href={href('stations')}>← All stations</a>} actions={cp && <Online online={cp.online} />} />
      <ErrorNote error={point.error} />
      {point.loading && !cp ? <Loading /> : cp && (
        <div class="grid grid-2">
          <Card title="Connectors" testid="connectors">
            <table>
              <thead><tr><th>Connector</th><th>Status</th><th>Since</th><th /></tr></thead>
              <tbody>
                {cp.connectors.map((c) => (
                  <tr key={c.connectorId} data-testid={`connector-${c.connectorId}`}>
                    <td>#{c.connectorId}</td>
                    <td><Badge status={cp.online ? c.status : 'Unavailable'} label={cp.online ? c.status : 'Offline'} />{c.errorCode !== 'NoError' && <span class="muted"> {c.errorCode}</span>}</td>
                    <td class="muted">{ago(c.updatedAt)}</td>
                    <td class="right">
                      <button class="btn btn-primary btn-small" disabled={!cp.online || !STARTABLE.has(c.status) || starting !== null} onClick={() => start(c.connectorId)} data-testid={`start-${c.connectorId}`}>
                        {starting === c.connectorId ? 'Starting…' : 'Start charging'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <ReservationCard chargePointId={cp.id} online={cp.online} connectors={cp.connectors} />
          <Card title="Charger">
            <dl class="kv">
              <dt>Model</dt><dd>{[cp.vendor, cp.model].filter(Boolean).join(' ') || '—'}</dd>
              <dt>Tariff</dt><dd data-testid="tariff">{cp.tariff ? `${cp.tariff.name}: ${perKwh(cp.tariff.pricePerKwh, cp.tariff.currency)}` : 'Free'}</dd>
              {cp.tariff && cp.tariff.pricePerMinute > 0 && <><dt>Per minute</dt><dd>{money(cp.tariff.pricePerMinute, cp.tariff.currency)}</dd></>}
              {cp.tariff && cp.tariff.sessionFee > 0 && <><dt>Session fee</dt><dd>{money(cp.tariff.sessionFee, cp.tariff.currency)}</dd></>}
            </dl>
          </Card>
        </div>
      )}
    </>
  );
}
