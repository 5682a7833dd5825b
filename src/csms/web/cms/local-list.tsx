/** @jsxImportSource preact */
/**
 * A charger's Local Authorization List on its detail page: the version the charger holds against
 * the one the customers' cards make current (GET /api/cms/points/:id/local-list, docs/local-auth-list.md).
 */
import { pointRoom } from '../../domain/notification-routing.ts';
import { ago } from '../shared/format.ts';
import { Card, ErrorNote, Stat } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

interface LocalListView {
  enabled: boolean;
  charger: { version: number; reportedVersion: number | null; size: number; status: 'synced' | 'failed' | 'unsupported'; detail: string | null; truncated: boolean; omitted: number; updatedAt: string } | null;
  csms: { version: number; size: number; pending: number; inStep: boolean };
}

export function LocalListCard(props: { chargePointId: string }) {
  const id = props.chargePointId;
  const list = useResource<LocalListView>(`/api/cms/points/${encodeURIComponent(id)}/local-list`, {
    refresh: 'detail',
    rooms: [pointRoom(id)],
    on: { 'localList.synced': () => 'refetch', 'localList.failed': () => 'refetch' },
  });
  const v = list.data;
  if (!v || (!v.enabled && !v.charger)) return list.error ? <ErrorNote error={list.error} /> : null;
  const held = v.charger;
  const tone = held?.status === 'synced' && v.csms.inStep && !held.truncated ? 'good' : held?.status === 'synced' ? 'warn' : 'bad';
  const base = !held ? 'not sent yet' : held.status === 'unsupported' ? 'no local list on this charger' : held.status === 'failed' ? `last update failed${held.detail ? `: ${held.detail}` : ''}` : v.csms.inStep ? 'in step' : `${v.csms.pending} change(s) to send`;
  // More cards than the charger holds (LocalAuthListMaxLength): the first ones by idTag are on it.
  const state = held?.truncated ? `${base} · truncated: ${held.omitted} card(s) left off` : base;
  return (
    <Card title="Local authorization list" testid="point-local-list">
      <ErrorNote error={list.error} />
      <div class="stats">
        <Stat label="Charger holds" testid="local-list-charger" value={held ? `v${held.version}` : '—'} hint={held ? `${held.size} card(s) · ${ago(held.updatedAt)}` : undefined} tone={tone} />
        <Stat label="CSMS current" testid="local-list-csms" value={`v${v.csms.version}`} hint={`${v.csms.size} card(s)`} />
        <Stat label="State" testid="local-list-state" value={state} hint={v.enabled ? undefined : 'LOCAL_LIST is off'} />
      </div>
    </Card>
  );
}
