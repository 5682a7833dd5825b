/** @jsxImportSource preact */
/** Where to charge, with availability per connector and online status, live. */
import { useState } from 'preact/hooks';
import { PUBLIC_STATIONS_ROOM } from '../../domain/notification-routing.ts';
import { perKwh } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { withConnector, type ChargerStatusEvent, type ConnectorStatusEvent, type Items, type PublicPoint, type StationWithPoints } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Loading, Online, PageHeader } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

function available(points: PublicPoint[]): number {
  return points.filter((cp) => cp.online).reduce((n, cp) => n + cp.connectors.filter((c) => c.status === 'Available').length, 0);
}

function patchPoints(cur: Items<StationWithPoints> | undefined, id: string, change: (cp: PublicPoint) => PublicPoint) {
  if (!cur) return undefined;
  if (!cur.items.some((s) => s.chargePoints.some((cp) => cp.id === id))) return 'refetch' as const;
  return {
    items: cur.items.map((s) => {
      if (!s.chargePoints.some((cp) => cp.id === id)) return s;
      const chargePoints = s.chargePoints.map((cp) => (cp.id === id ? change(cp) : cp));
      return { ...s, chargePoints, connectorsAvailable: available(chargePoints) };
    }),
  };
}

/** Public availability: pages that show it join `public:stations` (it is never automatic). */
export const PUBLIC_ROOMS = [PUBLIC_STATIONS_ROOM];

export function StationsPage() {
  const [q, setQ] = useState('');
  const stations = useResource<Items<StationWithPoints>>('/api/user/stations', {
    refresh: 'list',
    rooms: PUBLIC_ROOMS,
    on: {
      'connector.status': (e: ConnectorStatusEvent, cur) => patchPoints(cur, e.chargePointId, (cp) => ({ ...cp, connectors: withConnector(cp.connectors, e).filter((c) => c.connectorId > 0) })),
      'charger.status': (e: ChargerStatusEvent, cur) => patchPoints(cur, e.chargePointId, (cp) => ({ ...cp, online: e.online })),
    },
  });
  const needle = q.trim().toLowerCase();
  const shown = stations.data?.items.filter((s) => !needle || `${s.name} ${s.address}`.toLowerCase().includes(needle)) ?? [];
  return (
    <>
      <PageHeader title="Stations" subtitle="Availability updates as chargers report it." actions={<input type="search" placeholder="Search by name or address" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />} />
      <ErrorNote error={stations.error} />
      {stations.loading && !stations.data ? <Loading /> : shown.length === 0 ? <Card><Empty>No stations{needle ? ' match' : ' yet'}.</Empty></Card> : (
        <div class="grid grid-2">
          {shown.map((s) => (
            <Card key={s.id} testid={`station-${s.id}`} title={<>{s.name} <Online online={s.chargePoints.some((cp) => cp.online)} /></>} actions={<span class="badge badge-good" data-testid="available-count">{s.connectorsAvailable} available</span>}>
              {s.address && <p class="muted">{s.address}</p>}
              {s.chargePoints.length === 0 ? <Empty>No chargers yet.</Empty> : (
                <table>
                  <tbody>
                    {s.chargePoints.map((cp) => (
                      <tr key={cp.id} data-testid={`point-${cp.id}`}>
                        <td><a href={href('chargers', cp.id)}>{cp.id}</a><div class="muted">{[cp.vendor, cp.model].filter(Boolean).join(' ')}</div></td>
                        <td><Online online={cp.online} /></td>
                        <td><div class="connectors">{cp.connectors.map((c) => <span key={c.connectorId} title={`Connector ${c.connectorId}`}>#{c.connectorId} <Badge status={cp.online ? c.status : 'Unavailable'} label={cp.online ? c.status : 'Offline'} /></span>)}</div></td>
                        <td class="right muted" data-testid="price">{cp.tariff ? perKwh(cp.tariff.pricePerKwh, cp.tariff.currency) : 'Free'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          ))}
        </div>
      )}
    </>
  );
}
