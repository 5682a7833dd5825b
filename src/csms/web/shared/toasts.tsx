/** @jsxImportSource preact */
/** Toasts: short notices a person sees (session started, stopped, low balance, errors). */
import { useEffect, useState } from 'preact/hooks';

export type ToastKind = 'success' | 'info' | 'warning' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  body?: string;
}

let seq = 0;
let toasts: Toast[] = [];
const listeners = new Set<(list: Toast[]) => void>();

function publish() {
  for (const listener of listeners) listener(toasts);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  publish();
}

/** Shows a toast for `ms` (errors stay twice as long). */
export function toast(kind: ToastKind, title: string, body?: string, ms = 5000): void {
  const id = ++seq;
  toasts = [...toasts.slice(-4), { id, kind, title, body }];
  publish();
  setTimeout(() => dismiss(id), kind === 'error' ? ms * 2 : ms);
}

export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => void listeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} data-toast={t.kind}>
          <div class="toast-text">
            <strong>{t.title}</strong>
            {t.body && <span>{t.body}</span>}
          </div>
          <button class="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
