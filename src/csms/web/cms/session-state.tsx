/** @jsxImportSource preact */
/**
 * How a session's state reads in the CMS (charging, completed, refused; stale; who closed it and
 * whether it needs a look), and closing by hand one that its charger will not stop.
 */
import { useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { toast } from '../shared/toasts.tsx';
import type { SessionView } from '../shared/types.ts';
import { Badge } from '../shared/ui.tsx';

const LABELS: Record<string, string> = { active: 'Charging', completed: 'Completed', refused: 'Refused' };

/** The status badge with what an admin needs to know beside it. */
export function SessionState(props: { session: SessionView }) {
  const s = props.session;
  const closed = s.closedBy === 'csms' ? 'closed by the CSMS' : s.closedBy === 'admin' ? 'closed by an admin' : null;
  return (
    <span data-testid="session-state">
      <Badge status={s.status} label={LABELS[s.status] ?? s.status} />
      {s.stale && <> <Badge status="stale" label="No report" /></>}
      {s.review && <> <span title={s.review}><Badge status="review" label="Review" /></span></>}
      {s.status === 'refused' && s.refusal && <span class="muted"> {s.refusal}</span>}
      {s.stopReason && <span class="muted"> {s.stopReason}</span>}
      {closed && <span class="muted" title={s.closeNote ?? ''}> · {closed}</span>}
    </span>
  );
}

/**
 * Closes an active session with a reason, billed up to its last meter value (audited server-side).
 * For a charger that is gone or refused RemoteStopTransaction; its late StopTransaction still counts.
 */
export function CloseSessionButton(props: { session: SessionView; onClosed?: () => void }) {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const close = async () => {
    const reason = prompt(`Close session #${props.session.id}? It is billed up to its last meter value. Reason (kept in the session):`, props.session.stale ? 'charger stopped reporting' : 'charger refused to stop');
    if (reason === null || reason.trim().length < 3) return;
    setBusy(true);
    try {
      await api.send('POST', `/api/cms/sessions/${props.session.id}/close`, { reason: reason.trim() });
      toast('success', `Session #${props.session.id} closed`, reason.trim());
      props.onClosed?.();
    } catch (err) {
      toast('error', 'Could not close the session', (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return <button class="btn btn-danger" disabled={busy} onClick={close} data-testid={`close-session-${props.session.id}`}>Close session #{props.session.id}…</button>;
}
