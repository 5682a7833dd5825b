/** @jsxImportSource preact */
/**
 * Commands to a charger (remote start/stop, reset, unlock, configuration, availability, trigger)
 * and the audit of what was sent; answers arrive as `command.result` in the point's room.
 */
import { useState } from 'preact/hooks';
import { pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { ago } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import type { Items, SessionView } from '../shared/types.ts';
import { Badge, Card, Empty, Field } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { CloseSessionButton } from './session-state.tsx';

interface CommandRecord {
  id: string;
  action: string;
  request: unknown;
  status: string;
  response: unknown;
  requestedBy: string | null;
  createdAt: string;
}

const TRIGGERS = ['StatusNotification', 'MeterValues', 'Heartbeat', 'BootNotification', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification'];

function summary(response: unknown): string {
  if (response && typeof response === 'object' && 'status' in response) return String((response as { status: unknown }).status);
  return response === null || response === undefined ? '' : JSON.stringify(response).slice(0, 80);
}

export function CommandsCard(props: { chargePointId: string; online: boolean; connectorIds: number[]; activeSessions: SessionView[]; onSessionClosed?: () => void }) {
  const { api } = useServices();
  const cp = props.chargePointId;
  const [busy, setBusy] = useState<string | null>(null);
  const [idTag, setIdTag] = useState('');
  const [connector, setConnector] = useState(String(props.connectorIds[0] ?? 1));
  const [key, setKey] = useState('HeartbeatInterval');
  const [value, setValue] = useState('60');
  const [trigger, setTrigger] = useState(TRIGGERS[0]);
  const [config, setConfig] = useState<{ key: string; value?: string; readonly: boolean }[] | null>(null);
  /** Sessions whose RemoteStopTransaction was refused or failed: closing by hand is offered for them. */
  const [stopRefused, setStopRefused] = useState<number[]>([]);
  const audit = useResource<Items<CommandRecord>>(`/api/charger/${encodeURIComponent(cp)}/commands?limit=8`, {
    refresh: 'detail',
    rooms: [pointRoom(cp)],
    on: { 'command.result': () => 'refetch' },
  });

  const run = async (label: string, path: string, params: Record<string, unknown> = {}) => {
    setBusy(label);
    try {
      const result = await api.send<{ status: string; response: Record<string, unknown> }>('POST', `/api/charger/${path}`, { chargePointId: cp, ...params });
      const answer = summary(result.response);
      toast(answer === 'Accepted' || answer === 'Unlocked' ? 'success' : 'warning', `${label}: ${answer || result.status}`, cp);
      return result.response;
    } catch (err) {
      toast('error', `${label} failed`, (err as Error).message);
      return null;
    } finally {
      setBusy(null);
      void audit.reload();
    }
  };
  const disabled = !props.online || busy !== null;
  const connectorId = Number(connector);

  return (
    <Card title="Commands" testid="commands" actions={!props.online && <span class="muted">Charger offline</span>}>
      <div class="stack">
        <div class="form-row">
          <Field label="Connector">
            <select value={connector} onChange={(e) => setConnector((e.target as HTMLSelectElement).value)}>
              {props.connectorIds.map((id) => <option key={id} value={id}>#{id}</option>)}
            </select>
          </Field>
          <Field label="idTag for remote start"><input value={idTag} placeholder="e.g. DEMO-TAG-1" maxLength={20} onInput={(e) => setIdTag((e.target as HTMLInputElement).value)} /></Field>
        </div>
        <div class="actions">
          <button class="btn btn-primary" disabled={disabled || !idTag} onClick={() => run('Remote start', 'remote-start', { idTag, connectorId })}>Remote start</button>
          {props.activeSessions.map((s) => (
            stopRefused.includes(s.id) || (!props.online && s.stale)
              ? <CloseSessionButton key={s.id} session={s} onClosed={props.onSessionClosed} />
              : <button key={s.id} class="btn btn-danger" disabled={disabled} onClick={async () => {
                const answer = await run('Remote stop', 'remote-stop', { transactionId: s.id });
                if (answer?.status !== 'Accepted') setStopRefused((ids) => [...ids, s.id]);
              }}>Stop session #{s.id}</button>
          ))}
          <button class="btn" disabled={disabled} onClick={() => run('Unlock', 'unlock', { connectorId })}>Unlock connector</button>
          <button class="btn" disabled={disabled} onClick={() => run('Soft reset', 'reset', { type: 'Soft' })} data-testid="reset-soft">Soft reset</button>
          <button class="btn" disabled={disabled} onClick={() => confirm(`Hard reset ${cp}? Running sessions end.`) && run('Hard reset', 'reset', { type: 'Hard' })}>Hard reset</button>
          <button class="btn" disabled={disabled} onClick={() => run('Make inoperative', 'change-availability', { connectorId, type: 'Inoperative' })}>Inoperative</button>
          <button class="btn" disabled={disabled} onClick={() => run('Make operative', 'change-availability', { connectorId, type: 'Operative' })}>Operative</button>
          <button class="btn" disabled={disabled} onClick={() => run('Clear cache', 'clear-cache')}>Clear cache</button>
        </div>
        <div class="form-row">
          <Field label="Configuration key"><input value={key} maxLength={50} onInput={(e) => setKey((e.target as HTMLInputElement).value)} /></Field>
          <Field label="Value"><input value={value} maxLength={500} onInput={(e) => setValue((e.target as HTMLInputElement).value)} /></Field>
        </div>
        <div class="actions">
          <button class="btn" disabled={disabled || !key} onClick={() => run('Change configuration', 'change-configuration', { key, value })}>Change configuration</button>
          <button class="btn" disabled={disabled} onClick={async () => {
            const response = await run('Get configuration', 'get-configuration');
            if (response) setConfig((response.configurationKey as typeof config) ?? []);
          }}>Get configuration</button>
          <select value={trigger} onChange={(e) => setTrigger((e.target as HTMLSelectElement).value)} aria-label="Message to trigger">
            {TRIGGERS.map((t) => <option key={t}>{t}</option>)}
          </select>
          <button class="btn" disabled={disabled} onClick={() => run(`Trigger ${trigger}`, 'trigger', { requestedMessage: trigger, ...(trigger === 'StatusNotification' || trigger === 'MeterValues' ? { connectorId } : {}) })}>Trigger</button>
        </div>
        {config && (
          <div class="table-wrap log">
            <table>
              <thead><tr><th>Key</th><th>Value</th><th /></tr></thead>
              <tbody>{config.map((c) => <tr key={c.key}><td class="mono">{c.key}</td><td class="mono">{c.value ?? ''}</td><td class="muted">{c.readonly ? 'read-only' : ''}</td></tr>)}</tbody>
            </table>
          </div>
        )}
        <h2>Recent commands</h2>
        {audit.data?.items.length === 0 ? <Empty>No commands sent yet.</Empty> : (
          <table data-testid="command-audit">
            <tbody>
              {audit.data?.items.map((c) => (
                <tr key={c.id}>
                  <td>{c.action}</td>
                  <td><Badge status={c.status === 'offline' ? 'offline_cmd' : c.status} label={c.status} /> <span class="muted">{summary(c.response)}</span></td>
                  <td class="muted">{c.requestedBy ?? ''}</td>
                  <td class="muted right">{ago(c.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Card>
  );
}
