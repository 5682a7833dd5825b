/** Calls `sample` every `intervalMs` and re-renders with what it returns. */
import { useEffect, useState } from 'react';

export function useSampled<T>(sample: () => T | null, intervalMs: number): T | null {
  const [value, setValue] = useState<T | null>(() => sample());
  useEffect(() => {
    const timer = setInterval(() => setValue(sample()), intervalMs);
    return () => clearInterval(timer);
  }, [sample, intervalMs]);
  return value;
}
