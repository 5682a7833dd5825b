/** Hash routing (`#/points/CP-1`): one index.html per app, and links that survive a reload. */
import { useEffect, useState } from 'preact/hooks';

function current(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

/** The route's segments: `#/points/CP-1` → ['points', 'CP-1']. */
export function useRoute(): string[] {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function href(...segments: (string | number)[]): string {
  return `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

export function navigate(...segments: (string | number)[]): void {
  location.hash = href(...segments);
}
