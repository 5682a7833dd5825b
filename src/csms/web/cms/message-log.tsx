/** @jsxImportSource preact */
/**
 * A charger's OCPP traffic, newest first. Live: each `ocpp.message` of the
 * point's room becomes its frames; polling: `?afterId=` fetches only what is newer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { MessageType } from '../../../ocpp/frames.ts';
import { pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { time } from '../shared/format.ts';
import type { Items } from '../shared/types.ts';
import { Card, Empty } from '../shared/ui.tsx';

export interface LogEntry {
  id: number;
  direction: 'in' | 'out';
  messageType: number;
  action: string | null;
  messageId: string | null;
  payload: unknown;
  latencyMs: number | null;
  createdAt: string;
}

interface Row {
  key: string;
  direction: 'in' | 'out';
  type: number;
  action: string | null;
  payload: unknown;
  at: string;
}

interface OcppMessageEvent {
  chargePointId: string;
  direction: 'in' | 'out';
  action: string;
  messageId: string;
  request?: unknown;
  response?: unknown;
  responseType?: typeof MessageType.CALLRESULT | typeof MessageType.CALLERROR;
  at: string;
}

/** The log's message types: an OCPP-J one, or 0 for a frame that could not be read. */
const TYPE: Record<number, string> = { 0: 'INVALID', [MessageType.CALL]: 'CALL', [MessageType.CALLRESULT]: 'RESULT', [MessageType.CALLERROR]: 'ERROR' };
const MAX_ROWS = 200;
let seq = 0;

const fromEntry = (e: LogEntry): Row => ({ key: `db-${e.id}`, direction: e.direction, type: e.messageType, action: e.action, payload: e.payload, at: e.createdAt });

/** An `ocpp.message` as the frames it stands for (the log stores a CALL and its answer as two). */
function fromEvent(e: OcppMessageEvent): Row[] {
  const rows: Row[] = [];
  const answer = e.direction === 'out' ? 'in' : 'out';
  if (e.request !== undefined) rows.push({ key: `ev-${++seq}`, direction: e.direction, type: MessageType.CALL, action: e.action, payload: e.request, at: e.at });
  if (e.response !== undefined) {
    // A command's answer comes with direction 'in' and no request; a charger's CALL carries our answer.
    rows.push({ key: `ev-${++seq}`, direction: e.request !== undefined ? answer : 'in', type: e.responseType ?? MessageType.CALLRESULT, action: e.action, payload: e.response, at: e.at });
  }
  return rows.reverse();
}

export function MessageLog(props: { chargePointId: string }) {
  const { api, live } = useServices();
  const [rows, setRows] = useState<Row[]>([]);
  const [loaded, setLoaded] = useState(false);
  const newest = useRef(0);
  const base = `/api/cms/points/${encodeURIComponent(props.chargePointId)}/messages`;

  useEffect(() => {
    let stopped = false;
    const prepend = (more: Row[]) => setRows((list) => [...more, ...list].slice(0, MAX_ROWS));
    const fetchNewer = async (initial: boolean) => {
      const path = initial ? `${base}?limit=100` : `${base}?limit=500&afterId=${newest.current}`;
      const { data } = await api.get<Items<LogEntry>>(path);
      if (stopped) return;
      if (data.items.length > 0) newest.current = Math.max(newest.current, ...data.items.map((e) => e.id));
      if (initial) setRows(data.items.map(fromEntry));
      else if (data.items.length > 0) prepend(data.items.map(fromEntry));
      setLoaded(true);
    };
    setRows([]);
    newest.current = 0;
    void fetchNewer(true).catch(() => setLoaded(true));
    if (live.mode === 'polling') {
      const timer = setInterval(() => void fetchNewer(false).catch(() => {}), live.intervals.detail);
      return () => { stopped = true; clearInterval(timer); };
    }
    const off = live.subscribe([pointRoom(props.chargePointId)], ['ocpp.message'], (n) => {
      const e = n.data as OcppMessageEvent;
      if (e.chargePointId === props.chargePointId) prepend(fromEvent(e));
    });
    // After a reconnect the log may have gaps: reload it whole.
    const offResync = live.onResync(() => void fetchNewer(true).catch(() => {}));
    return () => { stopped = true; off(); offResync(); };
  }, [api, live, base, props.chargePointId]);

  return (
    <Card title="OCPP messages" testid="message-log" actions={<span class="muted">{rows.length} shown</span>}>
      {loaded && rows.length === 0 ? <Empty>No messages yet.</Empty> : (
        <div class="log">
          <table>
            <thead><tr><th>Time</th><th /><th>Type</th><th>Action</th><th>Payload</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-testid="log-row" data-action={r.action ?? ''} data-type={TYPE[r.type] ?? r.type}>
                  <td class="num muted">{time(r.at)}</td>
                  <td class={`dir-${r.direction}`} title={r.direction === 'in' ? 'from the charger' : 'to the charger'}>{r.direction === 'in' ? '→ CSMS' : '← CSMS'}</td>
                  <td>{TYPE[r.type] ?? r.type}</td>
                  <td>{r.action ?? '—'}</td>
                  <td><pre>{JSON.stringify(r.payload)}</pre></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
