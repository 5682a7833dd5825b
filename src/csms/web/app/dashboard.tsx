/** @jsxImportSource preact */
/** Wallet balance, session events and the active-session banner, all live. */
import { useEffect, useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { ago, duration, energy, money, power, time } from '../shared/format.ts';
import type { LiveNotification } from '../shared/live.ts';
import { href } from '../shared/router.ts';
import { useResource, useTick } from '../shared/use-resource.ts';
import { Badge, Card, Empty, ErrorNote, PageHeader, Stat } from '../shared/ui.tsx';
import { withSessionEvent, type IdTagCard, type Items, type Page, type SessionEvent, type SessionView } from '../shared/types.ts';
import { LOW_BALANCE_MINOR } from './events.tsx';

/** Active sessions patched from the customer's own notifications. */
export function useActiveSessions() {
  return useResource<Items<SessionView>>('/api/user/sessions/active', {
    refresh: 'activeSession',
    on: {
      'charging.started': () => 'refetch',
      'meter.values': (d: SessionEvent, cur) => {
        const items = cur && withSessionEvent(cur.items, d);
        return items ? { items } : 'refetch';
      },
      'charging.stopped': (d: SessionEvent, cur) => cur && { items: cur.items.filter((s) => s.id !== d.sessionId) },
    },
  });
}

export function useBalance() {
  return useResource<{ balanceMinor: number }>('/api/user/wallet', {
    refresh: 'detail',
    on: { 'wallet.updated': (d: { balanceMinor: number }) => ({ balanceMinor: d.balanceMinor }) },
  });
}

const EVENT_LABEL: Record<string, string> = {
  'charging.started': 'Charging started',
  'charging.stopped': 'Charging stopped',
  'wallet.transaction': 'Wallet',
  'command.result': 'Charger answered',
};

function describe(n: LiveNotification): string {
  if (n.type === 'charging.started' || n.type === 'charging.stopped') {
    const s = n.data as SessionEvent;
    return `${s.chargePointId} #${s.connectorId}${n.type === 'charging.stopped' ? ` · ${energy(s.energyWh)} · ${money(s.costMinor, s.currency)}` : ''}`;
  }
  if (n.type === 'wallet.transaction') return `${n.data.entry.kind} ${money(n.data.entry.amountMinor)}`;
  if (n.type === 'command.result') return `${n.data.action} on ${n.data.chargePointId}: ${n.data.answer ?? n.data.status}`;
  return n.type;
}

/** The customer's recent events as they arrive (Socket.io mode only). */
function LiveFeed() {
  const { live } = useServices();
  const [events, setEvents] = useState<LiveNotification[]>([]);
  useEffect(() => live.subscribe([], Object.keys(EVENT_LABEL), (n) => setEvents((list) => [n, ...list].slice(0, 8))), [live]);
  return (
    <Card title="Live events" testid="live-feed">
      {events.length === 0 ? <Empty>Events appear here as they happen.</Empty> : (
        <ul class="feed">
          {events.map((n) => (
            <li key={n.id}><span class="muted">{time(n.timestamp)}</span> <strong>{EVENT_LABEL[n.type]}</strong> {describe(n)}</li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function ActiveBanner(props: { session: SessionView }) {
  const s = props.session;
  return (
    <div class="banner" data-testid="active-banner">
      <div>
        <strong>Charging at {s.chargePointId}</strong> · connector {s.connectorId}
        <div class="muted">{duration(s.durationS)} · {power(s.powerW)}</div>
      </div>
      <div class="big-number" data-testid="banner-energy">{energy(s.energyWh)}</div>
      <div class="num">{money(s.costMinor, s.currency)}</div>
      <a class="btn btn-primary" href={href('session')}>Open session</a>
    </div>
  );
}

export function DashboardPage() {
  const { live, account } = useServices();
  useTick(10_000);
  const active = useActiveSessions();
  const balance = useBalance();
  const recent = useResource<Page<SessionView>>('/api/user/sessions?limit=5', {
    refresh: 'list',
    on: { 'charging.started': () => 'refetch', 'charging.stopped': () => 'refetch', 'session.updated': () => 'refetch' },
  });
  // Several cards (a fleet): listed below; one card: named in the header.
  const cards = useResource<Items<IdTagCard & { primary: boolean; activeSessions: number }>>('/api/user/id-tags', { refresh: 'list', on: { 'customer.updated': () => 'refetch' } });
  const bal = balance.data?.balanceMinor;
  return (
    <>
      <PageHeader title={`Hello, ${account.name}`} subtitle={account.idTag ? <>Your charging card: <code>{account.idTag}</code></> : undefined} />
      {active.data?.items.map((s) => <ActiveBanner key={s.id} session={s} />)}
      <div class="stats">
        <Stat label="Wallet balance" testid="balance" value={money(bal)} tone={bal !== undefined && bal < LOW_BALANCE_MINOR ? 'warn' : undefined} hint={<a href={href('wallet')}>Top up</a>} />
        <Stat label="Charging now" value={String(active.data?.items.length ?? '—')} hint={<a href={href('stations')}>Find a charger</a>} />
        <Stat label="Sessions" value={String(recent.data?.total ?? '—')} hint={<a href={href('sessions')}>History</a>} />
      </div>
      <ErrorNote error={active.error ?? balance.error ?? recent.error} />
      <div class="grid grid-2">
        <Card title="Recent sessions" testid="recent-sessions">
          {recent.data && recent.data.items.length === 0 ? <Empty>No sessions yet.</Empty> : (
            <table>
              <thead><tr><th>Charger</th><th>Started</th><th class="right">Energy</th><th class="right">Cost</th><th>Status</th></tr></thead>
              <tbody>
                {recent.data?.items.map((s) => (
                  <tr key={s.id}>
                    <td>{s.chargePointId} #{s.connectorId}</td>
                    <td>{ago(s.startedAt)}</td>
                    <td class="right">{energy(s.energyWh)}</td>
                    <td class="right">{money(s.costMinor, s.currency)}</td>
                    <td><Badge status={s.status} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        {live.mode === 'socket.io' ? <LiveFeed /> : (
          <Card title="Updates"><p class="muted">This server runs without a message broker (ENABLE_RABBITMQ=false): pages refresh every {live.intervals.activeSession / 1000}–{live.intervals.list / 1000} s.</p></Card>
        )}
        {cards.data && cards.data.items.length > 1 && (
          <Card title="Your cards" testid="own-cards">
            <table>
              <thead><tr><th>Card</th><th>Label</th><th class="right">Charging</th><th>Status</th></tr></thead>
              <tbody>
                {cards.data.items.map((c) => (
                  <tr key={c.idTag}>
                    <td><code>{c.idTag}</code>{c.primary && <span class="muted"> (app)</span>}</td>
                    <td>{c.label ?? ''}</td>
                    <td class="right num">{c.activeSessions} of {c.maxConcurrent}</td>
                    <td>{c.blocked ? <span class="badge badge-bad">Blocked</span> : c.expiresAt && Date.parse(c.expiresAt) <= Date.now() ? <span class="badge badge-warn">Expired</span> : <span class="badge badge-good">Active</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </div>
    </>
  );
}
