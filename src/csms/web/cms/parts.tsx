/** @jsxImportSource preact */
/** What the CMS's list pages share: row actions, the delete confirmation, online counts. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from '../shared/api.ts';
import { ErrorNote, Modal } from '../shared/ui.tsx';

/** The Edit and Delete buttons of a table row (`testid`-edit, `testid`-delete). */
export function RowActions(props: { testid: string; onEdit(): void; onDelete(): void; children?: ComponentChildren }) {
  return (
    <td class="right">
      <div class="actions" style={{ justifyContent: 'flex-end' }}>
        {props.children}
        <button class="btn btn-small" onClick={props.onEdit} data-testid={`${props.testid}-edit`}>Edit</button>
        <button class="btn btn-small btn-ghost" onClick={props.onDelete} data-testid={`${props.testid}-delete`}>Delete</button>
      </div>
    </td>
  );
}

/**
 * "Delete X?" with the API's refusal shown in place. `inUse` is what to say when the API answers
 * 409 (CSMS_ERR_IN_USE: something still refers to it).
 */
export function ConfirmDelete(props: { title: string; children: ComponentChildren; inUse: string; action(): Promise<void>; onClose(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    let done = false;
    try {
      await props.action();
      done = true;
    } catch (err) {
      const e = err as ApiError;
      setError(e.status === 409 ? new Error(props.inUse) : e);
    } finally {
      setBusy(false);
    }
    if (done) props.onClose();
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <div class="stack">
        <div>{props.children}</div>
        <ErrorNote error={error} />
        <div class="actions">
          <button class="btn" type="button" onClick={props.onClose}>Cancel</button>
          <button class="btn btn-danger" type="button" disabled={busy} onClick={run} data-testid="confirm-delete">{busy ? 'Deleting…' : 'Delete'}</button>
        </div>
      </div>
    </Modal>
  );
}

/** "3/4 online" in the colour of how many are. */
export function OnlineCount(props: { online: number; total: number }) {
  const { online, total } = props;
  const tone = total === 0 || online === 0 ? 'muted' : online === total ? 'good' : 'warn';
  return <span class={`badge badge-${tone}`} data-online={online} data-total={total}>{online}/{total} online</span>;
}

