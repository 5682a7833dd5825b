/**
 * One REST resource kept fresh the way the server's mode says. Socket.io mode: fetched once, then
 * changed by the notifications it names (patched in place or refetched), refetched after a
 * reconnect, and no timer. Polling mode: refetched every `refresh` interval with If-None-Match.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.ts';
import { useServices } from './context.ts';
import type { LiveNotification, RefreshKind } from './live.ts';

/** A handler's answer: new data, 'refetch' (the notification does not carry enough), or nothing. */
export type Patch<T> = T | 'refetch' | undefined | void;

export interface ResourceOptions<T> {
  refresh: RefreshKind;
  /** Rooms to be in while the page shows this (CMS and public rooms; the customer's own is automatic). */
  rooms?: readonly string[];
  /** Notification type → what it does to the data. */
  on?: Record<string, (data: any, current: T | undefined, n: LiveNotification) => Patch<T>>;
  /** Refetches asked for within this window are merged into one (default 150 ms). */
  coalesceMs?: number;
}

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): Promise<void>;
  /** Replaces the data locally (after a write the page made itself). */
  set(data: T): void;
}

const DEFAULT_COALESCE_MS = 150;

export function useResource<T>(path: string | null, options: ResourceOptions<T>): Resource<T> {
  const { api, live } = useServices();
  // Data is kept with the path it answers, so a page never shows one path's data under another's.
  const [held, setHeld] = useState<{ path: string | null; data: T | undefined }>({ path, data: undefined });
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const current = useRef<T | undefined>(undefined);
  const handlers = useRef(options.on);
  handlers.current = options.on;
  const generation = useRef(0);

  const apply = useCallback((next: T) => {
    current.current = next;
    setHeld({ path, data: next });
  }, [path]);

  const reload = useCallback(async () => {
    if (path === null) return;
    const mine = generation.current;
    try {
      const { data: fetched, changed } = await api.get<T>(path);
      if (mine !== generation.current) return;
      if (changed || current.current === undefined) apply(fetched);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(err as ApiError);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [api, path, apply]);

  const coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS;
  const rooms = (options.rooms ?? []).join('\n');
  const types = Object.keys(options.on ?? {}).join('\n');
  useEffect(() => {
    if (path === null) return;
    generation.current++;
    current.current = undefined;
    setHeld({ path, data: undefined });
    setLoading(true);
    void reload();
    if (live.mode === 'polling') {
      const timer = setInterval(() => void reload(), live.intervals[options.refresh]);
      return () => clearInterval(timer);
    }
    let pending: ReturnType<typeof setTimeout> | null = null;
    const refetchSoon = () => {
      pending ??= setTimeout(() => {
        pending = null;
        void reload();
      }, coalesceMs);
    };
    const offNotifications = live.subscribe(rooms ? rooms.split('\n') : [], types ? types.split('\n') : [], (n) => {
      const patch = handlers.current?.[n.type]?.(n.data, current.current, n);
      if (patch === 'refetch') refetchSoon();
      else if (patch !== undefined) apply(patch as T);
    });
    const offResync = live.onResync(() => void reload());
    return () => {
      offNotifications();
      offResync();
      if (pending) clearTimeout(pending);
    };
  }, [path, live, rooms, types, options.refresh, coalesceMs, reload, apply]);

  return { data: held.path === path ? held.data : undefined, error, loading: loading || held.path !== path, reload, set: apply };
}

/** Re-renders every `ms` (for clocks and "5 s ago" labels; not a data refresh). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
