/** A tiny external store the runner pushes snapshots into, and the hook that reads it at a bounded rate. */
import { useEffect, useState } from 'react';

export interface Feed<T> {
  get(): T | null;
  push(value: T): void;
  subscribe(listener: () => void): () => void;
}

export function createFeed<T>(initial: T | null = null): Feed<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    push(next) {
      value = next;
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The feed's latest value, re-rendering at most once per `minIntervalMs`: the engine may push
 * faster than a terminal can usefully redraw, and the last value always arrives (trailing edge).
 */
export function useThrottledFeed<T>(feed: Feed<T>, minIntervalMs: number): T | null {
  const [value, setValue] = useState<T | null>(feed.get());
  useEffect(() => {
    let last = 0;
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      last = Date.now();
      setValue(feed.get());
    };
    const unsubscribe = feed.subscribe(() => {
      if (timer) return;
      const wait = last + minIntervalMs - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [feed, minIntervalMs]);
  return value;
}
