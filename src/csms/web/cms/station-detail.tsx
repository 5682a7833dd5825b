/** @jsxImportSource preact */
/** One station: its details (editable) and its charge points with live connector status. */
import { useState } from 'preact/hooks';
import { CMS_ROOMS } from '../../domain/notification-routing.ts';
import { ago, dateTime } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { withConnector, type ChargePoint, type ChargerStatusEvent, type Connector, type ConnectorStatusEvent, type Station } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Loading, Online, PageHeader } from '../shared/ui.tsx';
import { useResource, useTick } from '../shared/use-resource.ts';
import { OnlineCount } from './parts.tsx';
import { StationModal } from './stations.tsx';

/** GET /api/cms/stations/:id. */
interface StationDetail extends Station {
  chargePoints: (ChargePoint & { connectors: Connector[] })[];
}

type PointPatch = (cp: StationDetail['chargePoints'][number]) => StationDetail['chargePoints'][number];

/** Changes one of this station's charge points; a point of another station is none of this page's business. */
function patchPoint(cur: StationDetail | undefined, id: string, change: PointPatch): StationDetail | undefined {
  if (!cur?.chargePoints.some((cp) => cp.id === id)) return undefined;
  return { ...cur, chargePoints: cur.chargePoints.map((cp) => (cp.id === id ? change(cp) : cp)) };
}

/** A point notification matters when the point is here or was moved here. */
function concerns(cur: StationDetail | undefined, d: { chargePointId: string; point?: ChargePoint }): boolean {
  return !cur || cur.chargePoints.some((cp) => cp.id === d.chargePointId) || d.point?.stationId === cur.id;
}

function mapLink(s: Station) {
  if (s.latitude === null || s.longitude === null) return <span class="muted">—</span>;
  const url = `https://www.openstreetmap.org/?mlat=${s.latitude}&mlon=${s.longitude}#map=17/${s.latitude}/${s.longitude}`;
  return <a href={url} target="_blank" rel="noopener noreferrer" class="num">{s.latitude}, {s.longitude}</a>;
}

export function StationDetailPage(props: { stationId: number }) {
  const [editing, setEditing] = useState(false);
  const now = useTick(15_000);
  const station = useResource<StationDetail>(`/api/cms/stations/${props.stationId}`, {
    refresh: 'detail',
    rooms: [CMS_ROOMS.stations, CMS_ROOMS.points],
    on: {
      'connector.status': (e: ConnectorStatusEvent, cur, n) => patchPoint(cur, e.chargePointId, (cp) => ({ ...cp, connectors: withConnector(cp.connectors, e), lastSeenAt: n.timestamp })),
      'charger.status': (e: ChargerStatusEvent & { booted?: boolean }, cur, n) =>
        // A boot also brings vendor, model and firmware, which the notification does not carry.
        e.booted && cur?.chargePoints.some((cp) => cp.id === e.chargePointId) ? 'refetch' : patchPoint(cur, e.chargePointId, (cp) => ({
          ...cp,
          online: e.online,
          registrationStatus: (e.registrationStatus as ChargePoint['registrationStatus']) ?? cp.registrationStatus,
          // Every message from a charger counts as seen (the server writes it too).
          lastSeenAt: n.timestamp,
        })),
      'station.updated': (d: { station: Station }, cur) => (cur && d.station.id === cur.id ? { ...cur, ...d.station } : undefined),
      'station.deleted': (d: { stationId: number }, cur) => (cur && d.stationId === cur.id ? 'refetch' : undefined),
      'point.created': (d: { chargePointId: string; point?: ChargePoint }, cur) => (concerns(cur, d) ? 'refetch' : undefined),
      'point.updated': (d: { chargePointId: string; point?: ChargePoint }, cur) => (concerns(cur, d) ? 'refetch' : undefined),
      'point.deleted': (d: { chargePointId: string }, cur) => (concerns(cur, d) ? 'refetch' : undefined),
    },
  });
  const s = station.data;
  const online = s?.chargePoints.filter((cp) => cp.online).length ?? 0;
  const gone = station.error?.status === 404;
  return (
    <>
      <PageHeader
        title={s?.name ?? (gone ? 'Station not found' : `Station ${props.stationId}`)}
        subtitle={<a href={href('stations')}>← All stations</a>}
        actions={s && (
          <>
            <OnlineCount online={online} total={s.chargePoints.length} />
            <button class="btn" onClick={() => setEditing(true)} data-testid="station-edit">Edit</button>
          </>
        )}
      />
      {gone ? <Card><Empty>Station {props.stationId} does not exist (it may have been deleted).</Empty></Card> : <ErrorNote error={station.error} />}
      {station.loading && !s ? <Loading /> : s && (
        <div class="stack">
          <Card title="Station" testid="station-info">
            <dl class="kv">
              <dt>Address</dt><dd>{s.address || <span class="muted">—</span>}</dd>
              <dt>Coordinates</dt><dd>{mapLink(s)}</dd>
              <dt>Grid limit</dt><dd data-testid="grid-limit">{s.gridLimitW !== null ? `${s.gridLimitW} W${s.minPerSessionW ? `, at least ${s.minPerSessionW} W a session` : ''} (load management)` : <span class="muted">none</span>}</dd>
              <dt>Created</dt><dd>{dateTime(s.createdAt)}</dd>
              <dt>Updated</dt><dd>{dateTime(s.updatedAt)}</dd>
            </dl>
          </Card>
          <Card title={`Charge points (${s.chargePoints.length})`} actions={<a href={href('points')}>All charge points →</a>}>
            {s.chargePoints.length === 0 ? <Empty>No charge points at this station yet. Assign one from the charge points page.</Empty> : (
              <div class="table-wrap">
                <table data-testid="station-points-table">
                  <thead><tr><th>Charge point</th><th>Status</th><th>Registration</th><th>Connectors</th><th>Last seen</th></tr></thead>
                  <tbody>
                    {s.chargePoints.map((cp) => (
                      <tr key={cp.id} data-testid={`point-${cp.id}`}>
                        <td>
                          <a href={href('points', cp.id)}>{cp.id}</a>
                          {(cp.vendor || cp.model) && <div class="muted">{[cp.vendor, cp.model].filter(Boolean).join(' ')}</div>}
                        </td>
                        <td><Online online={cp.online} /></td>
                        <td><Badge status={cp.registrationStatus} /></td>
                        <td>
                          <div class="connectors">
                            {cp.connectors.length === 0 && <span class="muted">none reported</span>}
                            {cp.connectors.map((c) => (
                              <span key={c.connectorId} data-testid={`connector-${cp.id}-${c.connectorId}`} title={c.connectorId === 0 ? 'The charge point as a whole' : `Connector ${c.connectorId}${c.errorCode !== 'NoError' ? `: ${c.errorCode}` : ''}`}>
                                {c.connectorId === 0 ? 'CP' : `#${c.connectorId}`} <Badge status={c.status} />
                              </span>
                            ))}
                          </div>
                        </td>
                        <td class="muted" title={dateTime(cp.lastSeenAt)}>{cp.online ? 'now' : ago(cp.lastSeenAt, now)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </div>
      )}
      {editing && s && <StationModal station={s} onClose={() => setEditing(false)} onSaved={(saved) => station.set({ ...s, ...saved })} />}
    </>
  );
}
