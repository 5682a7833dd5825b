/** @jsxImportSource preact */
/** The building blocks both apps are made of: shell, cards, stats, badges, forms, modal. */
import type { ComponentChildren, TargetedEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api.ts';
import { useServices } from './context.ts';
import type { ConnectionState } from './live.ts';
import { Toasts } from './toasts.tsx';

export interface NavItem {
  href: string;
  label: string;
  active: boolean;
}

const STATE_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
};

export function ConnectionIndicator() {
  const { live } = useServices();
  const [state, setState] = useState(live.state());
  useEffect(() => live.onState(setState), [live]);
  const title = state === 'polling'
    ? `Updates by polling every ${live.intervals.activeSession / 1000}–${live.intervals.list / 1000} s (ENABLE_RABBITMQ=false)`
    : 'Updates pushed over Socket.io';
  return (
    <span class={`indicator indicator-${state}`} data-connection={state} title={title}>
      <span class="dot" /> {STATE_LABEL[state]}
    </span>
  );
}

export function Shell(props: { product: string; nav: NavItem[]; children: ComponentChildren }) {
  const { account, logout } = useServices();
  const [open, setOpen] = useState(false);
  return (
    <div class={`shell ${open ? 'nav-open' : ''}`}>
      <aside class="sidebar">
        <div class="brand">
          <span class="logo" aria-hidden="true">⚡</span> {props.product}
        </div>
        <nav onClick={() => setOpen(false)}>
          {props.nav.map((item) => (
            <a key={item.href} href={item.href} class={item.active ? 'active' : ''} aria-current={item.active ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
      </aside>
      <div class="main">
        <header class="topbar">
          <button class="menu" aria-label="Menu" onClick={() => setOpen(!open)}>☰</button>
          <ConnectionIndicator />
          <span class="spacer" />
          <span class="who" title={account.email}>{account.name}</span>
          <button class="btn btn-ghost" onClick={() => logout()}>Sign out</button>
        </header>
        <main class="content">{props.children}</main>
      </div>
      <Toasts />
    </div>
  );
}

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="muted">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="actions">{props.actions}</div>}
    </div>
  );
}

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; class?: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <div class="card-header">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; hint?: ComponentChildren; testid?: string; tone?: 'good' | 'warn' | 'bad' }) {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`} data-testid={props.testid}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.hint && <div class="stat-hint">{props.hint}</div>}
    </div>
  );
}

const TONES: Record<string, string> = {
  Available: 'good', Preparing: 'info', Charging: 'info', SuspendedEV: 'warn', SuspendedEVSE: 'warn',
  Finishing: 'info', Reserved: 'warn', Unavailable: 'muted', Faulted: 'bad',
  online: 'good', offline: 'muted', active: 'info', completed: 'muted', refused: 'bad', stale: 'warn', review: 'warn',
  Accepted: 'good', Pending: 'warn', Rejected: 'bad', Unknown: 'muted',
  answered: 'good', error: 'bad', timeout: 'bad', offline_cmd: 'muted',
  topup: 'good', charge: 'info', adjustment: 'warn', credit: 'good', debit: 'warn', refund: 'warn',
};

/** A status word in its colour: connector statuses, online/offline, session and command states. */
export function Badge(props: { status: string; label?: string }) {
  return <span class={`badge badge-${TONES[props.status] ?? 'muted'}`} data-status={props.status}>{props.label ?? props.status}</span>;
}

export function Online(props: { online: boolean }) {
  return <Badge status={props.online ? 'online' : 'offline'} label={props.online ? 'Online' : 'Offline'} />;
}

export function Loading() {
  return <div class="loading" aria-busy="true">Loading…</div>;
}

export function ErrorNote(props: { error: ApiError | Error | null | undefined }) {
  if (!props.error) return null;
  return <div class="error-note" role="alert">{props.error.message}</div>;
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

export function Field(props: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint && <span class="field-hint">{props.hint}</span>}
    </label>
  );
}

/** A dialog; `wide` for one that holds a table. */
export function Modal(props: { title: string; onClose(): void; children: ComponentChildren; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [props.onClose]);
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={props.wide ? 'modal modal-wide' : 'modal'} role="dialog" aria-modal="true" aria-label={props.title}>
        <div class="card-header">
          <h2>{props.title}</h2>
          <button class="btn btn-ghost" aria-label="Close" onClick={props.onClose}>×</button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

/** A form whose submit runs `action`, disables itself meanwhile and shows the API's error. */
export function Form(props: { action(): Promise<void>; submitLabel: string; children: ComponentChildren; class?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.action();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class={`form ${props.class ?? ''}`} onSubmit={submit}>
      {props.children}
      <ErrorNote error={error} />
      <button class="btn btn-primary" type="submit" disabled={busy}>{busy ? 'Working…' : props.submitLabel}</button>
    </form>
  );
}

/** A text input bound to a string state. */
export function TextInput(props: {
  value: string;
  onInput(v: string): void;
  name?: string;
  type?: 'text' | 'email' | 'password' | 'search';
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  placeholder?: string;
  autoComplete?: string;
}) {
  const { value, onInput, autoComplete, ...rest } = props;
  // preact types <input> as a union keyed by `type`; these props are valid for every text type.
  const attributes = { ...rest, autocomplete: autoComplete } as Record<string, unknown>;
  return <input {...attributes} value={value} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />;
}

/** Paging for a list with a `total` ("21–40 of 75"). */
export function Pager(props: { offset: number; size: number; total: number; onChange(offset: number): void }) {
  const { offset, size, total } = props;
  if (total <= size) return null;
  return (
    <div class="actions" style={{ marginTop: '12px' }}>
      <button class="btn btn-small" disabled={offset === 0} onClick={() => props.onChange(Math.max(0, offset - size))}>← Previous</button>
      <span class="muted">{offset + 1}–{Math.min(offset + size, total)} of {total}</span>
      <button class="btn btn-small" disabled={offset + size >= total} onClick={() => props.onChange(offset + size)}>Next →</button>
    </div>
  );
}
