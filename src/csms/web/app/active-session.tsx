/** @jsxImportSource preact */
/**
 * The running session's energy, power, cost and status, live, with a chart
 * and the stop button. When it ends the page shows the final figures.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { dateTime, duration, energy, money, perKwh, power, time } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import { Receipt } from '../shared/receipt.tsx';
import { SessionChart } from '../shared/session-chart.tsx';
import { sessionFromEvent, type SessionEvent, type SessionView } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../shared/ui.tsx';
import { useTick } from '../shared/use-resource.ts';
import { useActiveSessions } from './dashboard.tsx';
import { LOW_BALANCE_MINOR } from './events.tsx';

function Running(props: { session: SessionView }) {
  const { api } = useServices();
  const s = props.session;
  const [stopping, setStopping] = useState(false);
  useTick(1000);
  const elapsed = Math.max(0, Math.round((Date.now() - Date.parse(s.startedAt)) / 1000));
  const stop = async () => {
    setStopping(true);
    try {
      await api.send('POST', '/api/user/charging/stop', { sessionId: s.id });
      toast('info', 'Stopping…', `${s.chargePointId} accepted the stop request`);
    } catch (err) {
      toast('error', 'Could not stop', (err as Error).message);
      setStopping(false);
    }
  };
  return (
    <div class="stack" data-testid="active-session" data-session-id={s.id}>
      <div class="stats">
        <Stat label="Energy" testid="session-energy" value={energy(s.energyWh)} tone="good" />
        <Stat label="Power" testid="session-power" value={power(s.powerW)} />
        <Stat label="Cost" testid="session-cost" value={money(s.costMinor, s.currency)} hint={s.tariff ? perKwh(s.tariff.pricePerKwh, s.tariff.currency) : 'Free: no tariff'} />
        <Stat label="Duration" value={duration(elapsed)} hint={`since ${time(s.startedAt)}`} />
        {s.balanceLeftMinor !== null && (
          <Stat label="Balance left" testid="balance-left" value={money(Math.max(0, s.balanceLeftMinor))} tone={s.autoStop ? 'bad' : s.balanceLeftMinor < LOW_BALANCE_MINOR ? 'warn' : undefined} hint={s.autoStop ? 'Stopping: balance used up' : 'Charging stops before it runs out'} />
        )}
      </div>
      <Card
        title={<>{s.chargePointId} · connector {s.connectorId} <Badge status="active" label="Charging" /></>}
        actions={<button class="btn btn-danger" disabled={stopping} onClick={stop} data-testid="stop">{stopping ? 'Stopping…' : 'Stop charging'}</button>}
      >
        <SessionChart session={s} historyPath={`/api/user/sessions/${s.id}/meter-values`} testid="session-chart" />
        <p class="muted">Last reading {time(s.lastMeterAt)} · session #{s.id}{s.tariff && s.tariff.sessionFee > 0 ? ` · session fee ${money(s.tariff.sessionFee, s.tariff.currency)}` : ''}</p>
      </Card>
    </div>
  );
}

function Completed(props: { session: SessionView }) {
  const { api } = useServices();
  // The stop event carries the figures; the receipt needs the tariff the session kept, from the API.
  const [full, setFull] = useState<SessionView | null>(null);
  useEffect(() => {
    api.get<SessionView>(`/api/user/sessions/${props.session.id}`).then(({ data }) => setFull(data)).catch(() => {});
  }, [props.session.id]);
  const s = full ?? props.session;
  return (
    <Card title={<>Session #{s.id} finished <Badge status="completed" /></>} testid="completed-session">
      <div class="stats">
        <Stat label="Energy" value={energy(s.energyWh)} />
        <Stat label="Cost" testid="final-cost" value={money(s.costMinor, s.currency)} />
        <Stat label="Duration" value={duration(s.durationS)} />
      </div>
      {s.autoStop === 'balance' && <p class="error-note" data-testid="auto-stopped">Stopped: balance used up.</p>}
      {full && <div data-receipt-of={full.id}><Receipt session={full} /></div>}
      <p class="muted">{s.chargePointId} · connector {s.connectorId} · {dateTime(s.startedAt)} – {dateTime(s.stoppedAt)}{s.stopReason ? ` · ${s.stopReason}` : ''}</p>
    </Card>
  );
}

export function ActiveSessionPage() {
  const { api, live } = useServices();
  const active = useActiveSessions();
  const [finished, setFinished] = useState<SessionView | null>(null);
  const shown = useRef<SessionView[]>([]);

  useEffect(() => live.subscribe([], ['charging.stopped'], (n) => setFinished(sessionFromEvent(n.data as SessionEvent))), [live]);
  useEffect(() => {
    // Polling mode: a session that left the active list has ended; fetch its final figures.
    const now = active.data?.items ?? [];
    const gone = shown.current.filter((s) => !now.some((n) => n.id === s.id));
    shown.current = now;
    if (live.mode === 'polling' && gone.length > 0) {
      api.get<SessionView>(`/api/user/sessions/${gone[0].id}`).then(({ data }) => setFinished(data)).catch(() => {});
    }
  }, [active.data]);

  return (
    <>
      <PageHeader title="Active session" subtitle="Energy, power and cost as the charger reports them." />
      <ErrorNote error={active.error} />
      {active.loading && !active.data ? <Loading /> : active.data?.items.map((s) => <Running key={s.id} session={s} />)}
      {active.data?.items.length === 0 && !finished && (
        <Card><Empty>You are not charging. <a href={href('stations')}>Find a charger</a> to start.</Empty></Card>
      )}
      {finished && !active.data?.items.some((s) => s.id === finished.id) && <Completed session={finished} />}
    </>
  );
}
