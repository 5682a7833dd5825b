/** @jsxImportSource preact */
/** Charge points with live status and availability; create, edit, auth keys. */
import { useState } from 'preact/hooks';
import { CMS_ROOMS } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { ago, perKwh } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import { withConnector, type ChargePoint, type ChargerStatusEvent, type Connector, type ConnectorStatusEvent, type Items, type Page, type Station, type Tariff } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Field, Form, Loading, Modal, Online, PageHeader, Pager, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

export type PointRow = ChargePoint & { connectors: Connector[] };
const PAGE = 100;

export function patchPoint<T extends { online: boolean; registrationStatus: string; connectors: Connector[] }>(cp: T, type: string, data: ConnectorStatusEvent | ChargerStatusEvent): T {
  if (type === 'connector.status') return { ...cp, connectors: withConnector(cp.connectors, data as ConnectorStatusEvent) };
  const e = data as ChargerStatusEvent;
  return { ...cp, online: e.online, registrationStatus: e.registrationStatus ?? cp.registrationStatus };
}

/** Stations and tariffs for the point form's selects. */
export function useCatalogue() {
  const stations = useResource<Items<Station & { chargePointCount: number }>>('/api/cms/stations?limit=200', { refresh: 'list', rooms: [CMS_ROOMS.stations], on: { 'station.created': () => 'refetch', 'station.updated': () => 'refetch', 'station.deleted': () => 'refetch' } });
  const tariffs = useResource<Items<Tariff>>('/api/cms/tariffs?limit=200', { refresh: 'list', rooms: [CMS_ROOMS.points], on: { 'tariff.created': () => 'refetch', 'tariff.updated': () => 'refetch', 'tariff.deleted': () => 'refetch' } });
  return { stations: stations.data?.items ?? [], tariffs: tariffs.data?.items ?? [] };
}

type AuthChoice = 'keep' | 'generate' | 'set' | 'clear';

/** Create (no `point`) or edit a charge point; a generated AuthorizationKey is shown once. */
export function PointForm(props: { point?: PointRow; onClose(): void; onSaved(p: PointRow): void }) {
  const { api } = useServices();
  const { stations, tariffs } = useCatalogue();
  const p = props.point;
  const [id, setId] = useState(p?.id ?? '');
  const [stationId, setStationId] = useState(p?.stationId ? String(p.stationId) : '');
  const [tariffId, setTariffId] = useState(p?.tariffId ? String(p.tariffId) : '');
  const [connectors, setConnectors] = useState(String(p ? p.connectors.filter((c) => c.connectorId > 0).length : 2));
  const [registration, setRegistration] = useState(p?.registrationStatus ?? 'Accepted');
  const [lenient, setLenient] = useState(p?.lenient ?? false);
  const [priority, setPriority] = useState(String(p?.priority ?? 0));
  const [auth, setAuth] = useState<AuthChoice>(p ? 'keep' : 'generate');
  const [key, setKey] = useState('');
  const [shownKey, setShownKey] = useState<string | null>(null);

  const save = async () => {
    const body: Record<string, unknown> = {
      stationId: stationId ? Number(stationId) : null,
      tariffId: tariffId ? Number(tariffId) : null,
      connectors: Number(connectors),
      registrationStatus: registration,
      lenient,
      priority: Number(priority),
      ...(auth === 'generate' ? { authKey: 'generate' } : auth === 'set' ? { authKey: key } : auth === 'clear' ? { authKey: null } : {}),
    };
    const saved = p
      ? await api.send<PointRow & { authKey?: string }>('PUT', `/api/cms/points/${encodeURIComponent(p.id)}`, body)
      : await api.send<PointRow & { authKey?: string }>('POST', '/api/cms/points', { id: id.trim(), ...body });
    props.onSaved(saved);
    toast('success', p ? 'Charge point saved' : 'Charge point registered', saved.id);
    if (saved.authKey) setShownKey(saved.authKey);
    else props.onClose();
  };

  if (shownKey) {
    return (
      <Modal title="AuthorizationKey" onClose={props.onClose}>
        <p>Configure the charger with this key now (OCPP Basic auth password). It is stored only as a hash and <strong>will not be shown again</strong>.</p>
        <pre class="notice mono" data-testid="auth-key">{shownKey}</pre>
        <button class="btn btn-primary" onClick={props.onClose}>Done</button>
      </Modal>
    );
  }
  return (
    <Modal title={p ? `Edit ${p.id}` : 'Register a charge point'} onClose={props.onClose}>
      <Form action={save} submitLabel={p ? 'Save' : 'Register'}>
        {!p && <Field label="OCPP identity" hint="As in the charger's URL: ws://…/ocpp/<identity>"><TextInput name="id" value={id} onInput={setId} required maxLength={48} /></Field>}
        <div class="form-row">
          <Field label="Station">
            <select name="stationId" value={stationId} onChange={(e) => setStationId((e.target as HTMLSelectElement).value)}>
              <option value="">— none —</option>
              {stations.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </Field>
          <Field label="Tariff">
            <select name="tariffId" value={tariffId} onChange={(e) => setTariffId((e.target as HTMLSelectElement).value)}>
              <option value="">— free —</option>
              {tariffs.map((t) => <option key={t.id} value={t.id}>{t.name} ({perKwh(t.pricePerKwh, t.currency)})</option>)}
            </select>
          </Field>
        </div>
        <div class="form-row">
          <Field label="Connectors"><input name="connectors" type="number" min="0" max="32" value={connectors} onInput={(e) => setConnectors((e.target as HTMLInputElement).value)} /></Field>
          <Field label="Registration">
            <select name="registrationStatus" value={registration} onChange={(e) => setRegistration((e.target as HTMLSelectElement).value as typeof registration)}>
              {['Accepted', 'Pending', 'Rejected'].map((r) => <option key={r}>{r}</option>)}
            </select>
          </Field>
          <Field label="Priority" hint="Load management: its sessions get priority + 1 shares of the station's limit">
            <input name="priority" type="number" min="0" max="100" step="1" value={priority} onInput={(e) => setPriority((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <label class="checkbox"><input type="checkbox" checked={lenient} onChange={(e) => setLenient((e.target as HTMLInputElement).checked)} /> Lenient validation (accept out-of-spec values from this charger)</label>
        <Field label="AuthorizationKey (Basic auth)" hint={p ? (p.hasAuthKey ? 'A key is set.' : 'No key: the charger connects without a password.') : undefined}>
          <select name="auth" value={auth} onChange={(e) => setAuth((e.target as HTMLSelectElement).value as AuthChoice)}>
            {p && <option value="keep">Keep as it is</option>}
            <option value="generate">Generate a new key</option>
            <option value="set">Set a key</option>
            <option value="clear">No key</option>
          </select>
        </Field>
        {auth === 'set' && <Field label="Key" hint="16–40 characters"><TextInput name="authKey" value={key} onInput={setKey} minLength={16} maxLength={40} required /></Field>}
      </Form>
    </Modal>
  );
}

export function PointsPage() {
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<PointRow | 'new' | null>(null);
  const { tariffs } = useCatalogue();
  const points = useResource<Page<PointRow>>(`/api/cms/points?limit=${PAGE}&offset=${offset}`, {
    refresh: 'list',
    rooms: [CMS_ROOMS.points],
    on: {
      'connector.status': (e: ConnectorStatusEvent, cur) => cur && { ...cur, items: cur.items.map((cp) => (cp.id === e.chargePointId ? patchPoint(cp, 'connector.status', e) : cp)) },
      'charger.status': (e: ChargerStatusEvent, cur) => cur && { ...cur, items: cur.items.map((cp) => (cp.id === e.chargePointId ? patchPoint(cp, 'charger.status', e) : cp)) },
      'point.created': () => 'refetch',
      'point.updated': () => 'refetch',
      'point.deleted': () => 'refetch',
    },
  });
  const tariffName = (id: number | null) => tariffs.find((t) => t.id === id)?.name ?? (id ? `#${id}` : 'Free');
  const items = points.data?.items ?? [];
  const online = items.filter((cp) => cp.online).length;
  return (
    <>
      <PageHeader
        title="Charging points"
        subtitle={points.data ? `${online} of ${items.length} online` : undefined}
        actions={<button class="btn btn-primary" onClick={() => setEditing('new')}>Register charge point</button>}
      />
      <ErrorNote error={points.error} />
      <Card>
        {points.loading && !points.data ? <Loading /> : items.length === 0 ? <Empty>No charge points registered.</Empty> : (
          <div class="table-wrap">
            <table data-testid="points-table">
              <thead><tr><th>Identity</th><th>Status</th><th>Connectors</th><th>Registration</th><th>Tariff</th><th>Last seen</th><th /></tr></thead>
              <tbody>
                {items.map((cp) => (
                  <tr key={cp.id} data-testid={`point-${cp.id}`}>
                    <td><a href={href('points', cp.id)}>{cp.id}</a><div class="muted">{[cp.vendor, cp.model].filter(Boolean).join(' ')}</div></td>
                    <td data-testid="online"><Online online={cp.online} /></td>
                    <td><div class="connectors">{cp.connectors.filter((c) => c.connectorId > 0).map((c) => <span key={c.connectorId} data-testid={`connector-${c.connectorId}`}>#{c.connectorId} <Badge status={c.status} /></span>)}</div></td>
                    <td><Badge status={cp.registrationStatus} />{cp.hasAuthKey && <span class="muted" title="Basic auth key set"> 🔑</span>}</td>
                    <td data-testid="tariff">{tariffName(cp.tariffId)}</td>
                    <td class="muted">{ago(cp.lastSeenAt)}</td>
                    <td class="right"><button class="btn btn-small" onClick={() => setEditing(cp)}>Edit</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {points.data && <Pager offset={offset} size={PAGE} total={points.data.total} onChange={setOffset} />}
      </Card>
      {editing && <PointForm point={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} onSaved={() => void points.reload()} />}
    </>
  );
}
