/** @jsxImportSource preact */
/**
 * Toasts for what a customer must not miss, on every page: a session started or stopped, a
 * refused start, a low balance. Live: from the customer's room. Polling: by comparing what the
 * active-session and wallet polls return.
 */
import { useEffect, useRef } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { energy, money } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import { sessionFromEvent, type Page, type SessionView } from '../shared/types.ts';

/** Below this balance (minor units) the customer is warned: a session may not start or may stop. */
export const LOW_BALANCE_MINOR = 500;

function started(s: SessionView) {
  toast('success', 'Charging started', `${s.chargePointId} · connector ${s.connectorId}`);
}

function stopped(s: SessionView) {
  if (s.autoStop === 'balance') toast('warning', 'Charging stopped: balance used up', `${energy(s.energyWh)} · ${money(s.costMinor, s.currency)}`);
  else toast('info', 'Charging stopped', `${energy(s.energyWh)} · ${money(s.costMinor, s.currency)}`);
}

export function SessionEvents() {
  const { live, api } = useServices();
  const balance = useRef<number | null>(null);

  const checkBalance = (minor: number) => {
    if (minor < LOW_BALANCE_MINOR && (balance.current === null || balance.current >= LOW_BALANCE_MINOR)) {
      toast('warning', 'Low balance', `${money(minor)} left: top up your wallet to keep charging.`);
    }
    balance.current = minor;
  };

  useEffect(() => {
    if (live.mode === 'socket.io') {
      return live.subscribe([], ['charging.started', 'charging.stopped', 'charging.auto_stop', 'wallet.updated', 'command.result', 'reservation.expired'], (n) => {
        if (n.type === 'charging.started') started(sessionFromEvent(n.data));
        else if (n.type === 'charging.auto_stop') toast('warning', 'Stopping: balance used up', `${n.data.chargePointId} · connector ${n.data.connectorId}: top up your wallet to charge again.`);
        else if (n.type === 'charging.stopped') stopped(sessionFromEvent(n.data));
        else if (n.type === 'wallet.updated') checkBalance(n.data.balanceMinor);
        else if (n.type === 'reservation.expired') toast('warning', 'Reservation expired', `${n.data.chargePointId} · connector ${n.data.reservation.connectorId} is free for anyone again`);
        else if (n.type === 'command.result' && n.data.answer !== 'Accepted') {
          toast('error', `${n.data.action === 'RemoteStopTransaction' ? 'Stop' : 'Start'} refused`, `${n.data.chargePointId}: ${n.data.answer ?? n.data.status}`);
        }
      });
    }
    let known: Map<number, SessionView> | null = null;
    const poll = async () => {
      try {
        // The history's status filter, not /sessions/active: that one is the active-session page's own poll.
        const active = (await api.get<Page<SessionView>>('/api/user/sessions?status=active&limit=20')).data.items;
        const now = new Map(active.map((s) => [s.id, s]));
        if (known) {
          for (const s of active) if (!known.has(s.id)) started(s);
          for (const [id, s] of known) {
            if (now.has(id)) continue;
            const final = (await api.get<SessionView>(`/api/user/sessions/${id}`).catch(() => null))?.data ?? s;
            stopped(final);
          }
        }
        known = now;
        checkBalance((await api.get<{ balanceMinor: number }>('/api/user/wallet')).data.balanceMinor);
      } catch {
        // The page itself shows the error; the next poll tries again.
      }
    };
    void poll();
    const timer = setInterval(poll, live.intervals.detail);
    return () => clearInterval(timer);
  }, [live, api]);
  return null;
}
