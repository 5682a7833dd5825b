/**
 * Calls `sample` every `intervalMs` and re-renders with what it returns (or resolves to). A sample
 * still pending when the next one is due is not doubled up; one that fails keeps the last value.
 */
import { useEffect, useState } from 'react';

export function useSampled<T>(sample: () => T | null | Promise<T | null>, intervalMs: number): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    let pending = false;
    let live = true;
    const take = () => {
      if (pending) return;
      pending = true;
      Promise.resolve()
        .then(sample)
        .then((v) => {
          if (live) setValue(v);
        }, () => {})
        .finally(() => (pending = false));
    };
    take();
    const timer = setInterval(take, intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [sample, intervalMs]);
  return value;
}
