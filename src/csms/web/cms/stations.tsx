/** @jsxImportSource preact */
/** The charging stations with how many of their charge points are online; create, edit, delete. */
import { useState } from 'preact/hooks';
import { CMS_ROOMS } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { dateTime } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import type { Page, Station } from '../shared/types.ts';
import { Card, Empty, ErrorNote, Field, Form, Loading, Modal, PageHeader, Pager, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { ConfirmDelete, OnlineCount, RowActions } from './parts.tsx';

/** A row of GET /api/cms/stations. */
export interface StationSummary extends Station {
  chargePointCount: number;
  chargePointsOnline: number;
}

/** What a station page shows changes with its stations and the charge points in them. */
export const STATION_ROOMS = [CMS_ROOMS.stations];
const PAGE = 50;

const coordinate = (n: number | null) => (n === null ? '' : String(n));

function parseCoordinate(text: string, label: string, limit: number): number | null {
  const t = text.trim().replace(',', '.');
  if (t === '') return null;
  const n = Number(t);
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw new Error(`${label} must be a number between -${limit} and ${limit}.`);
  return n;
}

/** Create (no `station`) or edit a station: name, address, coordinates. `onSaved` gets what the API returned. */
export function StationModal(props: { station?: Station; onClose(): void; onSaved(station: Station): void }) {
  const { api } = useServices();
  const s = props.station;
  const [name, setName] = useState(s?.name ?? '');
  const [address, setAddress] = useState(s?.address ?? '');
  const [latitude, setLatitude] = useState(coordinate(s?.latitude ?? null));
  const [longitude, setLongitude] = useState(coordinate(s?.longitude ?? null));
  const [gridLimit, setGridLimit] = useState(s?.gridLimitW != null ? String(s.gridLimitW) : '');
  const [minPerSession, setMinPerSession] = useState(s?.minPerSessionW != null ? String(s.minPerSessionW) : '');
  const watts = (text: string) => (text.trim() === '' ? null : Math.round(Number(text)));
  const save = async () => {
    const input = {
      name: name.trim(),
      address: address.trim(),
      latitude: parseCoordinate(latitude, 'Latitude', 90),
      longitude: parseCoordinate(longitude, 'Longitude', 180),
      gridLimitW: watts(gridLimit),
      minPerSessionW: watts(minPerSession),
    };
    const saved = s
      ? await api.send<Station>('PUT', `/api/cms/stations/${s.id}`, input)
      : await api.send<Station>('POST', '/api/cms/stations', input);
    toast('success', s ? 'Station saved' : 'Station created', saved.name);
    props.onSaved(saved);
    props.onClose();
  };
  return (
    <Modal title={s ? `Edit ${s.name}` : 'New station'} onClose={props.onClose}>
      <Form action={save} submitLabel={s ? 'Save' : 'Create station'}>
        <Field label="Name"><TextInput name="name" value={name} onInput={setName} required maxLength={100} /></Field>
        <Field label="Address"><TextInput name="address" value={address} onInput={setAddress} maxLength={300} /></Field>
        <div class="form-row">
          <Field label="Latitude" hint="−90 to 90, optional">
            <input name="latitude" type="number" step="any" min="-90" max="90" value={latitude} onInput={(e) => setLatitude((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label="Longitude" hint="−180 to 180, optional">
            <input name="longitude" type="number" step="any" min="-180" max="180" value={longitude} onInput={(e) => setLongitude((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <div class="form-row">
          <Field label="Grid limit (W)" hint="Load management divides it among the sessions here; empty: no limit">
            <input name="gridLimitW" type="number" step="1" min="1" value={gridLimit} onInput={(e) => setGridLimit((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label="Minimum per session (W)" hint="Sessions that cannot get it wait at 0 W; empty: none">
            <input name="minPerSessionW" type="number" step="1" min="0" value={minPerSession} onInput={(e) => setMinPerSession((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
      </Form>
    </Modal>
  );
}

type Editing = { mode: 'create' } | { mode: 'edit'; station: StationSummary } | { mode: 'delete'; station: StationSummary } | null;

export function StationsPage() {
  const { api } = useServices();
  const [editing, setEditing] = useState<Editing>(null);
  const [offset, setOffset] = useState(0);
  const stations = useResource<Page<StationSummary>>(`/api/cms/stations?limit=${PAGE}&offset=${offset}`, {
    refresh: 'list',
    rooms: STATION_ROOMS,
    on: {
      // All offline is known from the event; anything else changes a count the event does not carry.
      'station.status': (d: { stationId: number; online: boolean }, cur) => {
        if (!cur?.items.some((s) => s.id === d.stationId)) return undefined;
        return d.online ? 'refetch' : { ...cur, items: cur.items.map((s) => (s.id === d.stationId ? { ...s, chargePointsOnline: 0 } : s)) };
      },
      'station.created': () => 'refetch',
      'station.updated': () => 'refetch',
      'station.deleted': () => 'refetch',
      'point.created': () => 'refetch',
      'point.updated': () => 'refetch',
      'point.deleted': () => 'refetch',
    },
  });
  const close = () => setEditing(null);
  // Our own writes show at once; the notification (or the next poll) confirms them.
  const saved = (s: Station) => {
    const cur = stations.data;
    if (!cur) return void stations.reload();
    const known = cur.items.find((x) => x.id === s.id);
    stations.set({ ...cur, items: known ? cur.items.map((x) => (x.id === s.id ? { ...x, ...s } : x)) : [...cur.items, { ...s, chargePointCount: 0, chargePointsOnline: 0 }] });
  };
  const remove = async (s: StationSummary) => {
    await api.send('DELETE', `/api/cms/stations/${s.id}`);
    toast('success', 'Station deleted', s.name);
    if (stations.data) stations.set({ ...stations.data, items: stations.data.items.filter((x) => x.id !== s.id) });
  };
  const items = stations.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Charging stations"
        subtitle="Sites that group charge points. Online counts update as chargers connect and disconnect."
        actions={<button class="btn btn-primary" onClick={() => setEditing({ mode: 'create' })} data-testid="station-create">New station</button>}
      />
      <ErrorNote error={stations.error} />
      {stations.loading && !stations.data ? <Loading /> : (
        <Card>
          {items.length === 0 ? <Empty>No stations yet. Create one, then add charge points to it.</Empty> : (
            <div class="table-wrap">
              <table data-testid="stations-table">
                <thead><tr><th>Name</th><th>Address</th><th>Charge points</th><th>Created</th><th /></tr></thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={s.id} data-testid={`station-${s.id}`}>
                      <td><a href={href('stations', s.id)}>{s.name}</a></td>
                      <td class="muted">{s.address || '—'}</td>
                      <td data-testid="online-count"><OnlineCount online={s.chargePointsOnline} total={s.chargePointCount} /></td>
                      <td class="muted">{dateTime(s.createdAt)}</td>
                      <RowActions testid="station" onEdit={() => setEditing({ mode: 'edit', station: s })} onDelete={() => setEditing({ mode: 'delete', station: s })} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager offset={offset} size={PAGE} total={stations.data?.total ?? 0} onChange={setOffset} />
        </Card>
      )}
      {editing?.mode === 'create' && <StationModal onClose={close} onSaved={saved} />}
      {editing?.mode === 'edit' && <StationModal station={editing.station} onClose={close} onSaved={saved} />}
      {editing?.mode === 'delete' && (
        <ConfirmDelete
          title="Delete station"
          action={() => remove(editing.station)}
          onClose={close}
          inUse={`${editing.station.name} still has charge points. Move them to another station or delete them first.`}
        >
          Delete <strong>{editing.station.name}</strong>? This cannot be undone.
        </ConfirmDelete>
      )}
    </>
  );
}
