/** @jsxImportSource preact */
/**
 * One charge point's status, connectors, running session with a live meter
 * chart, its OCPP message log and the commands, all live from the `cms:point:<id>` room.
 */
import { useState } from 'preact/hooks';
import { pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { ago, dateTime, duration, energy, money, perKwh, power } from '../shared/format.ts';
import { href, navigate } from '../shared/router.ts';
import { SessionChart } from '../shared/session-chart.tsx';
import { toast } from '../shared/toasts.tsx';
import { withSessionEvent, type ChargerStatusEvent, type ConnectorStatusEvent, type SessionEvent, type SessionView, type Tariff } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Loading, Online, PageHeader, Stat } from '../shared/ui.tsx';
import { useResource, useTick } from '../shared/use-resource.ts';
import { ChargingProfilesCard } from './charging-profiles.tsx';
import { CommandsCard } from './commands.tsx';
import { JobsCard } from './firmware.tsx';
import { LocalListCard } from './local-list.tsx';
import { MessageLog } from './message-log.tsx';
import { patchPoint, PointForm, type PointRow } from './points.tsx';
import { PointReservations } from './reservations.tsx';
import { CloseSessionButton, SessionState } from './session-state.tsx';

type PointDetail = PointRow & { tariff: Tariff | null; activeSessions: SessionView[] };

function RunningSession(props: { session: SessionView; online: boolean; onClosed: () => void }) {
  const s = props.session;
  // The charger is gone or silent: an admin can end the session here (the charger's stop still reconciles).
  const closable = !props.online || s.stale;
  return (
    <Card title={<>Session #{s.id} · connector {s.connectorId} <SessionState session={s} /></>} testid="point-session" actions={closable && <CloseSessionButton session={s} onClosed={props.onClosed} />}>
      <div class="stats">
        <Stat label="Energy" testid="point-energy" value={energy(s.energyWh)} tone="good" />
        <Stat label="Power" value={power(s.powerW)} />
        <Stat label="Cost" value={money(s.costMinor, s.currency)} />
        <Stat label="Duration" value={duration(Math.round((Date.now() - Date.parse(s.startedAt)) / 1000))} hint={`idTag ${s.idTag}`} />
      </div>
      <SessionChart session={s} historyPath={`/api/cms/sessions/${s.id}/meter-values`} testid="point-chart" />
    </Card>
  );
}

function connectorIds(cp: PointRow): number[] {
  const ids = cp.connectors.filter((c) => c.connectorId > 0).map((c) => c.connectorId);
  return ids.length > 0 ? ids : [1];
}

export function PointDetailPage(props: { chargePointId: string }) {
  const { api } = useServices();
  const id = props.chargePointId;
  const [editing, setEditing] = useState(false);
  const [deleted, setDeleted] = useState(false);
  useTick(1000);
  const point = useResource<PointDetail>(`/api/cms/points/${encodeURIComponent(id)}`, {
    refresh: 'detail',
    rooms: [pointRoom(id)],
    on: {
      'connector.status': (e: ConnectorStatusEvent, cur) => cur && e.chargePointId === id ? patchPoint(cur, 'connector.status', e) : undefined,
      'charger.status': (e: ChargerStatusEvent, cur) => cur && e.chargePointId === id ? patchPoint(cur, 'charger.status', e) : undefined,
      'meter.values': (d: SessionEvent, cur) => {
        const activeSessions = cur && withSessionEvent(cur.activeSessions, d);
        return activeSessions && cur ? { ...cur, activeSessions } : 'refetch';
      },
      'charging.started': () => 'refetch',
      'charging.stopped': () => 'refetch',
      'point.updated': () => 'refetch',
      'point.deleted': (d: { chargePointId: string }) => {
        if (d.chargePointId === id) setDeleted(true);
      },
    },
  });
  const cp = point.data;
  const remove = async () => {
    if (!confirm(`Delete ${id}? Its history stays; the charger can no longer connect.`)) return;
    try {
      await api.send('DELETE', `/api/cms/points/${encodeURIComponent(id)}`);
      toast('success', 'Charge point deleted', id);
      navigate('points');
    } catch (err) {
      toast('error', 'Could not delete', (err as Error).message);
    }
  };
  return (
    <>
      <PageHeader
        title={id}
        subtitle={<><a href={href('points')}>← Charging points</a>{cp?.stationId ? <> · <a href={href('stations', cp.stationId)}>station #{cp.stationId}</a></> : null}</>}
        actions={cp && (
          <>
            <span data-testid="point-online"><Online online={cp.online} /></span>
            <Badge status={cp.registrationStatus} />
            <button class="btn" onClick={() => setEditing(true)}>Edit</button>
            <button class="btn btn-danger" onClick={remove}>Delete</button>
          </>
        )}
      />
      {deleted && <div class="error-note">This charge point was deleted.</div>}
      <ErrorNote error={point.error} />
      {point.loading && !cp ? <Loading /> : cp && (
        <div class="stack">
          <div class="grid grid-2">
            <Card title="Connectors" testid="point-connectors">
              {cp.connectors.length === 0 ? <Empty>No connector has reported yet.</Empty> : (
                <table>
                  <tbody>
                    {cp.connectors.map((c) => (
                      <tr key={c.connectorId} data-testid={`connector-${c.connectorId}`}>
                        <td>{c.connectorId === 0 ? 'Charger' : `#${c.connectorId}`}</td>
                        <td><Badge status={c.status} /></td>
                        <td class="muted">{c.errorCode !== 'NoError' ? c.errorCode : ''}{c.info ? ` ${c.info}` : ''}</td>
                        <td class="muted right">{ago(c.updatedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Charger">
              <dl class="kv">
                <dt>Model</dt><dd>{[cp.vendor, cp.model].filter(Boolean).join(' ') || '—'}</dd>
                <dt>Serial</dt><dd>{cp.serialNumber ?? '—'}</dd>
                <dt>Firmware</dt><dd>{cp.firmwareVersion ?? '—'}</dd>
                <dt>Last boot</dt><dd>{dateTime(cp.lastBootAt)}</dd>
                <dt>Last seen</dt><dd>{ago(cp.lastSeenAt)}</dd>
                <dt>Tariff</dt><dd data-testid="tariff">{cp.tariff ? `${cp.tariff.name}: ${perKwh(cp.tariff.pricePerKwh, cp.tariff.currency)}` : 'Free'}</dd>
                {cp.tariff && cp.tariff.pricePerMinute > 0 && <><dt>Per minute</dt><dd>{money(cp.tariff.pricePerMinute, cp.tariff.currency)}</dd></>}
                {cp.tariff && cp.tariff.sessionFee > 0 && <><dt>Session fee</dt><dd>{money(cp.tariff.sessionFee, cp.tariff.currency)}</dd></>}
                <dt>Auth</dt><dd>{cp.hasAuthKey ? 'Basic auth key set' : 'No key'}{cp.lenient ? ' · lenient validation' : ''}</dd>
              </dl>
            </Card>
          </div>
          {cp.activeSessions.map((s) => <RunningSession key={s.id} session={s} online={cp.online} onClosed={() => void point.reload()} />)}
          <PointReservations chargePointId={id} />
          <CommandsCard chargePointId={id} online={cp.online} connectorIds={connectorIds(cp)} activeSessions={cp.activeSessions} onSessionClosed={() => void point.reload()} />
          <JobsCard chargePointId={id} online={cp.online} />
          <ChargingProfilesCard chargePointId={id} online={cp.online} connectorIds={connectorIds(cp)} priority={cp.priority} />
          <LocalListCard chargePointId={id} />
          <MessageLog chargePointId={id} />
        </div>
      )}
      {editing && cp && <PointForm point={cp} onClose={() => setEditing(false)} onSaved={() => void point.reload()} />}
    </>
  );
}
