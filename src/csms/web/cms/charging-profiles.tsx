/** @jsxImportSource preact */
/**
 * Smart Charging on a charge point's page: the profiles it accepted (load management's included),
 * how many it did not confirm, setting a one-period profile, clearing profiles and asking for a
 * connector's composite schedule. A refused profile shows the rule it broke (the API's 400/409).
 * Live from the point's room (`charging_profile.*`).
 */
import { useState } from 'preact/hooks';
import { pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { ago } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import { Card, Empty, Field, Stat } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

interface Period {
  startPeriod: number;
  limit: number;
  numberPhases?: number;
}

interface Schedule {
  chargingRateUnit: 'A' | 'W';
  startSchedule?: string;
  duration?: number;
  chargingSchedulePeriod: Period[];
}

interface Installed {
  connectorId: number;
  chargingProfileId: number;
  stackLevel: number;
  purpose: string;
  transactionId: number | null;
  profile: { chargingProfileKind: string; recurrencyKind?: string; validFrom?: string; validTo?: string; chargingSchedule: Schedule };
  requestedBy: string | null;
  installedAt: string;
}

interface ProfilesView {
  items: Installed[];
  unconfirmed: { count: number; lastStatus: string | null; lastAt: string | null };
}

/** `0 s: 11000 W, 3600 s: 7400 W`. */
function periods(s: Schedule): string {
  return s.chargingSchedulePeriod.map((p) => `${p.startPeriod} s: ${p.limit} ${s.chargingRateUnit}`).join(', ');
}

/** `priority` is the charge point's weight in load management, shown beside what it was given. */
const PURPOSES = ['TxDefaultProfile', 'ChargePointMaxProfile', 'TxProfile'] as const;

/**
 * A one-period profile from the form: a TxProfile runs from its transaction's start (Relative), the
 * others from now (Absolute). The id is the next one above what the charger holds (below load
 * management's own ids).
 */
function formProfile(form: { purpose: string; stackLevel: string; limit: string; unit: string }, installed: Installed[]): Record<string, unknown> {
  const own = installed.map((p) => p.chargingProfileId).filter((id) => id < 1_000_000_000);
  const tx = form.purpose === 'TxProfile';
  return {
    chargingProfileId: Math.max(0, ...own) + 1,
    stackLevel: Number(form.stackLevel),
    chargingProfilePurpose: form.purpose,
    chargingProfileKind: tx ? 'Relative' : 'Absolute',
    chargingSchedule: {
      ...(tx ? {} : { startSchedule: new Date().toISOString() }),
      chargingRateUnit: form.unit,
      chargingSchedulePeriod: [{ startPeriod: 0, limit: Number(form.limit) }],
    },
  };
}

export function ChargingProfilesCard(props: { chargePointId: string; online: boolean; connectorIds: number[]; priority: number }) {
  const { api } = useServices();
  const cp = props.chargePointId;
  const [busy, setBusy] = useState(false);
  const [connector, setConnector] = useState(String(props.connectorIds[0] ?? 1));
  const [form, setForm] = useState({ purpose: 'TxDefaultProfile', stackLevel: '0', limit: '11000', unit: 'W' });
  const field = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const [composite, setComposite] = useState<{ scheduleStart?: string; chargingSchedule?: Schedule; status: string } | null>(null);
  const view = useResource<ProfilesView>(`/api/charger/${encodeURIComponent(cp)}/charging-profiles`, {
    refresh: 'detail',
    rooms: [pointRoom(cp)],
    on: {
      'charging_profile.installed': () => 'refetch',
      'charging_profile.cleared': () => 'refetch',
      'charging_profile.unconfirmed': () => 'refetch',
      // Load management's TxProfiles go with their session.
      'charging.stopped': () => 'refetch',
    },
  });

  const command = async (label: string, path: string, params: Record<string, unknown>) => {
    setBusy(true);
    try {
      const result = await api.send<{ status: string; response: Record<string, unknown> }>('POST', `/api/charger/${path}`, { chargePointId: cp, ...params });
      const status = String(result.response?.status ?? result.status);
      toast(status === 'Accepted' ? 'success' : 'warning', `${label}: ${status}`, cp);
      return result.response;
    } catch (err) {
      toast('error', `${label} failed`, (err as Error).message);
      return null;
    } finally {
      setBusy(false);
      void view.reload();
    }
  };
  const disabled = !props.online || busy;
  const unconfirmed = view.data?.unconfirmed;

  return (
    <Card title="Charging profiles" testid="charging-profiles" actions={!props.online && <span class="muted">Charger offline</span>}>
      <div class="stack">
        <div class="stats">
          <Stat label="Installed" testid="profiles-installed" value={view.data?.items.length ?? '—'} />
          <Stat label="Load priority" testid="profiles-priority" value={props.priority} hint={`${props.priority + 1} share(s) of the station's limit`} />
          <Stat
            label="Not confirmed"
            testid="profiles-unconfirmed"
            value={unconfirmed?.count ?? '—'}
            tone={unconfirmed && unconfirmed.count > 0 ? 'warn' : undefined}
            hint={unconfirmed?.lastStatus ? `last: ${unconfirmed.lastStatus} ${ago(unconfirmed.lastAt)}` : undefined}
          />
        </div>
        {view.data?.items.length === 0 ? <Empty>No charging profile installed.</Empty> : (
          <table data-testid="profiles-table">
            <thead><tr><th>Connector</th><th>Id</th><th>Purpose</th><th>Level</th><th>Schedule</th><th>By</th><th /></tr></thead>
            <tbody>
              {view.data?.items.map((p) => (
                <tr key={p.chargingProfileId} data-testid={`profile-${p.chargingProfileId}`}>
                  <td>{p.connectorId === 0 ? 'Charger' : `#${p.connectorId}`}</td>
                  <td class="mono">{p.chargingProfileId}</td>
                  <td>{p.purpose}{p.transactionId !== null ? <span class="muted"> · tx {p.transactionId}</span> : null}</td>
                  <td>{p.stackLevel}</td>
                  <td class="mono">{p.profile.chargingProfileKind}{p.profile.recurrencyKind ? ` ${p.profile.recurrencyKind}` : ''}: {periods(p.profile.chargingSchedule)}</td>
                  <td class="muted">{p.requestedBy ?? ''} {ago(p.installedAt)}</td>
                  <td class="right"><button class="btn" disabled={disabled} onClick={() => command(`Clear profile ${p.chargingProfileId}`, 'clear-charging-profile', { id: p.chargingProfileId })}>Clear</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="form-row">
          <Field label="Purpose">
            <select name="purpose" value={form.purpose} onChange={field('purpose')}>{PURPOSES.map((p) => <option key={p}>{p}</option>)}</select>
          </Field>
          <Field label="Stack level"><input name="stackLevel" type="number" min="0" step="1" value={form.stackLevel} onInput={field('stackLevel')} /></Field>
          <Field label="Limit"><input name="limit" type="number" min="0.1" step="0.1" value={form.limit} onInput={field('limit')} /></Field>
          <Field label="Unit">
            <select name="unit" value={form.unit} onChange={field('unit')}><option>W</option><option>A</option></select>
          </Field>
        </div>
        <div class="actions">
          <button class="btn btn-primary" disabled={disabled || !view.data} data-testid="profile-set" onClick={() => command('Set charging profile', 'set-charging-profile', {
            // A ChargePointMaxProfile limits the whole charger (connector 0); the others the connector chosen below.
            connectorId: form.purpose === 'ChargePointMaxProfile' ? 0 : Number(connector),
            csChargingProfiles: formProfile(form, view.data?.items ?? []),
          })}>Set profile</button>
          <button class="btn btn-danger" disabled={disabled} data-testid="profiles-clear-all" onClick={() => confirm(`Clear every charging profile of ${cp}?`) && command('Clear all profiles', 'clear-charging-profile', {})}>Clear all profiles</button>
          <Field label="Connector">
            <select value={connector} onChange={(e) => setConnector((e.target as HTMLSelectElement).value)} aria-label="Connector of the profile and the composite schedule">
              {props.connectorIds.map((id) => <option key={id} value={id}>#{id}</option>)}
            </select>
          </Field>
          <button class="btn" disabled={disabled} data-testid="composite-schedule" onClick={async () => {
            const response = await command('Composite schedule', 'get-composite-schedule', { connectorId: Number(connector), duration: 86_400, chargingRateUnit: 'W' });
            if (response) setComposite(response as typeof composite);
          }}>Composite schedule (24 h)</button>
        </div>
        {composite && (
          <p data-testid="composite-result" class="mono">
            {composite.chargingSchedule ? `from ${composite.scheduleStart ?? 'now'}: ${periods(composite.chargingSchedule)}` : `The charger answered ${composite.status}.`}
          </p>
        )}
      </div>
    </Card>
  );
}
